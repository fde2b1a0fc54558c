/*
 * KVM plumbing: the VM, its RAM, the in-kernel interrupt controllers, the
 * doorbell irqfd and the one vCPU in 64-bit mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shared/layout.h"
#include "vmm/kvm_stats.h"
#include "vmm/vm_internal.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

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
		return ERR("cannot allocate %lu MiB of guest RAM: %s", (unsigned long)(size >> 20),
			   strerror(errno));
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
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return ERR("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	return 0;
}

int kvm_setup(struct vm *vm, char *err, size_t errlen)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return ERR("cannot open /dev/kvm: %s", strerror(errno));
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		return ERR("/dev/kvm speaks API version %d, need %d", api, KVM_API_VERSION);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return ERR("KVM_CREATE_VM: %s", strerror(errno));
	if (ram_setup(vm, err, errlen))
		return -1;
	/* The irqchip must exist before the vCPU. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return ERR("KVM_CREATE_IRQCHIP: %s", strerror(errno));

	vm->doorbell_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->doorbell_fd < 0)
		return ERR("eventfd: %s", strerror(errno));
	struct kvm_irqfd irqfd = { .fd = (uint32_t)vm->doorbell_fd, .gsi = DOORBELL_GSI };
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0)
		return ERR("KVM_IRQFD: %s", strerror(errno));
	return 0;
}

/* CPUID as KVM supports it, with our APIC id and x2APIC advertised. */
static int cpuid_setup(struct vm *vm, char *err, size_t errlen)
{
	int n = 128;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));

	if (!c)
		return ERR("out of memory");
	c->nent = n;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		free(c);
		return ERR("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	}
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1) {
			e->ebx &= 0x00ffffff;          /* APIC id 0 */
			e->ecx |= 1u << 21;            /* x2APIC */
		}
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = 0;
	}
	int r = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
	if (r < 0)
		return ERR("KVM_SET_CPUID2: %s", strerror(errno));
	return 0;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
	};
}

int kvm_setup_vcpu(struct vm *vm, uint64_t entry, char *err, size_t errlen)
{
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return ERR("KVM_CREATE_VCPU: %s", strerror(errno));
	int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		return ERR("KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = (size_t)sz;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return ERR("mmap of kvm_run: %s", strerror(errno));
	}
	if (cpuid_setup(vm, err, errlen))
		return -1;

	struct kvm_sregs s;
	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return ERR("KVM_GET_SREGS: %s", strerror(errno));
	set_seg(&s.cs, 0x08, 11, 1);
	set_seg(&s.ds, 0x10, 3, 0);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.cr0 = 0x80050033;                  /* PG WP AM NE ET MP PE */
	s.cr3 = BOOT_PML4_GPA;
	s.cr4 = 0x20;                        /* PAE */
	s.efer = 0xd00;                      /* NXE LMA LME */
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return ERR("KVM_SET_SREGS: %s", strerror(errno));

	struct kvm_regs r = { .rip = entry, .rdi = BOOT_INFO_GPA, .rflags = 0x2 };
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &r) < 0)
		return ERR("KVM_SET_REGS: %s", strerror(errno));

	vm->stats_fd = -1;
	vm->insn_offset = -1;
	kvm_stats_open(vm->vcpu_fd, "insn_emulation", &vm->stats_fd, &vm->insn_offset);
	return 0;
}

void kvm_teardown(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	int fds[] = { vm->stats_fd, vm->vcpu_fd, vm->doorbell_fd, vm->vm_fd, vm->kvm_fd };
	for (unsigned i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (vm->ram_map)
		munmap(vm->ram_map, vm->ram_map_size);
}
