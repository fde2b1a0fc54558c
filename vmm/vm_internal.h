/*
 * The inside of struct vm: the state of the whole machine (RAM, KVM fds,
 * life cycle and failure, console, channel).  Per-CPU state is in
 * struct vcpu (vmm/vcpu.h); guest -> host calls in vmm/hypercall.h.
 * Only the files of vmm/ that implement vm.h include this.
 */
#ifndef VMM_VM_INTERNAL_H
#define VMM_VM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/vm.h"

#define VM_MAX_VCPUS      8
#define CONSOLE_KEEP      32    /* last console lines kept for crash reports */
#define CONSOLE_LINE_MAX  512

enum vm_state { VM_BOOTING, VM_READY, VM_EXITED, VM_FAILED };

struct vcpu;

/*
 * A debugger's hold on the vCPUs (cfg.debugger; the gdb stub, vmm/gdb/).
 * Its callbacks run on the vCPU threads, except held_ns.
 */
struct vm_debugger {
	/* Before every KVM_RUN: return when cpu may run (hold it while the
	 * debugger wants the guest stopped, serving its mailbox meanwhile
	 * with vcpu_serve_mailbox, and giving up when the VM stops). */
	void (*gate)(struct vm_debugger *d, struct vcpu *cpu);
	/* A KVM_EXIT_DEBUG of cpu: true to go on (to the gate). */
	bool (*debug_exit)(struct vm_debugger *d, struct vcpu *cpu);
	/* Nanoseconds the guest has been held so far (the hold under way
	 * included): the boot and request time-outs do not count them. */
	uint64_t (*held_ns)(struct vm_debugger *d);
};

static inline uint64_t vm_held_ns(const struct vm_config *cfg)
{
	return cfg->debugger ? cfg->debugger->held_ns(cfg->debugger) : 0;
}

struct vm {
	struct vm_config cfg;
	int kvm_fd, vm_fd;
	int doorbell_fd;                /* host -> guest: irqfd on DOORBELL_GSI */
	uint64_t doorbell_rerings;      /* doorbells rung again (channel.c) */
	int notify_fd;                  /* guest -> host: ioeventfd on CHANNEL_NOTIFY_PORT */
	int dead_fd;                    /* readable once the VM has failed or exited */
	uint8_t *ram_map;               /* mmap()ed region (2 MiB-aligned inside) */
	size_t ram_map_size;
	struct gmem mem;                /* RAM view: guest-physical 0 .. size */
	uint64_t kernel_start, kernel_end;

	struct vcpu *vcpus;             /* nr_vcpus of them; vcpus[0] boots */
	unsigned nr_vcpus;

	atomic_bool stop;               /* vm_destroy: vCPU threads return */
	_Atomic int state;              /* enum vm_state */
	pthread_mutex_t state_lock;
	pthread_cond_t state_cond;
	int64_t exit_code;
	char failure[256];              /* reason, once state == VM_FAILED */
	struct vcpu *failed_vcpu;       /* whose registers the report shows */

	/* console */
	FILE *console;
	char line[CONSOLE_LINE_MAX];
	size_t line_len;
	char last[CONSOLE_KEEP][CONSOLE_LINE_MAX];
	unsigned last_next, last_count;

	/* channel, host side */
	uint32_t req_prod;              /* our copy: what we posted */
	uint64_t timeout_ns;

	struct trace_host *trace;       /* vmm/trace/vm_trace.c, NULL until used */
	struct vm_tlbcheck *tlbcheck;   /* vmm/tlbcheck/vm_tlbcheck.c, NULL unless cfg.tlblog */
};

/* ---- life cycle and failure (vm.c) ---- */

/* Write the message into err (errlen bytes) and return -e: how setup
 * functions fail ("return vm_errmsg(err, errlen, errno, ...)" passes errno
 * by value before anything can change it). */
int vm_errmsg(char *err, size_t errlen, int e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Record why the guest stopped (the first reason wins) and the registers
 * of the vCPU concerned: the calling vCPU on a vCPU thread, vCPU 0 (through
 * its mailbox) from any other thread.  The VM is then VM_FAILED. */
void vm_fail(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* On a vCPU thread: the guest asked to stop with code (HC_EXIT). */
void vm_exited(struct vm *vm, int64_t code);

/* Move to state s and wake its waiters; a final state (VM_EXITED,
 * VM_FAILED) also stops every vCPU and makes dead_fd readable. */
void vm_set_state(struct vm *vm, enum vm_state s);

/*
 * The one way a vCPU hands a port write to the rest of the VM: size bytes
 * of value written to port.  Returns 0 if handled (the vCPU then goes on
 * while the VM is booting or ready), -ENODEV if nothing is at that port.
 */
int vm_io_out(struct vm *vm, uint16_t port, unsigned size, uint32_t value);

/* ---- KVM plumbing (kvm.c) ---- */

/* /dev/kvm, the VM, its RAM, the interrupt controllers, the doorbell and
 * the answer notification.  0, or -errno with a message in err; on failure
 * everything acquired so far is released again. */
int kvm_setup(struct vm *vm, char *err, size_t errlen);
/* Release what kvm_setup acquired (after every vCPU is gone). */
void kvm_teardown(struct vm *vm);

/* ---- boot.c: boot_info and the boot page tables in guest RAM ---- */
void boot_write(struct vm *vm);

/* ---- console.c ---- */
/* Guest console bytes: whole lines are printed and kept. */
void console_write(struct vm *vm, const char *buf, size_t len);
/* Print (and keep) a pending partial line. */
void console_flush(struct vm *vm);
/* The last console lines kept, for the crash report. */
void console_print_last(struct vm *vm, FILE *f);

#endif
