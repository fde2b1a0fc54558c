/*
 * One vCPU (vmm/vcpu.h): creating it in 64-bit mode, its thread (KVM_RUN in
 * a loop, every way a guest can stop), and its mailbox: other threads get
 * work done on this thread (KVM_TRANSLATE must run here) after kicking it
 * out of KVM_RUN with a signal.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shared/layout.h"
#include "vmm/kvm_stats.h"
#include "vmm/vcpu.h"
#include "vmm/vm_internal.h"

#define KICK_SIGNAL SIGUSR1
#define RFLAGS_AC   (1ULL << 18)

#define ERR(e, ...) vm_errmsg(err, errlen, (e), __VA_ARGS__)

static __thread struct vcpu *self;

struct vcpu *vcpu_self(void)
{
	return self;
}

/* CPUID as KVM supports it, with this vCPU's APIC id and x2APIC advertised. */
static int cpuid_setup(struct vcpu *cpu, char *err, size_t errlen)
{
	int n = 128, e;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(struct kvm_cpuid_entry2));

	if (!c)
		return ERR(ENOMEM, "out of memory");
	c->nent = n;
	if (ioctl(cpu->vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		e = errno;
		free(c);
		return ERR(e, "KVM_GET_SUPPORTED_CPUID: %s", strerror(e));
	}
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *ent = &c->entries[i];
		if (ent->function == 1) {
			ent->ebx = (ent->ebx & 0x00ffffff) | (cpu->id << 24);   /* APIC id */
			ent->ecx |= 1u << 21;                                   /* x2APIC */
		}
		if (ent->function == 0xb || ent->function == 0x1f)
			ent->edx = cpu->id;                                     /* x2APIC id */
	}
	int r = ioctl(cpu->fd, KVM_SET_CPUID2, c);
	e = errno;
	free(c);
	if (r < 0)
		return ERR(e, "KVM_SET_CPUID2: %s", strerror(e));
	return 0;
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = code ? 0 : 1, .s = 1, .l = code ? 1 : 0, .g = 1,
	};
}

/* Long mode straight away: the entry state of shared/abi.h (RSI = the id). */
static int regs_setup(struct vcpu *cpu, uint64_t entry, char *err, size_t errlen)
{
	struct kvm_sregs s;

	if (ioctl(cpu->fd, KVM_GET_SREGS, &s) < 0)
		return ERR(errno, "KVM_GET_SREGS: %s", strerror(errno));
	set_seg(&s.cs, 0x08, 11, 1);
	set_seg(&s.ds, 0x10, 3, 0);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.cr0 = 0x80050033;                  /* PG WP AM NE ET MP PE */
	s.cr3 = BOOT_PML4_GPA;
	s.cr4 = 0x20;                        /* PAE */
	s.efer = 0xd00;                      /* NXE LMA LME */
	if (ioctl(cpu->fd, KVM_SET_SREGS, &s) < 0)
		return ERR(errno, "KVM_SET_SREGS: %s", strerror(errno));

	struct kvm_regs r = { .rip = entry, .rdi = BOOT_INFO_GPA, .rsi = cpu->id, .rflags = 0x2 };
	if (ioctl(cpu->fd, KVM_SET_REGS, &r) < 0)
		return ERR(errno, "KVM_SET_REGS: %s", strerror(errno));
	/* With the in-kernel LAPIC an AP waits for INIT/SIPI: it enters at
	 * entry like the boot CPU instead (shared/abi.h). */
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	if (cpu->id != 0 && ioctl(cpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		return ERR(errno, "KVM_SET_MP_STATE: %s", strerror(errno));
	return 0;
}

static void mailbox_init(struct vcpu_mailbox *mb)
{
	pthread_mutex_init(&mb->lock, NULL);
	pthread_mutex_init(&mb->user, NULL);
	pthread_cond_init(&mb->done_cond, NULL);
}

static void mailbox_destroy(struct vcpu_mailbox *mb)
{
	pthread_mutex_destroy(&mb->lock);
	pthread_mutex_destroy(&mb->user);
	pthread_cond_destroy(&mb->done_cond);
}

int vcpu_init(struct vcpu *cpu, struct vm *vm, unsigned id, uint64_t entry,
	      char *err, size_t errlen)
{
	int r;

	*cpu = (struct vcpu){ .vm = vm, .id = id, .stats_fd = -1, .insn_offset = -1 };
	cpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (cpu->fd < 0)
		return ERR(errno, "KVM_CREATE_VCPU: %s", strerror(errno));
	int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run)) {
		r = ERR(sz < 0 ? errno : EINVAL, "KVM_GET_VCPU_MMAP_SIZE: %s",
			sz < 0 ? strerror(errno) : "too small");
		goto err_fd;
	}
	cpu->run_size = (size_t)sz;
	cpu->run = mmap(NULL, cpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu->fd, 0);
	if (cpu->run == MAP_FAILED) {
		r = ERR(errno, "mmap of kvm_run: %s", strerror(errno));
		goto err_fd;
	}
	r = cpuid_setup(cpu, err, errlen);
	if (!r)
		r = regs_setup(cpu, entry, err, errlen);
	if (r)
		goto err_run;
	/* The instruction counter is optional (vm_insn_count says -1). */
	kvm_stats_open(cpu->fd, "insn_emulation", &cpu->stats_fd, &cpu->insn_offset);
	mailbox_init(&cpu->mbox);
	return 0;

err_run:
	munmap(cpu->run, cpu->run_size);
err_fd:
	close(cpu->fd);
	cpu->fd = -1;
	cpu->run = NULL;
	return r;
}

void vcpu_exit(struct vcpu *cpu)
{
	if (cpu->fd < 0)
		return;
	mailbox_destroy(&cpu->mbox);
	if (cpu->stats_fd >= 0)
		close(cpu->stats_fd);
	munmap(cpu->run, cpu->run_size);
	close(cpu->fd);
	cpu->fd = -1;
}

int vcpu_save_regs(struct vcpu *cpu)
{
	int r = 0;

	if (ioctl(cpu->fd, KVM_GET_REGS, &cpu->fail_regs) < 0 ||
	    ioctl(cpu->fd, KVM_GET_SREGS, &cpu->fail_sregs) < 0)
		r = -errno;
	cpu->fail_regs_valid = r == 0;
	return r;
}

/*
 * KVM_TRANSLATE walks as the kernel would; with SMAP on, that refuses every
 * user page.  Set RFLAGS.AC (as the kernel does to reach user memory) for
 * the walk and restore it: the vCPU is stopped, so nothing else sees it.
 */
static int translate_user_visible(struct vcpu *cpu, uint64_t gva, struct kvm_translation *tr)
{
	struct kvm_regs regs;
	bool set_ac = ioctl(cpu->fd, KVM_GET_REGS, &regs) == 0 && !(regs.rflags & RFLAGS_AC);
	int ret = 0;

	if (set_ac) {
		regs.rflags |= RFLAGS_AC;
		set_ac = ioctl(cpu->fd, KVM_SET_REGS, &regs) == 0;
	}
	memset(tr, 0, sizeof(*tr));
	tr->linear_address = gva;
	if (ioctl(cpu->fd, KVM_TRANSLATE, tr) < 0)
		ret = -errno;
	if (set_ac) {
		regs.rflags &= ~RFLAGS_AC;
		if (ioctl(cpu->fd, KVM_SET_REGS, &regs) != 0)
			vm_fail(cpu->vm, "KVM_SET_REGS after KVM_TRANSLATE failed");
	}
	return ret;
}

void vcpu_serve_mailbox(struct vcpu *cpu)
{
	struct vcpu_mailbox *mb = &cpu->mbox;

	pthread_mutex_lock(&mb->lock);
	if (mb->pending) {
		if (mb->kind == MBOX_TRANSLATE)
			mb->ret = translate_user_visible(cpu, mb->gva, &mb->tr);
		else
			mb->ret = vcpu_save_regs(cpu);
		mb->pending = false;
		mb->done = true;
		pthread_cond_broadcast(&mb->done_cond);
	}
	pthread_mutex_unlock(&mb->lock);
}

/* Answer anyone still waiting on the mailbox, and close it. */
static void mailbox_close(struct vcpu_mailbox *mb)
{
	pthread_mutex_lock(&mb->lock);
	mb->closed = true;
	if (mb->pending) {
		mb->pending = false;
		mb->done = true;
		mb->ret = -EPIPE;
		pthread_cond_broadcast(&mb->done_cond);
	}
	pthread_mutex_unlock(&mb->lock);
}

int vcpu_call(struct vcpu *cpu, enum mbox_kind kind, uint64_t gva, struct kvm_translation *tr)
{
	struct vcpu_mailbox *mb = &cpu->mbox;
	int ret;

	pthread_mutex_lock(&mb->user);
	pthread_mutex_lock(&mb->lock);
	if (mb->closed) {
		pthread_mutex_unlock(&mb->lock);
		pthread_mutex_unlock(&mb->user);
		return -EPIPE;
	}
	mb->kind = kind;
	mb->gva = gva;
	mb->pending = true;
	mb->done = false;
	pthread_mutex_unlock(&mb->lock);
	vcpu_kick(cpu);
	pthread_mutex_lock(&mb->lock);
	while (!mb->done)
		pthread_cond_wait(&mb->done_cond, &mb->lock);
	ret = mb->ret;
	if (tr)
		*tr = mb->tr;
	pthread_mutex_unlock(&mb->lock);
	pthread_mutex_unlock(&mb->user);
	return ret;
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_SHUTDOWN: return "triple fault (KVM_EXIT_SHUTDOWN)";
	case KVM_EXIT_HLT: return "hlt with interrupts off (KVM_EXIT_HLT)";
	case KVM_EXIT_FAIL_ENTRY: return "VM entry failed (KVM_EXIT_FAIL_ENTRY)";
	case KVM_EXIT_DEBUG: return "debug exit (KVM_EXIT_DEBUG)";
	case KVM_EXIT_EXCEPTION: return "exception (KVM_EXIT_EXCEPTION)";
	case KVM_EXIT_SYSTEM_EVENT: return "system event (KVM_EXIT_SYSTEM_EVENT)";
	default: return "unexpected exit";
	}
}

/* A port I/O exit: writes go to the vm layer; anything it does not take
 * (and every read) stops the guest. */
static bool handle_io(struct vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	struct vm *vm = cpu->vm;

	if (run->io.direction == KVM_EXIT_IO_OUT && run->io.count == 1 &&
	    (run->io.size == 1 || run->io.size == 2 || run->io.size == 4) &&
	    run->io.data_offset <= cpu->run_size - run->io.size) {
		uint32_t v = 0;
		memcpy(&v, (uint8_t *)run + run->io.data_offset, run->io.size);
		if (vm_io_out(vm, run->io.port, run->io.size, v) == 0)
			return atomic_load(&vm->state) <= VM_READY;
	}
	vm_fail(vm, "unexpected I/O: %s of %u byte(s) x%u at port 0x%x",
		run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.size,
		run->io.count, run->io.port);
	return false;
}

/* Handle one exit; false when the guest is done (stopped or failed). */
static bool handle_exit(struct vcpu *cpu)
{
	struct kvm_run *run = cpu->run;
	struct vm *vm = cpu->vm;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		return handle_io(cpu);
	case KVM_EXIT_MMIO:
		vm_fail(vm, "unexpected MMIO %s of %u bytes at guest-physical 0x%llx (outside RAM)",
			run->mmio.is_write ? "write" : "read", run->mmio.len,
			(unsigned long long)run->mmio.phys_addr);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vm_fail(vm, "KVM internal error, suberror %u%s (an instruction the emulator cannot run?)",
			run->internal.suberror,
			run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (emulation failure)" : "");
		return false;
	case KVM_EXIT_DEBUG:
		if (vm->cfg.debugger)
			return vm->cfg.debugger->debug_exit(vm->cfg.debugger, cpu);
		vm_fail(vm, "%s", exit_name(run->exit_reason));
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vm_fail(vm, "%s, hardware reason 0x%llx", exit_name(run->exit_reason),
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return false;
	default:
		vm_fail(vm, "%s (exit reason %u)", exit_name(run->exit_reason), run->exit_reason);
		return false;
	}
}

static void *vcpu_main(void *arg)
{
	struct vcpu *cpu = arg;
	struct vm *vm = cpu->vm;
	sigset_t set;

	self = cpu;
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&vm->stop)) {
		if (vm->cfg.debugger) {
			vm->cfg.debugger->gate(vm->cfg.debugger, cpu);
			if (atomic_load(&vm->stop) || atomic_load(&vm->state) > VM_READY)
				break;
		}
		int r = ioctl(cpu->fd, KVM_RUN, 0);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&cpu->run->immediate_exit, 0, __ATOMIC_RELAXED);
				vcpu_serve_mailbox(cpu);
				if (atomic_load(&vm->state) > VM_READY)
					break;
				continue;
			}
			vm_fail(vm, "KVM_RUN: %s", strerror(errno));
			break;
		}
		if (!handle_exit(cpu))
			break;
	}
	mailbox_close(&cpu->mbox);
	return NULL;
}

static void kick_handler(int sig)
{
	(void)sig;
}

int vcpu_start(struct vcpu *cpu)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigset_t set, old;

	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL);
	/* Only vCPU threads take the kick signal. */
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	int r = pthread_create(&cpu->thread, NULL, vcpu_main, cpu);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	cpu->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *cpu)
{
	if (!cpu->thread_started)
		return;
	/* Another thread's store into the run area: atomic, as KVM's own
	 * selftests treat it; the signal then interrupts a KVM_RUN in progress. */
	__atomic_store_n(&cpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(cpu->thread, KICK_SIGNAL);
}

void vcpu_join(struct vcpu *cpu)
{
	if (!cpu->thread_started)
		return;
	vcpu_kick(cpu);
	pthread_join(cpu->thread, NULL);
	cpu->thread_started = false;
}
