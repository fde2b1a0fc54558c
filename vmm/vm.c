/* Creating, describing and destroying a VM (vmm/vm.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/channel.h"
#include "shared/layout.h"
#include "vmm/elf_load.h"
#include "vmm/kvm_stats.h"
#include "vmm/vm_internal.h"

#define BOOT_TIMEOUT_S     20
#define REQUEST_TIMEOUT_S  120

static int wait_ready(struct vm *vm)
{
	struct timespec deadline;

	uint32_t ms = vm->cfg.boot_timeout_ms ? vm->cfg.boot_timeout_ms : BOOT_TIMEOUT_S * 1000;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += ms / 1000;
	deadline.tv_nsec += (long)(ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&vm->state_lock);
	while (atomic_load(&vm->state) == VM_BOOTING)
		if (pthread_cond_timedwait(&vm->state_cond, &vm->state_lock, &deadline) != 0)
			break;
	int s = atomic_load(&vm->state);
	pthread_mutex_unlock(&vm->state_lock);
	if (s == VM_BOOTING)
		vm_fail(vm, "guest stopped answering: not ready within %u ms", ms);
	else if (s == VM_EXITED)
		vm_fail(vm, "guest exited with code %lld during boot", (long long)vm->exit_code);
	return atomic_load(&vm->state) == VM_READY ? 0 : -1;
}

static struct vm *vm_alloc(const struct vm_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->cfg = *cfg;
	vm->console = cfg->console ? cfg->console : stderr;
	vm->kvm_fd = vm->vm_fd = vm->vcpu_fd = vm->doorbell_fd = vm->stats_fd = -1;
	vm->insn_offset = -1;
	vm->timeout_ns = (uint64_t)(cfg->request_timeout_ms ? cfg->request_timeout_ms
				    : REQUEST_TIMEOUT_S * 1000) * 1000000ull;
	pthread_mutex_init(&vm->state_lock, NULL);
	pthread_cond_init(&vm->state_cond, NULL);
	pthread_mutex_init(&vm->mbox.lock, NULL);
	pthread_mutex_init(&vm->mbox_user, NULL);
	pthread_cond_init(&vm->mbox.done_cond, NULL);
	atomic_store(&vm->state, VM_BOOTING);
	return vm;
}

int vm_create(const struct vm_config *cfg, struct vm **out, char *err, size_t errlen)
{
	struct elf_image img;
	struct vm *vm;

	*out = NULL;
	uint64_t size = cfg->mem_size ? cfg->mem_size : GUEST_MEM_DEFAULT;
	if (size < GUEST_MEM_MIN || size > GUEST_MEM_MAX || size % PAGE_SIZE_2M) {
		snprintf(err, errlen, "guest memory size %llu is not a multiple of 2 MiB between %llu MiB and %llu MiB",
			 (unsigned long long)size, GUEST_MEM_MIN >> 20, GUEST_MEM_MAX >> 20);
		return VMM_EXIT_INPUT;
	}
	vm = vm_alloc(cfg);
	if (!vm) {
		snprintf(err, errlen, "out of memory");
		return VMM_EXIT_FAIL;
	}
	vm->mem.size = size;
	/* A bad ELF is the user's input error (exit 2) even where KVM is missing. */
	if (elf_check(cfg->guest_path, size, NULL, err, errlen)) {
		vm_destroy(vm);
		return VMM_EXIT_INPUT;
	}
	if (kvm_setup(vm, err, errlen)) {
		vm_destroy(vm);
		return VMM_EXIT_FAIL;
	}
	if (elf_load(cfg->guest_path, vm->mem.ram, vm->mem.size, &img, err, errlen)) {
		vm_destroy(vm);
		return VMM_EXIT_INPUT;
	}
	vm->kernel_start = img.kernel_start;
	vm->kernel_end = img.kernel_end;
	boot_write(vm);
	if (kvm_setup_vcpu(vm, img.entry, err, errlen) || vcpu_start(vm)) {
		if (!err[0])
			snprintf(err, errlen, "cannot start the vCPU thread");
		vm_destroy(vm);
		return VMM_EXIT_FAIL;
	}
	if (wait_ready(vm)) {
		snprintf(err, errlen, "%s", vm->failure);
		*out = vm;              /* kept so that the caller can report the crash */
		return VMM_EXIT_GUEST;
	}
	const struct channel *ch = gmem_ptr(&vm->mem, CHANNEL_GPA, sizeof(*ch));
	if (ch->magic != CHANNEL_MAGIC || ch->version != CHANNEL_VERSION || ch->nslots != CHANNEL_SLOTS) {
		vm_fail(vm, "guest channel header is not version %u with %u slots", CHANNEL_VERSION, CHANNEL_SLOTS);
		snprintf(err, errlen, "%s", vm->failure);
		*out = vm;
		return VMM_EXIT_GUEST;
	}
	vm->req_prod = ch->req_prod;
	*out = vm;
	return VMM_EXIT_OK;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->thread_started) {
		atomic_store(&vm->stop, true);
		vcpu_kick(vm);
		pthread_join(vm->vcpu_thread, NULL);
	}
	console_flush(vm);
	kvm_teardown(vm);
	pthread_mutex_destroy(&vm->state_lock);
	pthread_cond_destroy(&vm->state_cond);
	pthread_mutex_destroy(&vm->mbox.lock);
	pthread_mutex_destroy(&vm->mbox_user);
	pthread_cond_destroy(&vm->mbox.done_cond);
	free(vm);
}

struct gmem vm_gmem(struct vm *vm)
{
	return vm->mem;
}

const char *vm_failure(struct vm *vm)
{
	int s = atomic_load(&vm->state);

	if (s == VM_FAILED)
		return vm->failure;
	if (s == VM_EXITED)
		return "guest exited";
	return NULL;
}

int64_t vm_insn_count(struct vm *vm)
{
	return kvm_stats_read(vm->stats_fd, vm->insn_offset);
}
