/*
 * The move of mremap (Linux's move_vma): copy the VMA to its new place,
 * move the page-table entries (frames are not copied: move_page_tables),
 * flush the old translations, then unmap the old range through the munmap
 * pipeline, or keep it, empty, for dontunmap.
 *
 * vm_pgoff follows Linux so that merges come out as Linux's: a VMA that
 * was never written (no anon_vma) takes the new address as its pgoff, as a
 * new mapping would; one with pages keeps its pgoff, so it merges only with
 * VMAs that continue it (its old neighbours, once it moves back).
 */
#include "guest/mm/mm.h"
#include "guest/mm/mm_trace.h"
#include "guest/mm/mremap.h"
#include "guest/mm/munmap.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/tlb.h"
#include "guest/mm/vma.h"

/* A VMA for [new_addr, new_addr + new_len) copied from *pvma's part at
 * old_addr: merged into a neighbour when Linux would, else a new one.  If
 * the source itself merged into it, *pvma becomes the merged VMA.  NULL
 * when out of memory (nothing changed). */
static struct vm_area_struct *copy_vma(struct mm_struct *mm, struct vm_area_struct **pvma,
				       uint64_t old_addr, uint64_t new_addr, uint64_t new_len)
{
	struct vm_area_struct *vma = *pvma, *prev, *next, *new;
	uint64_t vma_start = vma->vm_start, end = new_addr + new_len;
	uint64_t pgoff = vma->vm_pgoff + ((old_addr - vma->vm_start) >> PAGE_SHIFT);

	if (!vma->anon_vma && !(vma->vm_flags & VM_SHARED))
		pgoff = new_addr >> PAGE_SHIFT;   /* never faulted: as a new mapping */
	next = find_vma_prev(mm, new_addr, &prev);
	if (next && next->vm_start < end)
		panic("copy_vma: %lx-%lx is not free", (unsigned long)new_addr, (unsigned long)end);
	new = vma_merge_copied_range(mm, prev, next, new_addr, end, pgoff, vma);
	if (new) {
		/* vma may be gone (absorbed): only its old start is used here. */
		if (vma_start >= new->vm_start && vma_start < new->vm_end)
			*pvma = new;
		return new;
	}
	new = vma_dup(vma);
	if (!new)
		return NULL;
	new->vm_start = new_addr;
	new->vm_end = end;
	new->vm_pgoff = pgoff;
	vma_link(mm, new, prev);
	return new;
}

long move_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t old_addr,
	      uint64_t old_len, uint64_t new_addr, uint64_t new_len, uint32_t flags)
{
	struct vm_area_struct *new_vma, *prev, *next;
	struct mmu_gather *tlb;
	uint64_t moved;

	/* Copy, then an unmap that may split in three: Linux's margin. */
	if (mm->map_count >= MAX_MAP_COUNT - 3)
		return -ENOMEM;
	new_vma = copy_vma(mm, &vma, old_addr, new_addr, new_len);
	if (!new_vma)
		return -ENOMEM;

	TRACE(TEV_MOVE_VMA, old_addr, old_len, new_addr, new_len);
	tlb = tlb_gather_mmu(mm);
	moved = move_page_tables(mm, tlb, old_addr, new_addr, old_len);
	if (moved < old_len) {
		/* No page-table page: put back what moved, drop the copy. */
		move_page_tables(mm, tlb, new_addr, old_addr, moved);
		tlb_finish_mmu(tlb);
		munmap_range(mm, new_addr, new_addr + new_len, &prev, &next);
		return -ENOMEM;
	}
	/* The old translations go before anything else can happen. */
	tlb_finish_mmu(tlb);

	if (flags & MM_MREMAP_DONTUNMAP) {
		/* The old VMA stays, empty: unlocked; its anon_vma goes if all of
		 * it moved (Linux's dontunmap_complete). */
		vma->vm_flags &= ~(VM_LOCKED | VM_LOCKONFAULT);
		if (new_vma != vma && old_addr == vma->vm_start && old_addr + old_len == vma->vm_end)
			unlink_anon_vma(vma);
	} else {
		/* Best effort, as Linux: a failed split leaves the old range. */
		munmap_range(mm, old_addr, old_addr + old_len, &prev, &next);
	}
	return (long)new_addr;
}
