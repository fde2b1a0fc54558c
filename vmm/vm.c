/*
 * The VM as a whole (vmm/vm.h): creating and destroying it, its life cycle
 * and failures, and the one place where a vCPU's port writes are routed
 * (hypercalls, the channel's answer notification).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "shared/channel.h"
#include "shared/layout.h"
#include "vmm/elf_load.h"
#include "vmm/hypercall.h"
#include "vmm/kvm_stats.h"
#include "vmm/tlbcheck/vm_tlbcheck.h"
#include "vmm/trace/trace.h"
#include "vmm/vcpu.h"
#include "vmm/vm_internal.h"

#define BOOT_TIMEOUT_S     20
#define REQUEST_TIMEOUT_S  120

int vm_errmsg(char *err, size_t errlen, int e, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -e;
}

void vm_set_state(struct vm *vm, enum vm_state s)
{
	pthread_mutex_lock(&vm->state_lock);
	atomic_store(&vm->state, (int)s);
	pthread_cond_broadcast(&vm->state_cond);
	pthread_mutex_unlock(&vm->state_lock);
	if (s < VM_EXITED)
		return;
	uint64_t one = 1;
	if (write(vm->dead_fd, &one, sizeof(one)) != sizeof(one)) {
		/* Cannot happen (a counter far from overflow); a waiter
		 * still sees the state when its timeout ends. */
	}
	/* A stopped VM runs no more guest code. */
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (&vm->vcpus[i] != vcpu_self())
			vcpu_kick(&vm->vcpus[i]);
}

void vm_fail(struct vm *vm, const char *fmt, ...)
{
	struct vcpu *cpu = vcpu_self();

	pthread_mutex_lock(&vm->state_lock);
	if (atomic_load(&vm->state) == VM_FAILED) {
		pthread_mutex_unlock(&vm->state_lock);
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(vm->failure, sizeof(vm->failure), fmt, ap);
	va_end(ap);
	pthread_mutex_unlock(&vm->state_lock);
	if (cpu) {
		vcpu_save_regs(cpu);
		console_flush(vm);
	} else {
		cpu = &vm->vcpus[0];
		if (cpu->thread_started)
			vcpu_call(cpu, MBOX_REGS, 0, NULL);
	}
	vm->failed_vcpu = cpu;
	vm_set_state(vm, VM_FAILED);
}

void vm_exited(struct vm *vm, int64_t code)
{
	struct vcpu *cpu = vcpu_self();

	vm->exit_code = code;
	/* Kept for the report should the exit be unexpected (during boot). */
	if (cpu) {
		vcpu_save_regs(cpu);
		vm->failed_vcpu = cpu;
	}
	console_flush(vm);
	vm_set_state(vm, VM_EXITED);
}

int vm_io_out(struct vm *vm, uint16_t port, unsigned size, uint32_t value)
{
	if (size != 4)
		return -ENODEV;
	if (port == CHANNEL_NOTIFY_PORT) {
		/* Only without a KVM ioeventfd on the port (kvm.c). */
		uint64_t one = 1;
		if (value >= vm->ncpus)
			return -ENODEV;
		return write(vm->rings[value].notify_fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
	}
	return hypercall_handle(vm, port, value);
}

static void deadline_after_ms(struct timespec *t, uint32_t ms)
{
	clock_gettime(CLOCK_REALTIME, t);
	t->tv_sec += ms / 1000;
	t->tv_nsec += (long)(ms % 1000) * 1000000;
	if (t->tv_nsec >= 1000000000) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000;
	}
}

bool vm_cpu_online(struct vm *vm, unsigned cpu)
{
	bool ok;

	pthread_mutex_lock(&vm->state_lock);
	ok = cpu < vm->ncpus && !(vm->online_mask & (1u << cpu)) && (cpu == 0) != vm->bsp_ready &&
	     atomic_load(&vm->state) == VM_BOOTING;
	if (ok) {
		vm->online_mask |= 1u << cpu;
		vm->bsp_ready = true;
		pthread_cond_broadcast(&vm->state_cond);
	}
	bool all = ok && vm->online_mask == (1u << vm->ncpus) - 1;
	pthread_mutex_unlock(&vm->state_lock);
	if (all)
		vm_set_state(vm, VM_READY);
	return ok;
}

static int vcpus_start_aps(struct vm *vm, uint64_t entry);

/* Wait (state_lock held) until the VM leaves VM_BOOTING, starting the
 * other CPUs once CPU 0 is ready.  false if ms passed first. */
static bool wait_booted(struct vm *vm, uint32_t ms, uint64_t entry)
{
	uint64_t held = vm_held_ns(&vm->cfg), now_held;
	struct timespec deadline;
	bool aps = vm->ncpus == 1;

	deadline_after_ms(&deadline, ms);
	while (atomic_load(&vm->state) == VM_BOOTING) {
		if (vm->bsp_ready && !aps) {
			aps = true;
			pthread_mutex_unlock(&vm->state_lock);
			int r = vcpus_start_aps(vm, entry);
			pthread_mutex_lock(&vm->state_lock);
			if (r) {
				pthread_mutex_unlock(&vm->state_lock);
				vm_fail(vm, "cannot start the other vCPUs: %s", strerror(-r));
				pthread_mutex_lock(&vm->state_lock);
			}
			continue;
		}
		if (pthread_cond_timedwait(&vm->state_cond, &vm->state_lock, &deadline) != 0) {
			/* Time the debugger held the guest does not count. */
			if ((now_held = vm_held_ns(&vm->cfg)) == held)
				return false;
			deadline_after_ms(&deadline, (uint32_t)((now_held - held) / 1000000) + 1);
			held = now_held;
		}
	}
	return true;
}

/* Wait for HC_READY and every CPU's HC_CPU_ONLINE, and check the channel
 * header the guest wrote.  0, -ETIMEDOUT (not ready in time), -EPIPE
 * (crashed or exited) or -EPROTO (a channel the host does not speak); the
 * VM is failed then. */
static int wait_ready(struct vm *vm, uint64_t entry)
{
	uint32_t ms = vm->cfg.boot_timeout_ms ? vm->cfg.boot_timeout_ms : BOOT_TIMEOUT_S * 1000;

	pthread_mutex_lock(&vm->state_lock);
	bool in_time = wait_booted(vm, ms, entry);
	unsigned online = (unsigned)__builtin_popcount(vm->online_mask);
	int s = atomic_load(&vm->state);
	pthread_mutex_unlock(&vm->state_lock);
	if (!in_time && s == VM_BOOTING) {
		if (online)
			vm_fail(vm, "guest stopped answering: %u of %u CPUs online within %u ms",
				online, vm->ncpus, ms);
		else
			vm_fail(vm, "guest stopped answering: not ready within %u ms", ms);
		return -ETIMEDOUT;
	}
	if (s == VM_EXITED)
		vm_fail(vm, "guest exited with code %lld during boot", (long long)vm->exit_code);
	if (atomic_load(&vm->state) != VM_READY)
		return -EPIPE;

	const struct channel *ch = gmem_ptr(&vm->mem, CHANNEL_GPA, sizeof(*ch));
	if (ch->magic != CHANNEL_MAGIC || ch->version != CHANNEL_VERSION ||
	    ch->nslots != CHANNEL_SLOTS || ch->ncpus != vm->ncpus) {
		vm_fail(vm, "guest channel header is not version %u with %u slots on %u CPUs",
			CHANNEL_VERSION, CHANNEL_SLOTS, vm->ncpus);
		return -EPROTO;
	}
	for (unsigned i = 0; i < vm->ncpus; i++)
		vm->rings[i].req_prod = ch->ring[i].req_prod;
	return 0;
}

static struct vm *vm_alloc(const struct vm_config *cfg, uint64_t size)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->ncpus = cfg->nr_cpus ? cfg->nr_cpus : 1;
	vm->vcpus = calloc(vm->ncpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		free(vm);
		return NULL;
	}
	vm->cfg = *cfg;
	vm->mem.size = size;
	vm->console = cfg->console ? cfg->console : stderr;
	vm->kvm_fd = vm->vm_fd = vm->dead_fd = -1;
	for (unsigned i = 0; i < VM_MAX_VCPUS; i++) {
		vm->rings[i].doorbell_fd = vm->rings[i].notify_fd = -1;
		pthread_mutex_init(&vm->rings[i].lock, NULL);
	}
	vm->timeout_ns = (uint64_t)(cfg->request_timeout_ms ? cfg->request_timeout_ms
				    : REQUEST_TIMEOUT_S * 1000) * 1000000ull;
	pthread_mutex_init(&vm->state_lock, NULL);
	pthread_mutex_init(&vm->console_lock, NULL);
	pthread_cond_init(&vm->state_cond, NULL);
	atomic_store(&vm->state, VM_BOOTING);
	return vm;
}

static void vm_free(struct vm *vm)
{
	pthread_mutex_destroy(&vm->state_lock);
	pthread_mutex_destroy(&vm->console_lock);
	pthread_cond_destroy(&vm->state_cond);
	for (unsigned i = 0; i < VM_MAX_VCPUS; i++)
		pthread_mutex_destroy(&vm->rings[i].lock);
	free(vm->vcpus);
	free(vm);
}

/* Create vCPU id at entry and start its thread: 0 or -errno. */
static int vcpu_up(struct vm *vm, unsigned id, uint64_t entry, char *err, size_t errlen)
{
	int r = vcpu_init(&vm->vcpus[id], vm, id, entry, err, errlen);

	if (r)
		return r;
	r = vcpu_start(&vm->vcpus[id]);
	if (r) {
		vcpu_exit(&vm->vcpus[id]);
		return vm_errmsg(err, errlen, -r, "cannot start the vCPU thread: %s", strerror(-r));
	}
	atomic_store(&vm->nr_vcpus, id + 1);
	return 0;
}

/* The boot vCPU: 0, or -errno with err set and nothing left running or open. */
static int vcpus_start(struct vm *vm, uint64_t entry, char *err, size_t errlen)
{
	return vcpu_up(vm, 0, entry, err, errlen);
}

/* The other vCPUs, after CPU 0's HC_READY (shared/abi.h): 0 or -errno. */
static int vcpus_start_aps(struct vm *vm, uint64_t entry)
{
	char err[256];

	for (unsigned i = 1; i < vm->ncpus; i++) {
		if (atomic_load(&vm->state) != VM_BOOTING)
			return 0;
		int r = vcpu_up(vm, i, entry, err, sizeof err);
		if (r)
			return r;
	}
	return 0;
}

static void vcpus_stop(struct vm *vm)
{
	atomic_store(&vm->stop, true);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_exit(&vm->vcpus[i]);
	vm->nr_vcpus = 0;
}

/* errnos that vm_create gives a meaning of its own (vm.h); a KVM call
 * failing with one of them is reported as -ENODEV instead. */
static int host_errno(int r)
{
	return r == -EINVAL || r == -ENOEXEC || r == -EPIPE || r == -ETIMEDOUT ||
	       r == -EPROTO ? -ENODEV : r;
}

int vm_create(const struct vm_config *cfg, struct vm **out, char *err, size_t errlen)
{
	uint64_t size = cfg->mem_size ? cfg->mem_size : GUEST_MEM_DEFAULT;
	struct elf_image img;
	struct vm *vm;
	int r;

	*out = NULL;
	if (cfg->nr_cpus > VM_MAX_CPUS)
		return vm_errmsg(err, errlen, EINVAL, "%u CPUs asked for, at most %u",
				 cfg->nr_cpus, VM_MAX_CPUS);
	if (size < GUEST_MEM_MIN || size > GUEST_MEM_MAX || size % PAGE_SIZE_2M)
		return vm_errmsg(err, errlen, EINVAL,
				 "guest memory size %llu is not a multiple of 2 MiB between %llu MiB and %llu MiB",
				 (unsigned long long)size, GUEST_MEM_MIN >> 20, GUEST_MEM_MAX >> 20);
	/* A bad ELF is the user's input error even where KVM is missing. */
	if (elf_check(cfg->guest_path, size, NULL, err, errlen))
		return -ENOEXEC;
	vm = vm_alloc(cfg, size);
	if (!vm)
		return vm_errmsg(err, errlen, ENOMEM, "out of memory");
	r = kvm_setup(vm, err, errlen);
	if (r)
		goto err_free;
	if (elf_load(cfg->guest_path, vm->mem.ram, vm->mem.size, &img, err, errlen)) {
		r = -ENOEXEC;           /* the file changed since elf_check */
		goto err_kvm;
	}
	vm->kernel_start = img.kernel_start;
	vm->kernel_end = img.kernel_end;
	boot_write(vm);
	if (vm_tlbcheck_setup(vm) != 0) {
		r = vm_errmsg(err, errlen, ENOMEM, "out of memory");
		goto err_kvm;
	}
	r = vcpus_start(vm, img.entry, err, errlen);
	if (r)
		goto err_kvm;
	*out = vm;              /* from here on, kept even on failure for the report */
	r = wait_ready(vm, img.entry);
	if (r)
		snprintf(err, errlen, "%s", vm->failure);
	return r;

err_kvm:
	vm_tlbcheck_free(vm->tlbcheck);
	kvm_teardown(vm);
err_free:
	vm_free(vm);
	return r == -ENOEXEC ? r : host_errno(r);
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	vcpus_stop(vm);
	console_flush(vm);
	trace_host_free(vm->trace);
	vm_tlbcheck_free(vm->tlbcheck);
	kvm_teardown(vm);
	vm_free(vm);
}

struct gmem vm_gmem(struct vm *vm)
{
	return vm->mem;
}

unsigned vm_nr_cpus(const struct vm *vm)
{
	return vm->ncpus;
}

uint64_t vm_tsc_khz(struct vm *vm)
{
	int khz = ioctl(vm->vm_fd, KVM_GET_TSC_KHZ);

	return khz > 0 ? (uint64_t)khz : 0;
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
	int64_t sum = 0;

	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		int64_t n = kvm_stats_read(vm->vcpus[i].stats_fd, vm->vcpus[i].insn_offset);
		if (n < 0)
			return -1;
		sum += n;
	}
	return vm->nr_vcpus ? sum : -1;
}

int vm_translate(struct vm *vm, uint64_t gva, uint64_t *gpa, bool *valid)
{
	struct kvm_translation tr;

	if (atomic_load(&vm->state) > VM_READY)
		return -EPIPE;
	int r = vcpu_call(&vm->vcpus[0], MBOX_TRANSLATE, gva, &tr);
	if (r)
		return r;
	*gpa = tr.physical_address;
	*valid = tr.valid;
	return 0;
}
