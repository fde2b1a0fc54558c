/*
 * Page tables of the user half: walks, the leaf bits a VMA's pages get,
 * and the two range operations (zap for munmap/exit, change for mprotect).
 *
 * mm_g.pt_used[pfn] counts the non-empty entries of every page-table page,
 * so emptiness is known without scanning 512 entries.
 */
#ifndef GUEST_MM_PGTABLE_H
#define GUEST_MM_PGTABLE_H

#include "guest/mm/mm_types.h"
#include "guest/mm/tlb.h"

/* Leaf bits (no address) for a page of a VMA with vm_flags: present, user,
 * writable only for a private frame of a VM_WRITE VMA, NX unless VM_EXEC;
 * P clear and PTE_PROTNONE for a VMA without access.  zero: the zero page. */
static inline uint64_t pte_prot(uint64_t vm_flags, bool zero)
{
	uint64_t p;

	if (!(vm_flags & VM_ACCESS_FLAGS))
		return PTE_PROTNONE | PTE_A | (zero ? 0 : PTE_D);
	p = PTE_P | PTE_U | PTE_A;
	if (!zero) {
		p |= PTE_D;
		if (vm_flags & VM_WRITE)
			p |= PTE_W;
	}
	if (!(vm_flags & VM_EXEC))
		p |= PTE_NX;
	return p;
}

/* The PTE slot of addr if every table down to it exists, else NULL; *pt_pa
 * gets the PT page's address.  Inline: the fault path's walk. */
static inline uint64_t *pte_offset(struct mm_struct *mm, uint64_t addr, uint64_t *pt_pa)
{
	uint64_t e = mm->pml4[(addr >> 39) & 511];

	if (!(e & PTE_P))
		return NULL;
	e = ((uint64_t *)mm_va(e & PTE_ADDR))[(addr >> 30) & 511];
	if (!(e & PTE_P))
		return NULL;
	e = ((uint64_t *)mm_va(e & PTE_ADDR))[(addr >> 21) & 511];
	if (!(e & PTE_P))
		return NULL;
	*pt_pa = e & PTE_ADDR;
	return (uint64_t *)mm_va(e & PTE_ADDR) + ((addr >> PAGE_SHIFT) & 511);
}

/* pte_offset() without the PT address (pt_pa may be NULL). */
uint64_t *pte_walk(struct mm_struct *mm, uint64_t addr, uint64_t *pt_pa);

/* The PTE slot of addr, allocating missing tables (zero frames); NULL when
 * out of memory (tables allocated so far stay: they are empty). */
uint64_t *pte_alloc_walk(struct mm_struct *mm, uint64_t addr, uint64_t *pt_pa);

/* Clear every leaf in [start, end) (page aligned, below the user ceiling),
 * gathering their frames into tlb, then free each page-table page in that
 * range that became empty and whose whole span lies in [floor, ceiling)
 * (Linux's free_pgtables rule).  Nothing is flushed or freed, and rss_pages
 * / zero_ptes do not move, before the gather is flushed. */
void zap_page_range(struct mm_struct *mm, struct mmu_gather *tlb, uint64_t start, uint64_t end,
		    uint64_t floor, uint64_t ceiling);

/* Rewrite the existing leaves of [start, end) for vm_flags (pte_prot),
 * tracking the changed ones in tlb for the flush. */
void change_prot_range(struct mm_struct *mm, struct mmu_gather *tlb, uint64_t start, uint64_t end,
		       uint64_t vm_flags);

/* mremap: move the entries of [old, old + len) to [new, new + len) (page
 * aligned, new range empty): frames are not copied, a whole page-table page
 * moves when a 2 MiB span moves to an empty 2 MiB slot, else entry by
 * entry.  Moved ranges are tracked in tlb for the flush.  Returns the bytes
 * moved: less than len only when a page-table page could not be had. */
uint64_t move_page_tables(struct mm_struct *mm, struct mmu_gather *tlb, uint64_t old, uint64_t new,
			  uint64_t len);

#endif
