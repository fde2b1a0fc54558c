/*
 * The one place that flushes user translations, and the gather batch that
 * keeps unmapped frames alive until that flush has happened.
 */
#include "guest/mm/tlb.h"
#include "guest/mm/frame.h"
#include "guest/mm/mm_tlblog.h"
#include "guest/mm/mm_trace.h"

static __attribute__((noinline)) void free_gathered_early(struct mmu_gather *tlb);
static inline void free_gathered(struct mmu_gather *tlb);

/* This CPU's part: one invlpg per page up to the ceiling, else everything. */
static inline void flush_local(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	if (__builtin_expect(tlb_knob_armed, 0)) {
		tlb_flush_local_injected(mm, start, end);
		return;
	}
	if ((end - start) >> PAGE_SHIFT > TLB_SINGLE_PAGE_FLUSH_CEILING) {
		arch_flush_tlb_all();
		TLBLOG(TLOG_FLUSH_ALL, mm->id, 0, 0);
		return;
	}
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		arch_flush_tlb_page(va);
	TLBLOG(end - start == PAGE_SIZE ? TLOG_FLUSH_PAGE : TLOG_FLUSH_RANGE, mm->id, start,
	       end - start == PAGE_SIZE ? 0 : end);
}

/*
 * Flush [start, end) of mm here (if this CPU uses it) and on every other
 * CPU that may cache it (docs/tlb.md), and wait for their acknowledgements.
 * freed_tables: page-table pages of the range are being freed, so CPUs in
 * lazy mode must be told too.  A gather's frames go back before the
 * shootdown only when a test injects that bug.
 */
static void flush_range(struct mm_struct *mm, uint64_t start, uint64_t end, bool freed_tables,
			struct mmu_gather *tlb)
{
	unsigned cpu = smp_processor_id();
	struct mm_percpu *pc = this_cpu_mm();

	if (start >= end)
		return;
	TRACE(TEV_TLB_FLUSH, start, end, mm->cpu_mask, cpu, TLB_SINGLE_PAGE_FLUSH_CEILING);
	uint64_t gen = __atomic_add_fetch(&mm->tlb_gen, 1, __ATOMIC_SEQ_CST);
	if (pc->current_mm == mm) {
		pc->loaded_gen = gen;
		pc->pub->flushes++;
		flush_local(mm, start, end);
	}
	uint64_t others = __atomic_load_n(&mm->cpu_mask, __ATOMIC_SEQ_CST) & ~(1ULL << cpu);
	if (__builtin_expect(!others, 1))
		return;
	if (__builtin_expect(tlb_knob_armed, 0) && tlb && tlb_free_early())
		free_gathered_early(tlb);
	tlb_shootdown(mm, start, end, gen, freed_tables, others);
}

void flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	flush_range(mm, start, end, false, NULL);
}

void tlb_leave_mm(struct mm_struct *mm)
{
	/* As a flush that frees page tables: lazy CPUs leave mm too. */
	flush_range(mm, 0, USER_PGTABLES_CEILING, true, NULL);
}

void tlb_flush_mmu(struct mmu_gather *tlb)
{
	flush_range(tlb->mm, tlb->start, tlb->end, tlb->nr_tables != 0, tlb);
	tlb->start = ~0ULL;
	tlb->end = 0;
	free_gathered(tlb);
}

/* Point of no return for the gathered frames: nobody can reach them now. */
static inline void free_gathered(struct mmu_gather *tlb)
{
	TRACE_FN(mm_trace_free_gathered, tlb->batch, tlb->nr, mm_g.zero_pa, tlb->nr_tables);
	/* Point of no return for the gathered frames: nobody can reach them
	 * now.  The unmapped leaves leave the mm's counters here too. */
	/* The allocator's lock once for the whole batch. */
	frame_lock();
	if (tlb->nr) {
		struct mm_struct *mm = tlb->mm;
		unsigned zeros = frame_free_unmapped(tlb->batch, tlb->nr);
		mm->rss_pages -= tlb->nr - zeros;
		mm->zero_ptes -= zeros;
		__atomic_fetch_sub(&frame_page(mm_g.zero_pa)->refcount, zeros, __ATOMIC_RELAXED);
		tlb->nr = 0;
	}
	for (unsigned i = 0; i < tlb->nr_tables; i++) {
		TLBLOG(TLOG_PT_FREE, tlb->mm->id, tlb->tables[i], 0);
		frame_free_zero_locked(tlb->tables[i]);     /* emptied tables read zero */
	}
	frame_unlock();
	tlb->nr_tables = 0;
}

static void free_gathered_early(struct mmu_gather *tlb)
{
	free_gathered(tlb);
}

void tlb_finish_mmu(struct mmu_gather *tlb)
{
	tlb_flush_mmu(tlb);
}
