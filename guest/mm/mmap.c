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
 *
 * Flags (checked on the host): MAP_NORESERVE gives VM_NORESERVE and no
 * VM_ACCOUNT (so such a VMA does not merge with an accounted one);
 * MAP_LOCKED gives VM_LOCKED; MAP_GROWSDOWN gives VM_GROWSDOWN (fault.c
 * grows it); MAP_POPULATE and MAP_LOCKED populate the new range, errors
 * ignored (a PROT_NONE mapping stays empty).
 */
#include "guest/mm/mm.h"
#include "guest/mm/mm_trace.h"
#include "guest/mm/munmap.h"
#include "guest/mm/populate.h"
#include "guest/mm/shmem.h"
#include "guest/mm/vma.h"

#define MM_MAP_KNOWN (MM_MAP_FIXED | MM_MAP_NOREPLACE | MM_MAP_NORESERVE | MM_MAP_POPULATE | \
		      MM_MAP_LOCKED | MM_MAP_GROWSDOWN | MM_MAP_SHARED)

/* Protections become VMA flags as they are (Linux's calc_vm_prot_bits). */
_Static_assert(MM_PROT_READ == VM_READ && MM_PROT_WRITE == VM_WRITE && MM_PROT_EXEC == VM_EXEC,
	       "MM_PROT_* are the VM_* access bits");

/* Where the mapping goes: the fixed address checked, or the highest free
 * range below MMAP_BASE.  *pnext = the VMA after it when searched. */
static long get_unmapped_area(struct mm_struct *mm, uint64_t addr, uint64_t len, uint32_t flags,
			      struct vm_area_struct **pnext)
{
	if (len > TASK_SIZE)
		return -ENOMEM;
	if (!(flags & MM_MAP_FIXED))
		return unmapped_area_topdown(mm, len, MMAP_MIN_ADDR, MMAP_BASE, pnext);
	if (addr > TASK_SIZE - len)
		return -ENOMEM;
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (addr < MMAP_MIN_ADDR)
		return -EPERM;
	return (long)addr;
}

/* Map vma's range (now empty, between prev and next), merging it with the
 * neighbours when Linux would; vma is used only if nothing merges.  A
 * shared mapping has an object of its own: it merges with nothing. */
static void mmap_region(struct mm_struct *mm, struct vm_area_struct *vma,
			struct vm_area_struct *prev, struct vm_area_struct *next)
{
	if (!vma->shm &&
	    vma_merge_new_range(mm, prev, next, vma->vm_start, vma->vm_end, vma->vm_flags)) {
		vma_free(vma);
		return;
	}
	vma_link(mm, vma, prev);
	TRACE(TEV_VMA_LINK, vma->vm_start, vma->vm_end, vma->vm_flags);
}

long do_mmap(struct mm_struct *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags)
{
	struct vm_area_struct *vma, *prev, *next = NULL;
	uint64_t vm_flags;
	long r;

	if (flags & ~MM_MAP_KNOWN)
		return -EINVAL;
	if (flags & MM_MAP_NOREPLACE)
		flags |= MM_MAP_FIXED;
	if (len == 0)
		return -EINVAL;
	len = PAGE_ALIGN(len);
	if (len == 0)
		return -ENOMEM;
	if (mm->map_count > MAX_MAP_COUNT)
		return -ENOMEM;

	r = get_unmapped_area(mm, addr, len, flags, &next);
	if (r < 0)
		return r;
	addr = (uint64_t)r;

	vm_flags = (prot & VM_ACCESS_FLAGS) | VM_MAY_ALL;
	if (flags & MM_MAP_NORESERVE)
		vm_flags |= VM_NORESERVE;
	else if ((vm_flags & VM_WRITE) && !(flags & MM_MAP_SHARED))
		vm_flags |= VM_ACCOUNT;   /* private writable memory is accounted */
	if (flags & MM_MAP_LOCKED)
		vm_flags |= VM_LOCKED;
	if (flags & MM_MAP_GROWSDOWN)
		vm_flags |= VM_GROWSDOWN;

	if (!(flags & MM_MAP_FIXED)) {
		prev = next ? next->vm_prev : mm->mmap_last;
	} else {
		next = find_vma_prev(mm, addr, &prev);
		if (next && next->vm_start < addr + len && (flags & MM_MAP_NOREPLACE))
			return -EEXIST;
	}
	if (flags & MM_MAP_SHARED) {
		/* shmem_zero_setup: pgoff 0 in a new object; no growsdown. */
		if (flags & MM_MAP_GROWSDOWN)
			return -EINVAL;
		vm_flags |= VM_SHARED | VM_MAYSHARE;
	}

	/* Allocate before changing anything: past the unmap nothing fails. */
	vma = vma_alloc(addr, addr + len, flags & MM_MAP_SHARED ? 0 : addr >> PAGE_SHIFT, vm_flags);
	if (!vma)
		return -ENOMEM;
	if ((flags & MM_MAP_SHARED) && !(vma->shm = shmem_create(len >> PAGE_SHIFT))) {
		vma_free(vma);
		return -ENOMEM;
	}
	if (next && next->vm_start < addr + len) {
		int err = munmap_range(mm, addr, addr + len, &prev, &next);
		if (err) {
			vma_free(vma);
			return err;
		}
	}
	mmap_region(mm, vma, prev, next);
	if (flags & (MM_MAP_POPULATE | MM_MAP_LOCKED))
		mm_populate(mm, addr, addr + len, true);
	return (long)addr;
}
