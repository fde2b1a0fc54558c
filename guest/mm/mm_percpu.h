/*
 * The memory manager's per-CPU state: the mmu_gather batch of the unmap in
 * progress on this CPU and the mm whose page tables this CPU has loaded.
 * It lives in the architecture's per-CPU area (guest: struct percpu,
 * reached through GS; unit tests: a fake), found with this_cpu_mm()
 * (mm_internal.h).  Standalone so that the per-CPU area can embed it.
 */
#ifndef GUEST_MM_MM_PERCPU_H
#define GUEST_MM_MM_PERCPU_H

#include <stdint.h>

struct mm_struct;
struct mm_cpu_tlb;

/* CPUs an mm can track (mm_struct.cpu_mask is one 64-bit word). */
#define NR_CPUS 64

/* Frames and page-table pages held back by one gather before it flushes
 * and frees them. */
#define TLB_BATCH_MAX 512
#define TLB_TABLES_MAX 64

/* Linux's struct mmu_gather, with its batches inline: one per CPU, since a
 * CPU runs one unmap at a time (tlb_gather_mmu() hands it out). */
struct mmu_gather {
	struct mm_struct *mm;
	uint64_t start, end;      /* range needing a flush, start >= end: none */
	unsigned nr;              /* frames of cleared leaves in batch (zero page included) */
	unsigned nr_tables;       /* page-table pages in tables */
	uint64_t batch[TLB_BATCH_MAX];
	uint64_t tables[TLB_TABLES_MAX];
};

struct mm_percpu {
	struct mmu_gather tlb;
	struct mm_struct *current_mm; /* loaded in CR3 (NULL: the kernel's PML4) */
	uint64_t loaded_gen;          /* current_mm's tlb_gen this TLB is up to date with */
	struct mm_cpu_tlb *pub;       /* this CPU's published TLB state (mm_cpu_online) */
};

#endif
