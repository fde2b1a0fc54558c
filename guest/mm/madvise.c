/*
 * madvise of anonymous private memory, as Linux 6.18 (checked on the host
 * with the unit tests' oracle):
 *
 *   EINVAL: an advice the mm does not know, an unaligned start, a length
 *     that wraps when page-rounded or a range that wraps; length 0: 0;
 *   the flag advices (normal, random, sequential, dontfork, dofork,
 *     wipeonfork, keeponfork) change the flags of every VMA part in the
 *     range, splitting and merging as mprotect does; dontneed zaps the
 *     pages (the VMAs stay; a read afterwards sees zeros) and is EINVAL on
 *     a VM_LOCKED VMA (what came before stays done);
 *   holes: the advice applies to the mapped parts, then ENOMEM;
 *   populate_read / populate_write fault the range in VMA by VMA: EINVAL
 *     on a VMA that does not allow the access (write: VM_WRITE, read:
 *     VM_READ, so a write-only VMA cannot be populated for reading),
 *     ENOMEM at a hole, pages before it populated.
 *
 * Other valid Linux advice values (MADV_FREE, MADV_COLD...) are EINVAL
 * here; MADV_WILLNEED is accepted and does nothing (anonymous memory).
 */
#include "guest/mm/mm.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/populate.h"
#include "guest/mm/tlb.h"
#include "guest/mm/vma.h"

static bool advice_known(int advice)
{
	switch (advice) {
	case MM_MADV_NORMAL: case MM_MADV_RANDOM: case MM_MADV_SEQUENTIAL:
	case MM_MADV_WILLNEED: case MM_MADV_DONTNEED:
	case MM_MADV_DONTFORK: case MM_MADV_DOFORK:
	case MM_MADV_WIPEONFORK: case MM_MADV_KEEPONFORK:
	case MM_MADV_POPULATE_READ: case MM_MADV_POPULATE_WRITE:
		return true;
	}
	return false;
}

/* The flags an advice gives a VMA (unchanged for the others). */
static uint64_t advice_flags(uint64_t flags, int advice)
{
	switch (advice) {
	case MM_MADV_NORMAL:
		return flags & ~(VM_RAND_READ | VM_SEQ_READ);
	case MM_MADV_RANDOM:
		return (flags & ~VM_SEQ_READ) | VM_RAND_READ;
	case MM_MADV_SEQUENTIAL:
		return (flags & ~VM_RAND_READ) | VM_SEQ_READ;
	case MM_MADV_DONTFORK:
		return flags | VM_DONTCOPY;
	case MM_MADV_DOFORK:
		return flags & ~VM_DONTCOPY;
	case MM_MADV_WIPEONFORK:
		return flags | VM_WIPEONFORK;
	case MM_MADV_KEEPONFORK:
		return flags & ~VM_WIPEONFORK;
	}
	return flags;
}

/* One VMA part [start, end) of vma (*prev: as vma_modify_flags wants it,
 * then the VMA now covering the part). */
static int madvise_vma(struct mm_struct *mm, struct mmu_gather *tlb, struct vm_area_struct *vma,
		       struct vm_area_struct **prev, uint64_t start, uint64_t end, int advice)
{
	uint64_t flags;

	if (advice == MM_MADV_WIPEONFORK && (vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (advice == MM_MADV_DONTNEED) {
		if (vma->vm_flags & VM_LOCKED)
			return -EINVAL;
		/* floor > ceiling: no page-table page is freed, the VMA stays. */
		zap_page_range(mm, tlb, start, end, ~0ULL, 0);
	}
	flags = advice_flags(vma->vm_flags, advice);
	if (flags == vma->vm_flags) {
		*prev = vma;
		return 0;
	}
	return vma_modify_flags(mm, *prev, vma, start, end, flags, prev);
}

/* Linux's madvise_walk_vmas: every VMA part of [start, end), holes noted. */
static int madvise_walk_vmas(struct mm_struct *mm, uint64_t start, uint64_t end, int advice)
{
	struct vm_area_struct *prev, *vma = find_vma_prev(mm, start, &prev);
	struct mmu_gather *tlb = tlb_gather_mmu(mm);
	int unmapped_error = 0, err = 0;

	if (vma && start > vma->vm_start)
		prev = vma;
	for (;;) {
		uint64_t tmp;

		if (!vma) {
			err = -ENOMEM;
			break;
		}
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		err = madvise_vma(mm, tlb, vma, &prev, start, tmp, advice);
		if (err)
			break;
		start = prev && tmp < prev->vm_end ? prev->vm_end : tmp;
		if (start >= end)
			break;
		vma = prev ? prev->vm_next : find_vma(mm, start);
	}
	tlb_finish_mmu(tlb);          /* flush, then free what dontneed zapped */
	return err ? err : unmapped_error;
}

/* populate_read / populate_write (Linux's madvise_populate). */
static int madvise_populate(struct mm_struct *mm, uint64_t start, uint64_t end, bool write)
{
	while (start < end) {
		struct vm_area_struct *vma = find_vma(mm, start);
		uint64_t tmp;
		int err;

		if (!vma || vma->vm_start > start)
			return -ENOMEM;
		if (!(vma->vm_flags & (write ? VM_WRITE : VM_READ)))
			return -EINVAL;
		tmp = vma->vm_end < end ? vma->vm_end : end;
		err = populate_range(mm, vma, start, tmp, write);
		if (err)
			return err;
		start = tmp;
	}
	return 0;
}

int do_madvise(struct mm_struct *mm, uint64_t start, uint64_t len_in, int advice)
{
	uint64_t len, end;

	if (!advice_known(advice) || (start & ~PAGE_MASK))
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	if (advice == MM_MADV_POPULATE_READ || advice == MM_MADV_POPULATE_WRITE)
		return madvise_populate(mm, start, end, advice == MM_MADV_POPULATE_WRITE);
	return madvise_walk_vmas(mm, start, end, advice);
}
