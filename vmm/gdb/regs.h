/*
 * KVM's registers in the layout of the stub's `g` packet (vmm/gdb/tdesc.h)
 * and back.  Only the general registers, rip and eflags can be written:
 * a write that would change anything else (a selector, a control
 * register, x87/SSE state the guest does not use) is refused.
 */
#ifndef VMM_GDB_REGS_H
#define VMM_GDB_REGS_H

#include <linux/kvm.h>
#include <stdint.h>

#include "vmm/gdb/tdesc.h"

void gdb_regs_from_kvm(const struct kvm_regs *r, const struct kvm_sregs *s, uint8_t *out);

/* Apply the file in to *r (its current value on entry; s the current
 * special registers): 0, or -EPERM if a register outside the writable
 * ones would change (*r is then unchanged). */
int gdb_regs_to_kvm(const uint8_t *in, struct kvm_regs *r, const struct kvm_sregs *s);

#endif
