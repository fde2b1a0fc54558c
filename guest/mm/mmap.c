/*
 * mmap of anonymous private memory, with Linux 6.18's checks in Linux's
 * order (verified against the host kernel):
 *   len 0: EINVAL; len overflowing when page-rounded: ENOMEM;
 *   map_count already above MAX_MAP_COUNT: ENOMEM (so one mmap may take the
 *   count to MAX_MAP_COUNT + 1, as in Linux);
 *   len > TASK_SIZE: ENOMEM;
 *   fixed: addr + len beyond TASK_SIZE: ENOMEM, then unaligned addr: EINVAL,
 *   then addr below MMAP_MIN_ADDR: EPERM;
 *   MAP_FIXED_NOREPLACE over anything mapped: EEXIST;
 *   MAP_FIXED over a mapping: unmapped through the munmap pipeline first
 *   (which refuses, before changing anything, a hole that would take the
 *   count beyond the limit).
 * Unknown prot bits are ignored, as Linux's mmap does.
 */
#include "guest/mm/mm.h"
#include "guest/mm/munmap.h"
#include "guest/mm/vma.h"

#define MMAP_F_KNOWN (MMAP_F_FIXED | MMAP_F_NOREPLACE)

/* Where the mapping goes: the fixed address checked, or the highest free
 * range below MMAP_BASE.  *pnext = the VMA after it when searched. */
static long get_unmapped_area(struct mm_struct *mm, uint64_t addr, uint64_t len, uint32_t flags,
			      struct vm_area_struct **pnext)
{
	if (len > TASK_SIZE)
		return -ENOMEM;
	if (!(flags & MMAP_F_FIXED))
		return unmapped_area_topdown(mm, len, MMAP_MIN_ADDR, MMAP_BASE, pnext);
	if (addr > TASK_SIZE - len)
		return -ENOMEM;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (addr < MMAP_MIN_ADDR)
		return -EPERM;
	return (long)addr;
}

/* Map [addr, addr + len) with flags, merging with the neighbours when
 * Linux would.  prev/next: the VMAs around the (now empty) range. */
static long mmap_region(struct mm_struct *mm, uint64_t addr, uint64_t len, uint64_t flags,
			struct vm_area_struct *prev, struct vm_area_struct *next,
			struct vm_area_struct *vma)
{
	if (vma_merge_new_range(mm, prev, next, addr, addr + len, flags)) {
		vma_free(vma);
		return (long)addr;
	}
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_pgoff = addr >> PAGE_SHIFT;
	vma->vm_flags = flags;
	vma->anon_vma = NULL;
	vma_link(mm, vma, prev);
	return (long)addr;
}

long do_mmap(struct mm_struct *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags)
{
	struct vm_area_struct *vma, *prev, *next = NULL;
	uint64_t vm_flags;
	long r;

	if (flags & ~MMAP_F_KNOWN)
		return -EINVAL;
	if (flags & MMAP_F_NOREPLACE)
		flags |= MMAP_F_FIXED;
	if (len == 0)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (len == 0)
		return -ENOMEM;
	if (mm->desc->map_count > MAX_MAP_COUNT)
		return -ENOMEM;

	r = get_unmapped_area(mm, addr, len, flags, &next);
	if (r < 0)
		return r;
	addr = (uint64_t)r;

	vm_flags = (prot & VM_ACCESS_FLAGS) | VM_MAY_ALL;
	if (vm_flags & VM_WRITE)
		vm_flags |= VM_ACCOUNT;   /* private writable memory is accounted */

	if (!(flags & MMAP_F_FIXED)) {
		prev = next ? next->vm_prev : mm->mmap_last;
	} else {
		next = find_vma_prev(mm, addr, &prev);
		if (next && next->vm_start < addr + len && (flags & MMAP_F_NOREPLACE))
			return -EEXIST;
	}

	/* Allocate before changing anything: past the unmap nothing fails. */
	vma = vma_alloc();
	if (!vma)
		return -ENOMEM;
	vma->anon_vma = NULL;
	if (next && next->vm_start < addr + len) {
		int err = munmap_range(mm, addr, addr + len, &prev, &next);
		if (err) {
			vma_free(vma);
			return err;
		}
	}
	return mmap_region(mm, addr, len, vm_flags, prev, next, vma);
}
