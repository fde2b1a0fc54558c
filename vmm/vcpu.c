/*
 * The vCPU thread: KVM_RUN in a loop, hypercalls, and every way a guest can
 * stop.  Other threads reach it through the mailbox (KVM_TRANSLATE must run
 * on this thread) after kicking it out of KVM_RUN with a signal.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/vm_internal.h"

#define KICK_SIGNAL SIGUSR1
#define RFLAGS_AC   (1ULL << 18)

void vm_set_state(struct vm *vm, enum vm_state s)
{
	pthread_mutex_lock(&vm->state_lock);
	atomic_store(&vm->state, (int)s);
	pthread_cond_broadcast(&vm->state_cond);
	pthread_mutex_unlock(&vm->state_lock);
}

/* On the vCPU thread: keep its registers for the crash report.  0 or -1. */
int vcpu_save_regs(struct vm *vm)
{
	vm->fail_regs_valid = ioctl(vm->vcpu_fd, KVM_GET_REGS, &vm->fail_regs) == 0 &&
			      ioctl(vm->vcpu_fd, KVM_GET_SREGS, &vm->fail_sregs) == 0;
	return vm->fail_regs_valid ? 0 : -1;
}

/* Record why the guest stopped (first reason wins) and its registers:
 * directly on the vCPU thread, through the mailbox from any other. */
void vm_fail(struct vm *vm, const char *fmt, ...)
{
	bool on_vcpu = vm->thread_started && pthread_equal(pthread_self(), vm->vcpu_thread);

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
	if (on_vcpu) {
		vcpu_save_regs(vm);
		console_flush(vm);
	} else if (vm->thread_started) {
		vcpu_request(vm, MBOX_REGS, 0, NULL);
	}
	vm_set_state(vm, VM_FAILED);
}

static void kick_handler(int sig)
{
	(void)sig;
}

/*
 * KVM_TRANSLATE walks as the kernel would; with SMAP on, that refuses every
 * user page.  Set RFLAGS.AC (as the kernel does to reach user memory) for
 * the walk and restore it: the vCPU is stopped, so nothing else sees it.
 */
static int translate_user_visible(struct vm *vm, uint64_t gva, struct kvm_translation *tr)
{
	struct kvm_regs regs;
	bool set_ac = ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) == 0 && !(regs.rflags & RFLAGS_AC);
	int ret;

	if (set_ac) {
		regs.rflags |= RFLAGS_AC;
		set_ac = ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) == 0;
	}
	memset(tr, 0, sizeof(*tr));
	tr->linear_address = gva;
	ret = ioctl(vm->vcpu_fd, KVM_TRANSLATE, tr);
	if (set_ac) {
		regs.rflags &= ~RFLAGS_AC;
		if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) != 0)
			vm_fail(vm, "KVM_SET_REGS after KVM_TRANSLATE failed");
	}
	return ret;
}

static void mailbox_serve(struct vm *vm)
{
	struct vcpu_mailbox *mb = &vm->mbox;

	pthread_mutex_lock(&mb->lock);
	if (mb->pending) {
		if (mb->kind == MBOX_TRANSLATE) {
			mb->ret = translate_user_visible(vm, mb->gva, &mb->tr);
		} else {
			mb->ret = vcpu_save_regs(vm);
		}
		mb->pending = false;
		mb->done = true;
		pthread_cond_broadcast(&mb->done_cond);
	}
	pthread_mutex_unlock(&mb->lock);
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

/* Handle one exit; false when the guest is done (stopped or failed). */
static bool handle_exit(struct vm *vm)
{
	struct kvm_run *run = vm->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 4 && run->io.count == 1 &&
		    run->io.data_offset <= vm->run_size - 4) {
			uint32_t v;
			memcpy(&v, (uint8_t *)run + run->io.data_offset, 4);
			if (hypercall_handle(vm, run->io.port, v))
				return atomic_load(&vm->state) <= VM_READY;
		}
		vm_fail(vm, "unexpected I/O: %s of %u byte(s) x%u at port 0x%x",
			run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in", run->io.size,
			run->io.count, run->io.port);
		return false;
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
	struct vm *vm = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&vm->stop)) {
		int r = ioctl(vm->vcpu_fd, KVM_RUN, 0);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vm->run->immediate_exit = 0;
				mailbox_serve(vm);
				if (atomic_load(&vm->state) == VM_FAILED)
					break;
				continue;
			}
			vm_fail(vm, "KVM_RUN: %s", strerror(errno));
			break;
		}
		if (!handle_exit(vm))
			break;
	}
	/* Answer anyone still waiting on the mailbox, and close it. */
	pthread_mutex_lock(&vm->mbox.lock);
	vm->mbox.closed = true;
	if (vm->mbox.pending) {
		vm->mbox.pending = false;
		vm->mbox.done = true;
		vm->mbox.ret = -1;
		pthread_cond_broadcast(&vm->mbox.done_cond);
	}
	pthread_mutex_unlock(&vm->mbox.lock);
	return NULL;
}

int vcpu_start(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigset_t set, old;

	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL);
	/* Only the vCPU thread takes the kick signal. */
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	int r = pthread_create(&vm->vcpu_thread, NULL, vcpu_main, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -1;
	vm->thread_started = true;
	return 0;
}

/* Make the vCPU thread leave KVM_RUN soon (it re-enters unless stopping). */
void vcpu_kick(struct vm *vm)
{
	vm->run->immediate_exit = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_kill(vm->vcpu_thread, KICK_SIGNAL);
}

/* Have the vCPU thread do kind (on gva) between two KVM_RUNs and wait for
 * it; a translation is copied to *tr before the next request can start.
 * Returns the ioctl's result, or -1 if the thread has stopped. */
int vcpu_request(struct vm *vm, enum mbox_kind kind, uint64_t gva, struct kvm_translation *tr)
{
	struct vcpu_mailbox *mb = &vm->mbox;
	int ret;

	pthread_mutex_lock(&vm->mbox_user);
	pthread_mutex_lock(&mb->lock);
	if (mb->closed) {
		pthread_mutex_unlock(&mb->lock);
		pthread_mutex_unlock(&vm->mbox_user);
		return -1;
	}
	mb->kind = kind;
	mb->gva = gva;
	mb->pending = true;
	mb->done = false;
	pthread_mutex_unlock(&mb->lock);
	vcpu_kick(vm);
	pthread_mutex_lock(&mb->lock);
	while (!mb->done)
		pthread_cond_wait(&mb->done_cond, &mb->lock);
	ret = mb->ret;
	if (tr)
		*tr = mb->tr;
	pthread_mutex_unlock(&mb->lock);
	pthread_mutex_unlock(&vm->mbox_user);
	return ret;
}

int vm_translate(struct vm *vm, uint64_t gva, uint64_t *gpa, bool *valid)
{
	struct kvm_translation tr;

	if (atomic_load(&vm->state) > VM_READY || vcpu_request(vm, MBOX_TRANSLATE, gva, &tr) < 0)
		return -1;
	*gpa = tr.physical_address;
	*valid = tr.valid;
	return 0;
}
