/* mremap's two halves: the checks and the resize (mremap.c), the move (mremap_move.c). */
#ifndef GUEST_MM_MREMAP_H
#define GUEST_MM_MREMAP_H

#include "guest/mm/mm_types.h"

/* Move [old_addr, old_addr + old_len) of vma (inside it) to the free range
 * [new_addr, new_addr + new_len) (new_len >= old_len), as Linux's
 * move_vma: a VMA is copied there (merged with its new neighbours when
 * Linux would), the page-table entries move, then the old range is
 * unmapped, or with MM_MREMAP_DONTUNMAP kept, empty, without VM_LOCKED.
 * Returns new_addr or -ENOMEM (nothing changed). */
long move_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t old_addr,
	      uint64_t old_len, uint64_t new_addr, uint64_t new_len, uint32_t flags);

/* The VMA containing addr, or NULL (Linux's vma_lookup). */
struct vm_area_struct *vma_lookup(struct mm_struct *mm, uint64_t addr);

#endif
