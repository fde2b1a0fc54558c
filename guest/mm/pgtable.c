/*
 * Page-table walks of the user half.  Range operations go level by level
 * and skip absent entries, so their cost follows the populated tables, not
 * the length of the range; the leaf loops are kept tight (munmap of a
 * populated range costs a few dozen instructions per page).
 */
#include "guest/mm/pgtable.h"
#include "guest/mm/frame.h"
#include "guest/mm/mm_tlblog.h"
#include "guest/mm/mm_trace.h"

#define LEVEL_SHIFT(level)  (PAGE_SHIFT + 9 * ((level) - 1))   /* of a level-`level` table's entries */

static inline unsigned table_index(uint64_t addr, unsigned shift)
{
	return (unsigned)(addr >> shift) & (PTRS_PER_TABLE - 1);
}

uint64_t *pte_walk(struct mm_struct *mm, uint64_t addr, uint64_t *pt_pa)
{
	uint64_t pa;

	return pte_offset(mm, addr, pt_pa ? pt_pa : &pa);
}

uint64_t *pte_alloc_walk(struct mm_struct *mm, uint64_t addr, uint64_t *pt_pa)
{
	uint64_t pa = mm->pml4_pa;

	for (unsigned shift = 39; shift > PAGE_SHIFT; shift -= 9) {
		uint64_t *slot = (uint64_t *)mm_va(pa) + table_index(addr, shift);
		uint64_t e = *slot;
		if (!(e & PTE_P)) {
			uint64_t table = frame_alloc(PAGE_T_PGTABLE);
			if (!table)
				return NULL;
			e = table | PTE_TABLE;
			*slot = e;
			mm_g.pt_used[pa >> PAGE_SHIFT]++;
			mm->pt_pages++;
		}
		pa = e & PTE_ADDR;
	}
	*pt_pa = pa;
	return (uint64_t *)mm_va(pa) + table_index(addr, PAGE_SHIFT);
}

struct zap {
	struct mm_struct *mm;
	struct mmu_gather *tlb;
	uint64_t floor, ceiling;
};

/* The levels below are forced inline into zap_page_range: one function of
 * nested loops, no per-level call, spill and return on the hot path. */
#define ZAP_INLINE static inline __attribute__((always_inline))

/* End of the level-`shift` span holding addr, capped at end. */
ZAP_INLINE uint64_t span_end(uint64_t addr, uint64_t end, unsigned shift)
{
	uint64_t next = (addr | ((1ULL << shift) - 1)) + 1;

	return next < end ? next : end;
}

/* *entry (in the table at parent_pa) points to page-table page `table`
 * whose span [base, base + 2^shift) was walked from addr: free it if it is
 * empty and its span lies in [floor, ceiling). */
ZAP_INLINE bool free_table_if_unused(struct zap *z, uint64_t *entry, uint64_t parent_pa,
				     uint64_t table, unsigned shift, uint64_t addr)
{
	uint64_t base = addr & ~((1ULL << shift) - 1);

	TRACE(TEV_FREE_PGTABLE, (shift - 12) / 9, base, z->floor, z->ceiling, mm_g.pt_used[table >> 12]);
	if (base < z->floor || base + (1ULL << shift) > z->ceiling ||
	    mm_g.pt_used[table >> PAGE_SHIFT])
		return false;
	*entry = 0;
	TLBLOG(TLOG_PT_UNLINK, z->mm->id, base, table | ((shift - PAGE_SHIFT) / 9));
	mm_g.pt_used[parent_pa >> PAGE_SHIFT]--;
	z->mm->pt_pages--;
	/* Flushing any address of its span drops the paging-structure caches. */
	tlb_remove_table(z->tlb, table, addr);
	return true;
}

/* Clear the leaves of [addr, end) (inside one PT page), gathering their
 * frames.  The batch is made to have room for the whole table first, so
 * the loop only clears and collects; the zero page is told apart only when
 * the batch is freed. */
ZAP_INLINE void zap_pte_range(struct zap *z, uint64_t pt_pa, uint64_t addr, uint64_t end)
{
	uint64_t *start = (uint64_t *)mm_va(pt_pa) + table_index(addr, PAGE_SHIFT);
	uint64_t *stop = start + ((end - addr) >> PAGE_SHIFT), *pte = start, *first, *last;
	struct mmu_gather *tlb = z->tlb;
	unsigned nr, nr0;

	while (pte < stop && !*pte)
		pte++;
	if (pte == stop)
		return;
	mm_progress();
	if (tlb->nr + (unsigned)(stop - pte) > TLB_BATCH_MAX)
		tlb_flush_mmu(tlb);
	nr = nr0 = tlb->nr;
	first = last = pte;
	for (; pte < stop; pte++) {
		uint64_t e = *pte;
		if (!e)
			continue;
		*pte = 0;
		TLBLOG(TLOG_PTE_CLEAR, z->mm->id, addr + (uint64_t)(pte - start) * PAGE_SIZE,
		       e & PTE_ADDR);
		last = pte;
		tlb->batch[nr++] = e & PTE_ADDR;
	}
	tlb->nr = nr;
	TRACE(TEV_ZAP_PTES, addr, end, nr - nr0, pt_pa);
	tlb_track_range(tlb, addr + (uint64_t)(first - start) * PAGE_SIZE,
			addr + (uint64_t)(last + 1 - start) * PAGE_SIZE);
	mm_g.pt_used[pt_pa >> PAGE_SHIFT] -= nr - nr0;
}

ZAP_INLINE void zap_pmd_range(struct zap *z, uint64_t pd_pa, uint64_t addr, uint64_t end)
{
	uint64_t *pd = mm_va(pd_pa);

	do {
		uint64_t next = span_end(addr, end, 21), *entry = &pd[table_index(addr, 21)];
		if (*entry & PTE_P) {
			uint64_t pt = *entry & PTE_ADDR;
			zap_pte_range(z, pt, addr, next);
			free_table_if_unused(z, entry, pd_pa, pt, 21, addr);
		}
		addr = next;
	} while (addr < end);
}

ZAP_INLINE void zap_pud_range(struct zap *z, uint64_t pdpt_pa, uint64_t addr, uint64_t end)
{
	uint64_t *pdpt = mm_va(pdpt_pa);

	do {
		uint64_t next = span_end(addr, end, 30), *entry = &pdpt[table_index(addr, 30)];
		if (*entry & PTE_P) {
			uint64_t pd = *entry & PTE_ADDR;
			zap_pmd_range(z, pd, addr, next);
			free_table_if_unused(z, entry, pdpt_pa, pd, 30, addr);
		}
		addr = next;
	} while (addr < end);
}

/* The common small case: [start, end) inside one PT page's 2 MiB span.
 * A straight walk down and, as tables empty, back up. */
static void zap_one_table(struct zap *z, uint64_t start, uint64_t end)
{
	struct mm_struct *mm = z->mm;
	uint64_t *pml4e = &mm->pml4[table_index(start, 39)], *pdpte, *pde;
	uint64_t pdpt, pd, pt;

	if (!(*pml4e & PTE_P))
		return;
	pdpt = *pml4e & PTE_ADDR;
	pdpte = (uint64_t *)mm_va(pdpt) + table_index(start, 30);
	if (!(*pdpte & PTE_P))
		return;
	pd = *pdpte & PTE_ADDR;
	pde = (uint64_t *)mm_va(pd) + table_index(start, 21);
	if (!(*pde & PTE_P))
		return;
	pt = *pde & PTE_ADDR;
	zap_pte_range(z, pt, start, end);
	if (free_table_if_unused(z, pde, pd, pt, 21, start) &&
	    free_table_if_unused(z, pdpte, pdpt, pd, 30, start))
		free_table_if_unused(z, pml4e, mm->pml4_pa, pdpt, 39, start);
}

void zap_page_range(struct mm_struct *mm, struct mmu_gather *tlb, uint64_t start, uint64_t end,
		    uint64_t floor, uint64_t ceiling)
{
	struct zap z = { .mm = mm, .tlb = tlb, .floor = floor, .ceiling = ceiling };
	uint64_t addr = start;

	if (start < end && ((start ^ (end - 1)) >> 21) == 0) {
		zap_one_table(&z, start, end);
		return;
	}

	while (addr < end) {
		uint64_t next = span_end(addr, end, 39), *entry = &mm->pml4[table_index(addr, 39)];
		if (*entry & PTE_P) {
			uint64_t pdpt = *entry & PTE_ADDR;
			zap_pud_range(&z, pdpt, addr, next);
			free_table_if_unused(&z, entry, mm->pml4_pa, pdpt, 39, addr);
		}
		addr = next;
	}
}

struct prot {
	struct mmu_gather *tlb;
	uint64_t frame_bits, zero_bits;
	bool shared;              /* VM_SHARED: no copy-on-write */
};

static void change_pte_table(struct prot *p, uint64_t pt_pa, uint64_t addr, uint64_t end)
{
	uint64_t *pte = (uint64_t *)mm_va(pt_pa) + table_index(addr, PAGE_SHIFT);
	uint64_t *stop = pte + ((end - addr) >> PAGE_SHIFT);
	uint64_t zero_pa = mm_g.zero_pa;

	for (; pte < stop; pte++, addr += PAGE_SIZE) {
		uint64_t e = *pte, pa = e & PTE_ADDR, n;
		if (!e)
			continue;
		n = pa | (pa == zero_pa ? p->zero_bits : p->frame_bits);
		/* A private page shared after fork stays read-only (COW). */
		if ((n & PTE_W) && !p->shared &&
		    __atomic_load_n(&mm_g.pages[pa >> PAGE_SHIFT].refcount, __ATOMIC_RELAXED) > 1)
			n &= ~PTE_W;
		if (n != e) {
			*pte = n;
			tlb_track_page(p->tlb, addr);
		}
	}
}

static void change_level(struct prot *p, uint64_t table_pa, unsigned level, uint64_t addr,
			 uint64_t end)
{
	uint64_t *table = mm_va(table_pa);
	unsigned shift = LEVEL_SHIFT(level);
	uint64_t span = 1ULL << shift;

	while (addr < end) {
		uint64_t next = (addr & ~(span - 1)) + span;
		uint64_t e = table[table_index(addr, shift)];

		if (next > end)
			next = end;
		if (e & PTE_P) {
			if (level == 2)
				change_pte_table(p, e & PTE_ADDR, addr, next);
			else
				change_level(p, e & PTE_ADDR, level - 1, addr, next);
		}
		addr = next;
	}
}

void change_prot_range(struct mm_struct *mm, struct mmu_gather *tlb, uint64_t start, uint64_t end,
		       uint64_t vm_flags)
{
	struct prot p = {
		.tlb = tlb,
		.frame_bits = pte_prot(vm_flags, false),
		.zero_bits = pte_prot(vm_flags, true),
		.shared = (vm_flags & VM_SHARED) != 0,
	};

	TRACE(TEV_CHANGE_PROT, start, end, vm_flags);
	if (start < end)
		change_level(&p, mm->pml4_pa, 4, start, end);
}
