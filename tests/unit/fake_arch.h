/*
 * The host side of guest/mm/mm_internal.h for unit tests: fake RAM, one
 * fake CPU (this_cpu_mm()), and a record of what the memory manager asked
 * the architecture to do (CR3 loads, TLB flushes, discards), plus helpers
 * shared by the tests.
 */
#ifndef TESTS_UNIT_FAKE_ARCH_H
#define TESTS_UNIT_FAKE_ARCH_H

#include "guest/mm/frame.h"
#include "guest/mm/mm.h"
#include "guest/mm/mm_types.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/tlb.h"
#include "guest/mm/vma.h"

#define FAKE_RAM_SIZE     (64ULL << 20)
#define FAKE_FREE_START   0x200000ULL
#define FAKE_KPML4_GPA    BOOT_PML4_GPA

struct fake_arch {
	uint64_t cr3;
	unsigned long cr3_loads;
	unsigned long flush_pages;      /* invlpg calls */
	unsigned long flush_all;        /* full flushes */
	unsigned long discards;         /* HC_DISCARD calls */
	unsigned long discarded;        /* frames discarded */
	uint64_t last_flush_va;
	void (*on_flush)(void);         /* called at every flush, if set */
};

extern struct fake_arch fake;
extern uint8_t *fake_ram;

/* Fresh fake RAM and mm_init (Criterion .init). */
void fake_setup(void);
/* Reset the flush/discard counters. */
void fake_reset_counts(void);

/* A new mm, looked up and switched to (loaded on the CPU). */
struct mm_struct *new_mm(void);

/* Every invariant of every mm and of the frame pool; fails the test. */
void check_all(void);
/* The tree/list invariants of one mm only (cheaper). */
void check_tree(struct mm_struct *mm);

/* Helpers on one mm. */
long map_fixed(struct mm_struct *mm, uint64_t addr, uint64_t len, uint32_t prot);
int touch(struct mm_struct *mm, uint64_t addr, bool write);       /* handle_mm_fault as a user access */
uint64_t pte_of(struct mm_struct *mm, uint64_t addr);
int vma_count(struct mm_struct *mm);
struct vm_area_struct *vma_at(struct mm_struct *mm, uint64_t addr);  /* VMA containing addr */
/* "start-end flags anon" lines of every VMA, for comparisons. */
const char *maps_string(struct mm_struct *mm);
uint64_t frames_used(void);

#define RW   (MM_PROT_READ | MM_PROT_WRITE)
#define RO   MM_PROT_READ
#define NONE MM_PROT_NONE
#define FIX  MM_MAP_FIXED
#define BASE 0x100000000000ULL
#define PG   PAGE_SIZE

#endif
