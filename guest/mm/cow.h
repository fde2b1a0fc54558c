/*
 * Copy-on-write of private pages shared after fork (guest/mm/cow.c) and
 * the leaf bits of a page that may be shared.
 */
#ifndef GUEST_MM_COW_H
#define GUEST_MM_COW_H

#include "guest/mm/frame.h"
#include "guest/mm/pgtable.h"

/* pte_prot() for the page at pa in a VMA with vm_flags: a private page
 * that another PTE also maps (after fork) stays read-only until a write
 * fault copies or reuses it (Linux maps an anonymous page writable only
 * while it is exclusive). */
static inline uint64_t pte_prot_page(uint64_t vm_flags, uint64_t pa)
{
	bool zero = pa == mm_g.zero_pa;
	uint64_t bits = pte_prot(vm_flags, zero);

	/* The count is shared with other mms' CPUs (docs/locking.md). */
	if (!zero && !(vm_flags & VM_SHARED) &&
	    __atomic_load_n(&frame_page(pa)->refcount, __ATOMIC_RELAXED) > 1)
		bits &= ~PTE_W;
	return bits;
}

/* Linux's do_wp_page for the present entry *pte at addr (page aligned) of a
 * writable VMA: the zero page is replaced by a fresh frame; a private frame
 * mapped by this entry alone is reused (made writable); one mapped
 * elsewhere too is copied into a fresh frame.  0 or -ENOMEM. */
int do_wp_page(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t *pte, uint64_t addr);

#endif
