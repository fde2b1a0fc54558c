/*
 * Guest -> host calls (shared/hypercall.h), handled for the vm layer: the
 * vCPU run loop never calls these directly but goes through vm_io_out().
 * Internal to vmm/.
 */
#ifndef VMM_HYPERCALL_H
#define VMM_HYPERCALL_H

#include <stdint.h>

struct vm;

/* Handle a 4-byte OUT of value to port.  Returns 0 if port is one of the
 * hypercall ports (a bad call has then failed the VM with a message), or
 * -ENODEV if it is not. */
int hypercall_handle(struct vm *vm, uint16_t port, uint32_t value);

#endif
