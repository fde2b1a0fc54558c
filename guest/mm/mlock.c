/*
 * mlock2 / munlock, as Linux 6.18 (checked on the host, as root, with the
 * unit tests' oracle):
 *
 *   EINVAL for flags other than MLOCK_ONFAULT; the start is rounded down
 *   to its page and the length up to cover the same bytes; a range that
 *   wraps: EINVAL; length 0: 0;
 *   the range must start inside a VMA (else ENOMEM, nothing changed); VMA
 *   parts get VM_LOCKED (and VM_LOCKONFAULT for onfault) one after the
 *   other, split off or merged as mprotect does, up to a hole: ENOMEM,
 *   what was done stays (and nothing is populated);
 *   then mlock populates the range (not onfault VMAs); a PROT_NONE VMA
 *   stops it with ENOMEM (GUP's EFAULT, mlock's POSIX error), the VMAs
 *   staying locked;
 *   munlock clears both flags, merging the parts back.
 * munmap of a locked range just unmaps it; madvise dontneed refuses it.
 */
#include "guest/mm/mm.h"
#include "guest/mm/populate.h"
#include "guest/mm/vma.h"

#define VM_LOCKED_MASK (VM_LOCKED | VM_LOCKONFAULT)

/* Set the lock flags of every VMA part of [start, end) to lock (Linux's
 * apply_vma_lock_flags). */
static int apply_vma_lock_flags(struct mm_struct *mm, uint64_t start, uint64_t end, uint64_t lock)
{
	struct vm_area_struct *vma = find_vma(mm, start), *prev;
	uint64_t nstart = start, tmp;

	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	if (!vma || vma->vm_start > start)
		return -ENOMEM;
	prev = start > vma->vm_start ? vma : vma->vm_prev;
	tmp = vma->vm_start;
	while (vma && vma->vm_start < end) {
		uint64_t flags = (vma->vm_flags & ~VM_LOCKED_MASK) | lock;
		int err;

		if (vma->vm_start != tmp)
			return -ENOMEM;             /* a hole */
		tmp = vma->vm_end < end ? vma->vm_end : end;
		if (flags == vma->vm_flags) {
			prev = vma;
		} else {
			err = vma_modify_flags(mm, prev, vma, nstart, tmp, flags, &prev);
			if (err)
				return err;
		}
		tmp = prev->vm_end;
		nstart = tmp;
		vma = prev->vm_next;
	}
	return tmp < end ? -ENOMEM : 0;
}

/* The page-rounded range of an mlock/munlock call (the end may wrap). */
static void lock_range(uint64_t *start, uint64_t len, uint64_t *end)
{
	len = PAGE_ALIGN(len + (*start & ~PAGE_MASK));
	*start &= PAGE_MASK;
	*end = *start + len;
}

int do_mlock(struct mm_struct *mm, uint64_t start, uint64_t len, uint32_t flags)
{
	uint64_t end;
	int err;

	if (flags & ~MM_MLOCK_ONFAULT)
		return -EINVAL;
	lock_range(&start, len, &end);
	err = apply_vma_lock_flags(mm, start, end,
				   VM_LOCKED | (flags & MM_MLOCK_ONFAULT ? VM_LOCKONFAULT : 0));
	if (err || end == start)
		return err;
	err = mm_populate(mm, start, end, false);
	/* __mlock_posix_error_return: EFAULT -> ENOMEM, ENOMEM -> EAGAIN. */
	if (err == -EFAULT)
		return -ENOMEM;
	return err == -ENOMEM ? -EAGAIN : err;
}

int do_munlock(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	uint64_t end;

	lock_range(&start, len, &end);
	return apply_vma_lock_flags(mm, start, end, 0);
}
