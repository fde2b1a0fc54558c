/*
 * KVM plumbing of the whole VM: /dev/kvm, the VM, its RAM, the in-kernel
 * interrupt controllers, the doorbell irqfd (host -> guest) and the answer
 * notification ioeventfd (guest -> host).  The vCPUs are vcpu.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shared/layout.h"
#include "vmm/kvm_diag.h"
#include "vmm/vm_internal.h"

#define ERR(e, ...) vm_errmsg(err, errlen, (e), __VA_ARGS__)

/* Guest RAM: private anonymous memory, 2 MiB aligned, with transparent huge
 * pages asked for, which makes the emulator's shadow faults far cheaper. */
static int ram_setup(struct vm *vm, char *err, size_t errlen)
{
	uint64_t size = vm->mem.size;

	vm->ram_map_size = size + PAGE_SIZE_2M;
	vm->ram_map = mmap(NULL, vm->ram_map_size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram_map == MAP_FAILED) {
		vm->ram_map = NULL;
		return ERR(errno, "cannot allocate %lu MiB of guest RAM: %s",
			   (unsigned long)(size >> 20), strerror(errno));
	}
	uintptr_t a = ((uintptr_t)vm->ram_map + PAGE_SIZE_2M - 1) & ~(PAGE_SIZE_2M - 1);
	vm->mem.ram = (uint8_t *)a;
	madvise(vm->mem.ram, size, MADV_HUGEPAGE);

	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = size,
		.userspace_addr = (uint64_t)a,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		int r = ERR(errno, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		munmap(vm->ram_map, vm->ram_map_size);
		vm->ram_map = NULL;
		return r;
	}
	return 0;
}

/* The doorbell: an eventfd any host thread writes, raising DOORBELL_GSI. */
static int doorbell_setup(struct vm *vm, char *err, size_t errlen)
{
	vm->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->doorbell_fd < 0)
		return ERR(errno, "eventfd: %s", strerror(errno));
	struct kvm_irqfd irqfd = { .fd = (uint32_t)vm->doorbell_fd, .gsi = DOORBELL_GSI };
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		int r = ERR(errno, "KVM_IRQFD: %s", strerror(errno));
		close(vm->doorbell_fd);
		vm->doorbell_fd = -1;
		return r;
	}
	return 0;
}

/*
 * The guest's "answers ready" write to CHANNEL_NOTIFY_PORT signals
 * notify_fd inside KVM, without an exit to user space.  Where KVM cannot
 * bind it, the write exits to us and vm_io_out signals notify_fd itself:
 * slower, still correct.  dead_fd wakes a waiter when the VM stops.
 */
static int notify_setup(struct vm *vm, char *err, size_t errlen)
{
	vm->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->notify_fd < 0)
		return ERR(errno, "eventfd: %s", strerror(errno));
	vm->dead_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->dead_fd < 0) {
		int r = ERR(errno, "eventfd: %s", strerror(errno));
		close(vm->notify_fd);
		vm->notify_fd = -1;
		return r;
	}
	struct kvm_ioeventfd io = {
		.addr = CHANNEL_NOTIFY_PORT, .len = 4, .fd = vm->notify_fd,
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};
	(void)ioctl(vm->vm_fd, KVM_IOEVENTFD, &io);
	return 0;
}

int kvm_setup(struct vm *vm, char *err, size_t errlen)
{
	int r;

	vm->kvm_fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return kvm_diagnose(errno, err, errlen);   /* cause and remedy */
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		r = ERR(EPROTONOSUPPORT, "/dev/kvm speaks API version %d, need %d", api, KVM_API_VERSION);
		goto err_kvm;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		r = ERR(errno, "KVM_CREATE_VM: %s", strerror(errno));
		goto err_kvm;
	}
	r = ram_setup(vm, err, errlen);
	if (r)
		goto err_vm;
	/* The irqchip must exist before the vCPUs. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		r = ERR(errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		goto err_ram;
	}
	r = doorbell_setup(vm, err, errlen);
	if (r)
		goto err_ram;
	r = notify_setup(vm, err, errlen);
	if (r)
		goto err_doorbell;
	return 0;

err_doorbell:
	close(vm->doorbell_fd);
	vm->doorbell_fd = -1;
err_ram:
	munmap(vm->ram_map, vm->ram_map_size);
	vm->ram_map = NULL;
err_vm:
	close(vm->vm_fd);
	vm->vm_fd = -1;
err_kvm:
	close(vm->kvm_fd);
	vm->kvm_fd = -1;
	return r;
}

void kvm_teardown(struct vm *vm)
{
	/* kvm_setup's unwinding, for a VM that got all of it. */
	close(vm->dead_fd);
	close(vm->notify_fd);
	close(vm->doorbell_fd);
	munmap(vm->ram_map, vm->ram_map_size);
	close(vm->vm_fd);
	close(vm->kvm_fd);
	vm->dead_fd = vm->notify_fd = vm->doorbell_fd = vm->vm_fd = vm->kvm_fd = -1;
	vm->ram_map = NULL;
}
