/*
 * The inside of struct vm, shared by the vmm/ files that implement vm.h.
 * Only the files of vmm/ that implement vm.h include this.
 */
#ifndef VMM_VM_INTERNAL_H
#define VMM_VM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/vm.h"

#define CONSOLE_KEEP      32    /* last console lines kept for crash reports */
#define CONSOLE_LINE_MAX  512

enum vm_state { VM_BOOTING, VM_READY, VM_EXITED, VM_FAILED };

/* Work the vCPU thread does for others between two KVM_RUNs. */
enum mbox_kind { MBOX_TRANSLATE, MBOX_REGS };

struct vcpu_mailbox {
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool pending, done, closed;
	enum mbox_kind kind;
	uint64_t gva;                   /* IN: KVM_TRANSLATE request */
	struct kvm_translation tr;      /* OUT */
	int ret;
};

struct vm {
	struct vm_config cfg;
	int kvm_fd, vm_fd, vcpu_fd, doorbell_fd, stats_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram_map;               /* mmap()ed region (2 MiB-aligned inside) */
	size_t ram_map_size;
	struct gmem mem;                /* RAM view: guest-physical 0 .. size */
	uint64_t kernel_start, kernel_end;
	int64_t insn_offset;            /* in the stats fd, or -1 */

	pthread_t vcpu_thread;
	bool thread_started;
	atomic_bool stop;
	_Atomic int state;              /* enum vm_state */
	pthread_mutex_t state_lock;
	pthread_cond_t state_cond;
	int64_t exit_code;
	char failure[256];              /* reason, once state == VM_FAILED */
	struct kvm_regs fail_regs;
	struct kvm_sregs fail_sregs;
	bool fail_regs_valid;

	struct vcpu_mailbox mbox;
	pthread_mutex_t mbox_user;      /* one mailbox request at a time */

	/* console */
	FILE *console;
	char line[CONSOLE_LINE_MAX];
	size_t line_len;
	char last[CONSOLE_KEEP][CONSOLE_LINE_MAX];
	unsigned last_next, last_count;

	/* channel, host side */
	uint32_t req_prod;              /* our copy: what we posted */
	uint64_t timeout_ns;
};

/* kvm.c */
int kvm_setup(struct vm *vm, char *err, size_t errlen);
int kvm_setup_vcpu(struct vm *vm, uint64_t entry, char *err, size_t errlen);
void kvm_teardown(struct vm *vm);

/* boot.c: boot_info and the boot page tables in guest RAM. */
void boot_write(struct vm *vm);

/* vcpu.c */
int vcpu_start(struct vm *vm);
void vcpu_kick(struct vm *vm);
int vcpu_request(struct vm *vm, enum mbox_kind kind, uint64_t gva, struct kvm_translation *tr);
int vcpu_save_regs(struct vm *vm);
void vm_fail(struct vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vm_set_state(struct vm *vm, enum vm_state s);

/* hypercall.c: handle an OUT to a hypercall port; false if the port is not ours. */
bool hypercall_handle(struct vm *vm, uint16_t port, uint32_t value);

/* console.c */
void console_write(struct vm *vm, const char *buf, size_t len);
void console_flush(struct vm *vm);
void console_print_last(struct vm *vm, FILE *f);

#endif
