/*
 * Synthetic guest memory for the inspection unit tests: a calloc'd RAM
 * buffer holding an mm_table, a page array, page tables and VMA lists laid
 * out exactly as the guest publishes them (shared/mm_abi.h), consistent by
 * construction (the checker passes), so that a test breaks one thing.
 *
 *   0x00000   host area (reserved); mm_table at MM_TABLE_GPA
 *   0x100000  struct abi_page[ram >> 12] (reserved)
 *   then      frames handed out by synth_alloc() (types as requested)
 */
#ifndef TESTS_INSPECT_SYNTH_H
#define TESTS_INSPECT_SYNTH_H

#include <stdint.h>

#include "shared/mm_abi.h"
#include "vmm/gmem.h"

struct synth {
	struct gmem g;
	struct mm_table *tab;
	struct abi_page *pages;
	uint64_t vma_frame;      /* current KERNEL frame for VMA structs */
	uint64_t vma_used;       /* bytes used in it */
};

#define SYN_RW   (1ULL << 0 | 1ULL << 1 | 1ULL << 2)           /* P W U */
#define SYN_RO   (1ULL << 0 | 1ULL << 2)                       /* P U */
#define SYN_NX   (1ULL << 63)

void synth_init(struct synth *s, uint64_t ram_size);
/* The same with the page array at pages_gpa (page aligned, above the mm
 * table) instead of 0x100000: a smaller RAM (the fuzz targets' seeds). */
void synth_init_at(struct synth *s, uint64_t ram_size, uint64_t pages_gpa);
void synth_free(struct synth *s);

/* Take a free frame, give it type and refcount; returns its GPA (aborts
 * the test when RAM is full). */
uint64_t synth_alloc(struct synth *s, uint32_t type, uint32_t refcount);
/* Give a frame back (type FREE, refcount 0). */
void synth_release(struct synth *s, uint64_t gpa);

/* A new mm with an empty PML4; returns its id. */
uint32_t synth_mm_new(struct synth *s);
struct mm_desc *synth_mm(struct synth *s, uint32_t id);

/* Host pointer to the entry for va at level (4 = PML4 .. 1 = PT) in
 * table tree pml4, creating the missing tables (P W U) on the way (counted
 * in pt_pages of mm when mm != NULL). */
uint64_t *synth_entry(struct synth *s, struct mm_desc *mm, uint64_t pml4, uint64_t va,
		      unsigned level);

/* Map one 4 KiB page of anonymous memory: a new USER frame, or the zero
 * page if zero is nonzero; bits are the PTE flags (SYN_RW...).  Counters
 * and refcounts follow.  Returns the frame's GPA. */
uint64_t synth_map(struct synth *s, uint32_t mm, uint64_t va, uint64_t bits, int zero);

/* Insert a VMA in address order (no overlap check); map_count follows.
 * Returns its direct-map address. */
uint64_t synth_vma(struct synth *s, uint32_t mm, uint64_t start, uint64_t end, uint64_t flags);

/* Host pointer to the abi_vma at a direct-map address. */
struct abi_vma *synth_vma_ptr(struct synth *s, uint64_t gva);

/* Guest "direct map" address of a GPA. */
static inline uint64_t synth_dm(uint64_t gpa)
{
	return DIRECT_MAP_BASE + gpa;
}

#endif
