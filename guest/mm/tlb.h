/*
 * TLB flushing and the unmap gather batch.
 *
 * Every flush of user translations goes through flush_tlb_mm_range(), which
 * knows which CPUs may cache the mm (mm->cpu_mask, kept by switch_mm): it
 * flushes here and shoots the others down by IPI (tlb_smp.c, docs/tlb.md).
 *
 * Frames and page-table pages unmapped from an mm are gathered in a batch
 * and freed only after the flush (Linux's mmu_gather): until then a stale
 * TLB entry on some CPU could still reach them.  The gather and its batch
 * are per CPU (struct mmu_gather in mm_percpu.h).
 */
#ifndef GUEST_MM_TLB_H
#define GUEST_MM_TLB_H

#include "guest/mm/mm_types.h"

/* Linux's tlb_single_page_flush_ceiling: up to this many pages get one
 * invlpg each, beyond it the whole TLB is flushed. */
#define TLB_SINGLE_PAGE_FLUSH_CEILING 33

/* Flush the translations of [start, end) (page aligned) of mm on every CPU
 * that may cache them: one invlpg per page up to the ceiling, else a full
 * flush.  Nothing to do on CPUs that do not have mm loaded. */
void flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end);

/* A flush request from one CPU to others (Linux's flush_tlb_info). */
struct tlb_flush_info {
	struct mm_struct *mm;
	uint64_t start, end;          /* the range */
	uint64_t new_gen;             /* mm->tlb_gen this flush brings a CPU to */
	uint8_t full;                 /* more than the ceiling's pages: flush everything */
	uint8_t freed_tables;         /* page-table pages are freed after it */
	uint8_t ack_first;            /* injected: targets acknowledge before flushing */
	volatile uint8_t done;        /* the initiator has finished (freed; slow path) */
	uint32_t id;                  /* per initiator (TLOG_IPI_*; slow path) */
	volatile uint32_t acks;       /* targets done with it (each adds 1) */
};

/* mm's tables are going away: every other CPU that keeps it loaded (lazily)
 * switches to the kernel's page tables. */
void tlb_leave_mm(struct mm_struct *mm);

/* tlb_smp.c: a test armed a knob (mm_inject_tlb): the slow paths look. */
extern uint8_t tlb_knob_armed;
/* This CPU's part of a flush with a knob armed. */
void tlb_flush_local_injected(struct mm_struct *mm, uint64_t start, uint64_t end);
/* Send the request (tlb_gen gen) to those of the other CPUs in others (mm's
 * cpu_mask without this CPU) that need it, and wait, interrupts let in,
 * until every one has acknowledged. */
void tlb_shootdown(struct mm_struct *mm, uint64_t start, uint64_t end, uint64_t gen,
		   bool freed_tables, uint64_t others);
/* Injected: free the gathered frames before the shootdown (one-shot). */
bool tlb_free_early(void);

/* Start gathering unmaps of mm: returns this CPU's gather, empty.  One
 * gather at a time per CPU, until tlb_finish_mmu(): unmaps never nest
 * (munmap, mprotect and exit_mmap each run one).  Inline: a few stores. */
static inline struct mmu_gather *tlb_gather_mmu(struct mm_struct *mm)
{
	struct mmu_gather *tlb = &this_cpu_mm()->tlb;

	tlb->mm = mm;
	tlb->start = ~0ULL;
	tlb->end = 0;
	tlb->nr = 0;
	tlb->nr_tables = 0;
	return tlb;
}

/* Flush what was gathered, then free the gathered frames and page-table
 * pages and account the unmapped leaves; the gather stays usable. */
void tlb_flush_mmu(struct mmu_gather *tlb);

/* End of a gather: flush and free everything still held. */
void tlb_finish_mmu(struct mmu_gather *tlb);

/* The PTEs of [start, end) changed: they must be flushed. */
static inline void tlb_track_range(struct mmu_gather *tlb, uint64_t start, uint64_t end)
{
	if (start < tlb->start)
		tlb->start = start;
	if (end > tlb->end)
		tlb->end = end;
}

/* The PTE of the page at addr changed: it must be flushed. */
static inline void tlb_track_page(struct mmu_gather *tlb, uint64_t addr)
{
	tlb_track_range(tlb, addr, addr + PAGE_SIZE);
}

/* The frame of every cleared leaf goes straight into tlb->batch[tlb->nr++]
 * (zap_pte_range), and tlb_flush_mmu() must run when it is full: it frees
 * the user frames, skips the zero page and adjusts the mm's rss_pages and
 * zero_ptes.  A page-table page pa that
 * mapped addr is freed after the flush too (a flush of any address of its
 * span also drops the paging-structure caches). */
static inline void tlb_remove_table(struct mmu_gather *tlb, uint64_t pa, uint64_t addr)
{
	tlb_track_page(tlb, addr);
	tlb->tables[tlb->nr_tables++] = pa;
	if (tlb->nr_tables == TLB_TABLES_MAX)
		tlb_flush_mmu(tlb);
}

#endif
