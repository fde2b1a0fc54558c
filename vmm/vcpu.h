/*
 * One virtual CPU: its KVM fd and run area, the thread that runs it, the
 * mailbox through which other threads get work done on that thread, and the
 * registers captured when the VM failed.  struct vm holds an array of them
 * (one today), so that more CPUs add instances, not fields.
 *
 * Internal to the vm layer (vm.c, kvm.c, crash.c, vcpu.c).  The vCPU knows
 * nothing of hypercalls: its run loop hands every port write to the vm
 * layer's vm_io_out() (vm_internal.h).
 */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* Work the vCPU thread does for others between two KVM_RUNs. */
enum mbox_kind { MBOX_TRANSLATE, MBOX_REGS };

struct vcpu_mailbox {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool pending, done, closed;
	enum mbox_kind kind;
	uint64_t gva;                   /* IN: KVM_TRANSLATE request */
	struct kvm_translation tr;      /* OUT */
	int ret;                        /* OUT: 0 or -errno */
	pthread_mutex_t user;           /* one request at a time */
};

struct vcpu {
	struct vm *vm;
	unsigned id;                    /* KVM vCPU id = APIC id */
	int fd;
	struct kvm_run *run;
	size_t run_size;
	int stats_fd;                   /* KVM stats fd, or -1 */
	int64_t insn_offset;            /* of insn_emulation in it, or -1 */

	pthread_t thread;
	bool thread_started;
	struct vcpu_mailbox mbox;

	/* Registers when the VM failed or exited (crash report). */
	struct kvm_regs fail_regs;
	struct kvm_sregs fail_sregs;
	bool fail_regs_valid;
};

/*
 * Create vCPU id of vm in 64-bit mode at entry (boot contract of
 * shared/abi.h): fd, run area, CPUID, registers, stats counter.  Returns 0,
 * or -errno with a message in err; on failure nothing is left to release.
 */
int vcpu_init(struct vcpu *cpu, struct vm *vm, unsigned id, uint64_t entry,
	      char *err, size_t errlen);

/* Start the thread that runs cpu.  0 or -errno. */
int vcpu_start(struct vcpu *cpu);

/* Stop the thread (if started) and wait for it.  The VM must be stopping
 * (vm->stop set) or done; safe to call on a vCPU never started. */
void vcpu_join(struct vcpu *cpu);

/* Release what vcpu_init acquired (after vcpu_join). */
void vcpu_exit(struct vcpu *cpu);

/* Make cpu's thread leave KVM_RUN soon (it re-enters unless stopping). */
void vcpu_kick(struct vcpu *cpu);

/* The vCPU whose thread calls this, or NULL on any other thread. */
struct vcpu *vcpu_self(void);

/*
 * Have cpu's thread do kind (on gva) between two KVM_RUNs and wait for it.
 * A translation is copied to *tr under the mailbox lock, before the next
 * request can overwrite it.  Returns 0, the ioctl's -errno, or -EPIPE if
 * the thread has stopped.
 */
int vcpu_call(struct vcpu *cpu, enum mbox_kind kind, uint64_t gva, struct kvm_translation *tr);

/* On cpu's own thread: do the mailbox's pending request, if any (for a
 * debugger holding the vCPU, struct vm_debugger). */
void vcpu_serve_mailbox(struct vcpu *cpu);

/* On cpu's own thread: keep its registers for the crash report.  0 or -errno. */
int vcpu_save_regs(struct vcpu *cpu);

#endif
