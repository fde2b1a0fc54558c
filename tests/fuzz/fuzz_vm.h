/*
 * A fake VM for the fuzz targets: it replaces vmm/vm.h's request functions
 * (vm_request, vm_failure, vm_gmem, vm_channel_data; the static libraries'
 * real ones are then not linked), so that the layers above the VM (the
 * guest backend, the guest-only commands, the control server) meet a
 * hostile guest: every answer and the guest RAM come from the fuzzer.
 */
#ifndef TESTS_FUZZ_FUZZ_VM_H
#define TESTS_FUZZ_FUZZ_VM_H

#include <stdbool.h>

#include "tests/fuzz/fuzz_bytes.h"
#include "vmm/vm.h"

struct vm {
	struct fuzz_bytes ans;   /* the guest's answers, one request at a time */
	bool failed;
	char failure[128];
	uint32_t next_id;        /* the ids default OP_MM_CREATE answers give */
	uint64_t data[CHANNEL_DATA_SIZE / 8];  /* the channel's data area */
};

/* Start a guest anew: no failure, answers from ans (RAM: fuzz_ram.h). */
void fuzz_vm_reset(struct vm *vm, struct fuzz_bytes ans);

#endif
