/*
 * Helpers of tests/smp/: a guest booted with several CPUs, requests on a
 * given CPU (every one must be answered), and the per-CPU TLB state the
 * guest publishes (struct mm_cpu_tlb in the mm table).
 */
#ifndef TESTS_SMP_SMP_TEST_H
#define TESTS_SMP_SMP_TEST_H

#include <stdint.h>

#include "shared/channel.h"
#include "shared/mm_abi.h"
#include "tests/vm/vm_test.h"

#define WIN 0x100000000000ULL
#define PG  0x1000ULL

/* Boot the real guest with ncpus CPUs into t (with the TLB-coherence log
 * if tlblog); asserts it is ready. */
void smp_boot(struct tvm *t, unsigned ncpus, bool tlblog);

/* One request on cpu: its result (asserts an answer came). */
int64_t smp_req(struct vm *vm, unsigned cpu, struct chan_slot *s);
/* The common requests, on cpu; mm ids and results as the channel says. */
uint32_t smp_mm_create(struct vm *vm, unsigned cpu);
int64_t smp_mmap(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len);
int64_t smp_munmap(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len);
int64_t smp_mprotect(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len,
		     uint32_t prot);
int64_t smp_touch(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len,
		  uint32_t mode);
int64_t smp_fill(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len,
		 uint8_t byte);
int64_t smp_check(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len,
		  uint8_t byte);
int64_t smp_inject(struct vm *vm, unsigned cpu, uint32_t mm, uint32_t kind, uint64_t addr);
int64_t smp_mm_destroy(struct vm *vm, unsigned cpu, uint32_t mm);

/* CPU cpu's published TLB state. */
struct mm_cpu_tlb smp_tlb(struct vm *vm, unsigned cpu);

/* Frames of RAM that are user pages, shared-object pages or page tables
 * (abi_page types), and the zero page's reference count. */
void smp_count_frames(struct vm *vm, uint64_t *user, uint64_t *pgtables, uint32_t *zero_refs);

#endif
