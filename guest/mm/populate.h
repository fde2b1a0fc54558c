/*
 * Faulting memory in from the kernel (MAP_POPULATE, MAP_LOCKED, mlock,
 * madvise populate, mremap growth of a locked VMA): page tables are filled
 * directly, a page-table page at a time, without the trap path.
 */
#ifndef GUEST_MM_POPULATE_H
#define GUEST_MM_POPULATE_H

#include "guest/mm/mm_types.h"

/* Fault in [start, end) (page aligned, inside vma) as a user access would:
 * write: a private frame for every page without one (the zero page is
 * replaced), giving vma its anon_vma first; read: the zero page for every
 * empty entry.  Access rights are the caller's business.  0 or -ENOMEM
 * (pages filled so far stay). */
int populate_range(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t start, uint64_t end,
		   bool write);

/* Linux's __mm_populate: every VMA part in [start, end), written if the VMA
 * is writable, else read; VM_LOCKONFAULT VMAs are skipped, a PROT_NONE one
 * is -EFAULT.  ignore_errors: go on past failures and return 0 (mmap);
 * else stop at the first (mlock).  Holes are skipped. */
int mm_populate(struct mm_struct *mm, uint64_t start, uint64_t end, bool ignore_errors);

#endif
