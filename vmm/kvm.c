/*
 * KVM plumbing of the whole VM: /dev/kvm, the VM, its RAM, the in-kernel
 * interrupt controllers, and per CPU the doorbell irqfd (host -> guest) and
 * the answer notification ioeventfd (guest -> host).  The vCPUs are vcpu.c's.
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

/* Close every ring's doorbell and notification fds (-1: none). */
static void rings_close(struct vm *vm)
{
	for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
		struct vm_ring *r = &vm->rings[i];
		if (r->doorbell_fd >= 0)
			close(r->doorbell_fd);
		if (r->notify_fd >= 0)
			close(r->notify_fd);
		r->doorbell_fd = r->notify_fd = -1;
	}
}

/*
 * CPU cpu's doorbell: an eventfd any host thread writes, raising
 * DOORBELL_GSI + cpu (the guest routes that pin to CPU cpu).  Its answer
 * notification: the guest's write of cpu to CHANNEL_NOTIFY_PORT signals
 * notify_fd inside KVM (an ioeventfd matching the value), without an exit
 * to user space.  Where KVM cannot bind it, the write exits to us and
 * vm_io_out signals notify_fd itself: slower, still correct.
 */
static int ring_setup(struct vm *vm, unsigned cpu, char *err, size_t errlen)
{
	struct vm_ring *r = &vm->rings[cpu];

	r->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->notify_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->doorbell_fd < 0 || r->notify_fd < 0)
		return ERR(errno, "eventfd: %s", strerror(errno));
	struct kvm_irqfd irqfd = { .fd = (uint32_t)r->doorbell_fd, .gsi = DOORBELL_GSI + cpu };
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return ERR(errno, "KVM_IRQFD: %s", strerror(errno));
	struct kvm_ioeventfd io = {
		.datamatch = cpu, .addr = CHANNEL_NOTIFY_PORT, .len = 4, .fd = r->notify_fd,
		.flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	(void)ioctl(vm->vm_fd, KVM_IOEVENTFD, &io);
	return 0;
}

/* Every ring's fds, and dead_fd, which wakes a waiter when the VM stops. */
static int rings_setup(struct vm *vm, char *err, size_t errlen)
{
	int r = 0;

	for (unsigned i = 0; i < vm->ncpus && !r; i++)
		r = ring_setup(vm, i, err, errlen);
	if (!r) {
		vm->dead_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vm->dead_fd < 0)
			r = ERR(errno, "eventfd: %s", strerror(errno));
	}
	if (r)
		rings_close(vm);
	return r;
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
	r = rings_setup(vm, err, errlen);
	if (r)
		goto err_ram;
	return 0;

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
	rings_close(vm);
	munmap(vm->ram_map, vm->ram_map_size);
	close(vm->vm_fd);
	close(vm->kvm_fd);
	vm->dead_fd = vm->vm_fd = vm->kvm_fd = -1;
	vm->ram_map = NULL;
}
