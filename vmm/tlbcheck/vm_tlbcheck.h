/*
 * The TLB-coherence checker of one VM (vm_tlbcheck.c): on when its
 * vm_config asks for the log (tlblog; vmm --check), fed after every answered
 * request and on demand, its state kept for the VM's life.  Thread-safe.
 */
#ifndef VMM_TLBCHECK_VM_TLBCHECK_H
#define VMM_TLBCHECK_VM_TLBCHECK_H

#include <stdio.h>

#include "vmm/tlbcheck/tlbcheck.h"

struct vm;
struct vm_tlbcheck;

/* Before boot (vm_create): ask the guest for the log if cfg.tlblog and
 * set up the host's state.  0, or -ENOMEM. */
int vm_tlbcheck_setup(struct vm *vm);
void vm_tlbcheck_free(struct vm_tlbcheck *t);

/* Read and replay what the guest logged since the last call (nothing if
 * the log is off). */
void vm_tlbcheck_drain(struct vm *vm);

/* Drain, then the verdict with its message and counts (TLBV_OFF with a
 * message saying how to turn it on when the VM keeps no log). */
enum tlbcheck_verdict vm_tlbcheck(struct vm *vm, char *msg, size_t len, struct tlbcheck_counts *c);

/*
 * vmm --check after every executed line: drain, and if a violation was
 * found or the log refused since the last call, print its message to err
 * and return 1; "not proven" (lost events, capacity) is printed once and
 * does not fail; otherwise 0.
 */
int vm_tlbcheck_step(struct vm *vm, FILE *err);

#endif
