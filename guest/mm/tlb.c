/*
 * The one place that flushes user translations, and the gather batch that
 * keeps unmapped frames alive until that flush has happened.
 */
#include "guest/mm/tlb.h"
#include "guest/mm/frame.h"
#include "guest/mm/mm_tlblog.h"
#include "guest/mm/mm_trace.h"

void flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	unsigned cpu = smp_processor_id();

	if (start >= end)
		return;
	TRACE(TEV_TLB_FLUSH, start, end, mm->cpu_mask, cpu, TLB_SINGLE_PAGE_FLUSH_CEILING);
	/* Other CPUs in mm->cpu_mask would get an IPI here (none yet). */
	if (!(mm->cpu_mask & (1ULL << cpu)))
		return;
	if ((end - start) >> PAGE_SHIFT > TLB_SINGLE_PAGE_FLUSH_CEILING) {
		arch_flush_tlb_all();
		TLBLOG(TLOG_FLUSH_ALL, mm->id, 0, 0);
		return;
	}
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		arch_flush_tlb_page(va);
	TLBLOG(TLOG_FLUSH_RANGE, mm->id, start, end);
}

void tlb_flush_mmu(struct mmu_gather *tlb)
{
	flush_tlb_mm_range(tlb->mm, tlb->start, tlb->end);
	tlb->start = ~0ULL;
	tlb->end = 0;
	TRACE_FN(mm_trace_free_gathered, tlb->batch, tlb->nr, mm_g.zero_pa, tlb->nr_tables);
	/* Point of no return for the gathered frames: nobody can reach them
	 * now.  The unmapped leaves leave the mm's counters here too. */
	if (tlb->nr) {
		struct mm_struct *mm = tlb->mm;
		unsigned zeros = frame_free_unmapped(tlb->batch, tlb->nr);
		mm->rss_pages -= tlb->nr - zeros;
		mm->zero_ptes -= zeros;
		frame_page(mm_g.zero_pa)->refcount -= zeros;
		tlb->nr = 0;
	}
	for (unsigned i = 0; i < tlb->nr_tables; i++) {
		TLBLOG(TLOG_PT_FREE, tlb->mm->id, tlb->tables[i], 0);
		frame_free_zero(tlb->tables[i]);     /* emptied tables read zero */
	}
	tlb->nr_tables = 0;
}

void tlb_finish_mmu(struct mmu_gather *tlb)
{
	tlb_flush_mmu(tlb);
}
