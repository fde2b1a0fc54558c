/*
 * Helpers of the live inspection tests: boot the real guest (or skip the
 * test when $VMM_BIN/guest.elf or /dev/kvm is missing), issue requests,
 * run the checker.
 */
#ifndef TESTS_INSPECT_LIVE_H
#define TESTS_INSPECT_LIVE_H

#include <stdint.h>

#include "shared/channel.h"
#include "vmm/inspect/check.h"
#include "vmm/vm.h"

#define LIVE_UVA 0x100000000000ULL

/* Boot a VM with mem bytes of RAM (0: default); skips the test if there is
 * no guest or no KVM. */
struct vm *live_boot(uint64_t mem);

/* One request (op, mm and IN fields set); returns its result.  The test
 * fails if the guest did not answer. */
int64_t live_request(struct vm *vm, struct chan_slot *s);

/* One request in positional form: a0..a3 are the op's IN fields in the
 * order shared/channel.h declares them, out[0..1] (may be NULL) its OUT
 * fields (touch/fill/check: addr, then fault or the byte found; pte: pte,
 * level; vma_list and stats: map_count).  The test fails if the guest did
 * not answer. */
int64_t live_call(struct vm *vm, uint16_t op, uint32_t mm, uint64_t a0, uint64_t a1,
		  uint64_t a2, uint64_t a3, uint64_t out[2]);

uint32_t live_mm_new(struct vm *vm);

/* mmap with MAP_FIXED; asserts the result is addr. */
void live_mmap(struct vm *vm, uint32_t mm, uint64_t addr, uint64_t len, unsigned prot);

/* Snapshot every mm and run the checker: the number of violations, with
 * the report printed to stderr when there are any (r may be NULL). */
long live_check(struct vm *vm, struct check_report *r);

/* The PML4 of mm, from the mm table. */
uint64_t live_pml4(struct vm *vm, uint32_t mm);

#endif
