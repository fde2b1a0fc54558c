/*
 * munmap, in the order Linux does it:
 *
 *   do_munmap                   validate and page-align the request
 *   munmap_range                everything below, also used by MAP_FIXED
 *     find_vma_prev             first VMA ending above start, and its predecessor
 *     (map_count check, spare VMA structs)    - the last point of failure -
 *     split_vma                 front part (start inside a VMA), then rear part
 *     detach_vmas_to_be_unmapped  out of tree and list, chained for removal
 *     unmap_region              clear PTEs, free page tables (floor/ceiling),
 *                               flush the TLB, only then free the frames
 *     remove_vma_list           free the VMA structs
 */
#include "guest/mm/mm.h"
#include "guest/mm/mm_trace.h"
#include "guest/mm/munmap.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/tlb.h"
#include "guest/mm/vma.h"

/* Unlink first..last (consecutive) from tree and list: they stay chained
 * through vm_next for remove_vma_list; mmap_cache and map_count follow. */
static void detach_vmas_to_be_unmapped(struct mm_struct *mm, struct vm_area_struct *first,
				       struct vm_area_struct *last)
{
	TRACE_FN(mm_trace_detach, mm, first, last);
	vma_unlink_range(mm, first, last);
}

/* Clear the PTEs of the detached VMAs first..last, free the page tables
 * whose whole span lies between prev's end and next's start (Linux's
 * free_pgtables floor/ceiling, never more), flush, then free the frames. */
static void unmap_region(struct mm_struct *mm, struct vm_area_struct *first,
			 struct vm_area_struct *last, struct vm_area_struct *prev,
			 struct vm_area_struct *next)
{
	struct mmu_gather *tlb = tlb_gather_mmu(mm);
	uint64_t floor = prev ? prev->vm_end : 0, ceiling = next ? next->vm_start : USER_PGTABLES_CEILING;

	TRACE(TEV_UNMAP_REGION_ENTER, first->vm_start, last->vm_end, floor, ceiling);
	zap_page_range(mm, tlb, first->vm_start, last->vm_end, floor, ceiling);
	tlb_finish_mmu(tlb);
	TRACE(TEV_UNMAP_REGION_EXIT);
}

/* Free the VMA structs of a detached chain (and their anon_vma references). */
static void remove_vma_list(struct vm_area_struct *vma)
{
	TRACE_FN(mm_trace_remove_list, vma);
	while (vma) {
		struct vm_area_struct *next = vma->vm_next;
		vma_free(vma);
		vma = next;
	}
}

int munmap_range(struct mm_struct *mm, uint64_t start, uint64_t end,
		 struct vm_area_struct **pprev, struct vm_area_struct **pnext)
{
	struct vm_area_struct *vma, *prev, *last, *next, *front = NULL, *rear = NULL;

	vma = find_vma_prev(mm, start, &prev);
	TRACE_FN(mm_trace_find_vma_prev, start, vma, prev);
	*pprev = prev;
	*pnext = vma;
	if (!vma || vma->vm_start >= end)
		return 0;                    /* nothing mapped there */
	for (last = vma; last->vm_next && last->vm_next->vm_start < end;)
		last = last->vm_next;

	/* A hole inside one VMA adds one: refused at the limit (Linux lets
	 * the count pass it only transiently, never on return). */
	if (start > vma->vm_start && end < vma->vm_end && mm->map_count >= MAX_MAP_COUNT)
		return -ENOMEM;
	/* The split parts: copies of vma and of last (when last is vma, the
	 * front split's upper part that rear splits again is one too). */
	if (start > vma->vm_start && !(front = vma_dup(vma)))
		return -ENOMEM;
	if (end < last->vm_end && !(rear = vma_dup(last))) {
		if (front)
			vma_free(front);
		return -ENOMEM;
	}

	/* Point of no return. */
	if (front) {
		prev = vma;
		vma = split_vma(mm, vma, start, front);
		if (last == prev)
			last = vma;
	}
	if (rear)
		split_vma(mm, last, end, rear);
	next = last->vm_next;

	detach_vmas_to_be_unmapped(mm, vma, last);
	unmap_region(mm, vma, last, prev, next);
	remove_vma_list(vma);
	*pprev = prev;
	*pnext = next;
	return 0;
}

int do_munmap(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	struct vm_area_struct *prev, *next;

	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (start > TASK_SIZE || len > TASK_SIZE - start)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (len == 0)
		return -EINVAL;
	return munmap_range(mm, start, start + len, &prev, &next);
}
