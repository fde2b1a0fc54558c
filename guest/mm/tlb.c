/*
 * The one place that flushes user translations, and the gather batch that
 * keeps unmapped frames alive until that flush has happened.
 */
#include "guest/mm/tlb.h"
#include "guest/mm/frame.h"

uint64_t tlb_batch[TLB_BATCH_MAX];
uint64_t tlb_tables[TLB_TABLES_MAX];
struct mm_struct *cpu_current_mm[NR_CPUS];

void flush_tlb_mm_range(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	unsigned cpu = smp_processor_id();

	if (start >= end)
		return;
	/* Other CPUs in mm->cpu_mask would get an IPI here (none yet). */
	if (!(mm->cpu_mask & (1ULL << cpu)))
		return;
	if ((end - start) >> PAGE_SHIFT > TLB_SINGLE_PAGE_FLUSH_CEILING) {
		arch_flush_tlb_all();
		return;
	}
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		arch_flush_tlb_page(va);
}

void tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm)
{
	tlb->mm = mm;
	tlb->start = ~0ULL;
	tlb->end = 0;
	tlb->nr = 0;
	tlb->nr_tables = 0;
}

void tlb_flush_mmu(struct mmu_gather *tlb)
{
	flush_tlb_mm_range(tlb->mm, tlb->start, tlb->end);
	tlb->start = ~0ULL;
	tlb->end = 0;
	/* Point of no return for the gathered frames: nobody can reach them
	 * now.  The unmapped leaves leave the mm's counters here too. */
	if (tlb->nr) {
		struct mm_desc *d = tlb->mm->desc;
		unsigned zeros = frame_free_unmapped(tlb_batch, tlb->nr);
		d->rss_pages -= tlb->nr - zeros;
		d->zero_ptes -= zeros;
		frame_page(mm_g.zero_pa)->refcount -= zeros;
		tlb->nr = 0;
	}
	for (unsigned i = 0; i < tlb->nr_tables; i++)
		frame_free_zero(tlb_tables[i]);     /* emptied tables read zero */
	tlb->nr_tables = 0;
}

void tlb_finish_mmu(struct mmu_gather *tlb)
{
	tlb_flush_mmu(tlb);
}
