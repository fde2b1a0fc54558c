/*
 * One virtual machine running one guest kernel: the host-side API used by
 * vmm's main program, the scenario runner, the control socket, the tests and
 * the benchmarks.
 */
#ifndef VMM_VM_H
#define VMM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/channel.h"
#include "vmm/gmem.h"

struct vm;
struct vm_debugger;

/* Most CPUs a VM can have (vmm --cpus): the channel's rings. */
#define VM_MAX_CPUS CHANNEL_MAX_CPUS
/* The CPUs of vmm_boot with vmm_config.cpus 0: as vmm without --cpus
 * (VMM_DEFAULT_CPUS of vmm's options). */
#define VM_DEFAULT_CPUS 2

struct vm_config {
	const char *guest_path;   /* guest kernel ELF */
	uint64_t mem_size;        /* bytes of RAM; 0 = GUEST_MEM_DEFAULT */
	unsigned nr_cpus;         /* vCPUs, 1 .. VM_MAX_CPUS; 0 = 1 */
	FILE *console;            /* where guest console lines go (NULL: stderr) */
	bool quiet;               /* drop guest console output */
	uint32_t boot_timeout_ms; /* until the guest reports ready; 0 = 20 s */
	uint32_t request_timeout_ms; /* per vm_request, without progress: a request
	                             * is given up only after this long without its
	                             * guest's progress counter moving; 0 = 120 s */
	FILE *progress;           /* a progress line ("\r...") for requests that
	                             run over 1 s (a terminal); NULL: none */
	struct vm_debugger *debugger; /* holds and resumes the vCPUs (vmm/gdb/); NULL: none */
	bool tlblog;              /* the guest keeps its TLB-coherence log and the host
				   * replays it after every request (vmm/tlbcheck/) */
};

/*
 * Load the guest, create the VM, start its boot vCPU, wait until the guest
 * reports ready, then start the other vCPUs and wait until each reports
 * online.  Returns 0 and *out, or a negative errno with a message
 * (naming the file and the problem) in err:
 *   -EINVAL     cfg is unusable (memory size, CPU count); *out stays NULL
 *   -ENOEXEC    the guest ELF cannot be read or is not a kernel for this
 *               vmm (docs/elf-loading.md); *out stays NULL
 *   -EPIPE      the guest crashed, panicked or exited during boot
 *   -ETIMEDOUT  the guest did not get ready in time
 *   -EPROTO     the guest's channel is not the one this host speaks
 *               (for these three *out is the failed VM, kept for
 *               vm_report_failure; vm_destroy it)
 *   other       the host could not set the VM up (/dev/kvm, memory,
 *               threads): the errno of the failing call, -ENODEV where that
 *               errno is one of the above; *out stays NULL.  For /dev/kvm
 *               the message has several lines: the cause and what to do
 *               (vmm/kvm_diag.h)
 * Only vmm's main turns these into exit statuses.
 */
int vm_create(const struct vm_config *cfg, struct vm **out, char *err, size_t errlen);

/* Stop the vCPUs and free everything.  NULL is allowed. */
void vm_destroy(struct vm *vm);

/* Post one request (req->op, req->mm and the IN fields of its union member
 * set by the caller) to CPU 0's ring, ring its doorbell and wait for the
 * guest's answer (vm_request_on with cpu 0).
 * Returns 0 when the guest answered: req->result then holds the guest's
 * result, checked to be >= -CHAN_ERRNO_MAX (a value, 0, or -errno), and the
 * OUT fields are filled.  Returns a negative errno when there is no answer,
 * which can never be mistaken for a guest result because it is not in req:
 *   -EPIPE      the VM had already failed or exited (vm_failure() says why)
 *   -ETIMEDOUT  the guest stopped answering (the VM is marked failed)
 *   -EPROTO     the guest broke the protocol: a result below -CHAN_ERRNO_MAX,
 *               more responses than requests... (the VM is marked failed)
 *   -EINVAL     a bad call (n == 0 or n > CHANNEL_SLOTS)
 * Not thread-safe: callers serialise. */
int vm_request(struct vm *vm, struct chan_slot *req);
/* The same for n requests rung with one doorbell (n <= CHANNEL_SLOTS). */
int vm_request_batch(struct vm *vm, struct chan_slot *reqs, unsigned n);
/*
 * The one request path: n requests on CPU cpu's ring, rung with one
 * doorbell; they run on that CPU, in order.  Results as vm_request, and
 * -EINVAL for cpu >= vm_nr_cpus().  Threads may drive different CPUs at
 * once; calls for one CPU are serialised inside (a lock per ring).
 */
int vm_request_on(struct vm *vm, unsigned cpu, struct chan_slot *reqs, unsigned n);

/* The CPUs the VM was created with (all online once vm_create returned 0). */
unsigned vm_nr_cpus(const struct vm *vm);
/* The guest's TSC frequency in kHz (KVM_GET_TSC_KHZ), 0 if KVM does not say. */
uint64_t vm_tsc_khz(struct vm *vm);

/* A read-only view of guest RAM for inspection (valid until vm_destroy). */
struct gmem vm_gmem(struct vm *vm);

/* The host address of CPU 0's data window of the channel (for OP_VMA_LIST
 * results), and of CPU cpu's (NULL for cpu >= VM_MAX_CPUS). */
void *vm_channel_data(struct vm *vm);
void *vm_channel_data_on(struct vm *vm, unsigned cpu);

/* NULL while the guest is healthy; otherwise a one-line reason. */
const char *vm_failure(struct vm *vm);

/* Print the full crash report (reason, registers, CR2 and CR3, page walk
 * of RIP, last console lines) to f. */
void vm_report_failure(struct vm *vm, FILE *f);

/* KVM stats counter "insn_emulation" (emulated guest ring-0 instructions)
 * summed over the vCPUs, or -1 if unavailable. */
int64_t vm_insn_count(struct vm *vm);
/* How many times a waiting caller rang a doorbell again because no
 * answer came for 20 ms (vmm/channel.c: a lost edge interrupt or a slow
 * guest), over all rings. */
uint64_t vm_doorbell_rerings(struct vm *vm);

/* Translate a guest-virtual address with KVM_TRANSLATE on vCPU 0's thread
 * (through the page tables it runs on).  Returns 0 with *gpa and *valid
 * set, -EPIPE if the VM is no longer running, or KVM_TRANSLATE's -errno. */
int vm_translate(struct vm *vm, uint64_t gva, uint64_t *gpa, bool *valid);

#endif
