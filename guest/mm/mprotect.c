/*
 * mprotect, as Linux 6.18's do_mprotect_pkey() for anonymous private
 * memory (behaviour checked on the host kernel):
 *  - EINVAL for an unaligned start or unknown prot bits (PROT_SEM is
 *    accepted and ignored); len 0 succeeds; a range that wraps: ENOMEM;
 *  - the range must start inside a VMA (else ENOMEM, nothing changed); VMAs
 *    are changed one after the other up to the first hole, then ENOMEM;
 *  - each VMA part first tries to merge with its neighbours, else is split
 *    off; every split needs map_count < MAX_MAP_COUNT (else ENOMEM, with
 *    what was already done left in place, as Linux does);
 *  - VM_ACCOUNT is set when private memory becomes writable (unless
 *    VM_NORESERVE: verified on the host, it never gets it), and dropped
 *    when it becomes read-only before it ever got an anon_vma;
 *  - existing PTEs follow the new flags, then the TLB is flushed once.
 */
#include "guest/mm/mm.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/populate.h"
#include "guest/mm/tlb.h"
#include "guest/mm/vma.h"

/* Apply newflags to [start, end) of vma (prev: the VMA before start).
 * On success *pprev is the VMA now covering [start, end). */
static int mprotect_fixup(struct mm_struct *mm, struct mmu_gather *tlb, struct vm_area_struct *vma,
			  struct vm_area_struct **pprev, uint64_t start, uint64_t end,
			  uint64_t newflags)
{
	uint64_t oldflags = vma->vm_flags;
	int err;

	if (newflags == oldflags) {
		*pprev = vma;
		return 0;
	}
	if (newflags & VM_WRITE) {
		if (!(oldflags & (VM_ACCOUNT | VM_WRITE | VM_NORESERVE | VM_SHARED)))
			newflags |= VM_ACCOUNT;
	} else if ((oldflags & VM_ACCOUNT) && !vma->anon_vma) {
		newflags &= ~VM_ACCOUNT;
	}
	err = vma_modify_flags(mm, *pprev, vma, start, end, newflags, pprev);
	if (err)
		return err;
	change_prot_range(mm, tlb, start, end, newflags);
	/* A locked private VMA becoming writable is populated (COW now rather
	 * than a fault later), unless it is locked on fault; found by the
	 * random comparison with the host. */
	if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (newflags & VM_WRITE) &&
	    !(newflags & VM_LOCKONFAULT))
		populate_range(mm, *pprev, start, end, true);
	return 0;
}

int do_mprotect(struct mm_struct *mm, uint64_t start, uint64_t len, uint32_t prot)
{
	struct vm_area_struct *vma, *prev;
	struct mmu_gather *tlb;
	uint64_t end, tmp, nstart;
	int err = 0;

	if (start & ~PAGE_MASK)
		return -EINVAL;
	if (prot & ~(MM_PROT_READ | MM_PROT_WRITE | MM_PROT_EXEC | MM_PROT_SEM))
		return -EINVAL;
	if (len == 0)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;

	vma = find_vma(mm, start);
	if (!vma || vma->vm_start >= end || vma->vm_start > start)
		return -ENOMEM;
	prev = start > vma->vm_start ? vma : vma->vm_prev;

	tlb = tlb_gather_mmu(mm);
	nstart = start;
	tmp = vma->vm_start;
	while (vma && vma->vm_start < end) {
		uint64_t newflags;

		if (vma->vm_start != tmp) {
			err = -ENOMEM;      /* a hole */
			break;
		}
		/* MM_PROT_* and VM_READ/WRITE/EXEC share their bit values (mmap.c). */
		newflags = (prot & VM_ACCESS_FLAGS) | (vma->vm_flags & ~VM_ACCESS_FLAGS);
		tmp = vma->vm_end < end ? vma->vm_end : end;
		err = mprotect_fixup(mm, tlb, vma, &prev, nstart, tmp, newflags);
		if (err)
			break;
		tmp = prev->vm_end;
		nstart = tmp;
		vma = prev->vm_next;
	}
	tlb_finish_mmu(tlb);
	if (!err && tmp < end)
		err = -ENOMEM;
	return err;
}
