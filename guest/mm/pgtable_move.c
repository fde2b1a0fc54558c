/*
 * move_page_tables() for mremap: entries move, frames stay where they are.
 * A 2 MiB span moving to a 2 MiB slot with no page-table page takes its
 * whole PT page along (one entry moves in the PD: Linux's move_normal_pmd);
 * otherwise the entries move one by one (a tight loop of a load, two
 * stores and a test per entry).
 */
#include "guest/mm/pgtable.h"
#include "guest/mm/frame.h"
#include "guest/mm/mm_tlblog.h"

#define PMD_SIZE   (1ULL << 21)

/* The PD entry slot covering addr, or NULL if the tables above are missing. */
static uint64_t *pmd_offset_noalloc(struct mm_struct *mm, uint64_t addr, uint64_t *pd_pa)
{
	uint64_t e = mm->pml4[(addr >> 39) & 511];

	if (!(e & PTE_P))
		return NULL;
	e = ((uint64_t *)mm_va(e & PTE_ADDR))[(addr >> 30) & 511];
	if (!(e & PTE_P))
		return NULL;
	*pd_pa = e & PTE_ADDR;
	return (uint64_t *)mm_va(e & PTE_ADDR) + ((addr >> 21) & 511);
}

/* The PD entry slot covering addr, allocating the PDPT and PD if needed
 * (not the PT: a whole PT page may move into the slot). */
static uint64_t *pmd_alloc(struct mm_struct *mm, uint64_t addr, uint64_t *pd_pa)
{
	uint64_t pa = mm->pml4_pa;

	for (unsigned shift = 39; shift > 21; shift -= 9) {
		uint64_t *slot = (uint64_t *)mm_va(pa) + ((addr >> shift) & 511);
		if (!(*slot & PTE_P)) {
			uint64_t table = frame_alloc(PAGE_T_PGTABLE);
			if (!table)
				return NULL;
			*slot = table | PTE_TABLE;
			mm_g.pt_used[pa >> PAGE_SHIFT]++;
			mm->pt_pages++;
		}
		pa = *slot & PTE_ADDR;
	}
	*pd_pa = pa;
	return (uint64_t *)mm_va(pa) + ((addr >> 21) & 511);
}

/* TLB-coherence log: the n present leaves of PT pt from va leave va. */
static __attribute__((cold, noinline)) void log_moved(uint32_t mm, uint64_t pt, uint64_t va,
						     unsigned n)
{
	const uint64_t *e = (const uint64_t *)mm_va(pt) + ((va >> PAGE_SHIFT) & 511);

	for (unsigned i = 0; i < n; i++)
		if (e[i] & PTE_P)
			tlblog_emit(TLOG_PTE_CLEAR, mm, va + (uint64_t)i * PAGE_SIZE, e[i] & PTE_ADDR);
}

/* Move n entries from PT old_pt (at old) to PT new_pt (at new). */
static void move_ptes(uint64_t old_pt, uint64_t old, uint64_t new_pt, uint64_t new, unsigned n)
{
	uint64_t *src = (uint64_t *)mm_va(old_pt) + ((old >> PAGE_SHIFT) & 511);
	uint64_t *dst = (uint64_t *)mm_va(new_pt) + ((new >> PAGE_SHIFT) & 511);
	uint64_t *stop = src + n;
	unsigned moved = 0;

	for (; src < stop; src++, dst++) {
		uint64_t e = *src;
		if (!e)
			continue;
		*dst = e;
		*src = 0;
		moved++;
	}
	mm_g.pt_used[old_pt >> PAGE_SHIFT] -= moved;
	mm_g.pt_used[new_pt >> PAGE_SHIFT] += moved;
}

/* Move the PT page of a whole 2 MiB span: *new_pmd (empty) takes *old_pmd. */
static void move_pmd(uint64_t *old_pmd, uint64_t old_pd, uint64_t *new_pmd, uint64_t new_pd)
{
	*new_pmd = *old_pmd;
	*old_pmd = 0;
	mm_g.pt_used[old_pd >> PAGE_SHIFT]--;
	mm_g.pt_used[new_pd >> PAGE_SHIFT]++;
}

uint64_t move_page_tables(struct mm_struct *mm, struct mmu_gather *tlb, uint64_t old, uint64_t new,
			  uint64_t len)
{
	uint64_t old_end = old + len, start = old;

	while (old < old_end) {
		uint64_t extent = PMD_SIZE - (old & (PMD_SIZE - 1)), old_pd, new_pd, new_pt;
		uint64_t *old_pmd, *new_pmd, *pte;

		if (extent > PMD_SIZE - (new & (PMD_SIZE - 1)))
			extent = PMD_SIZE - (new & (PMD_SIZE - 1));
		if (extent > old_end - old)
			extent = old_end - old;
		old_pmd = pmd_offset_noalloc(mm, old, &old_pd);
		if (!old_pmd || !(*old_pmd & PTE_P))
			goto next;          /* nothing mapped there */
		new_pmd = pmd_alloc(mm, new, &new_pd);
		if (!new_pmd)
			break;
		if (mm_tlblog_on)
			log_moved(mm->id, *old_pmd & PTE_ADDR, old, (unsigned)(extent >> PAGE_SHIFT));
		if (extent == PMD_SIZE && !(*new_pmd & PTE_P)) {
			if (mm_tlblog_on)
				tlblog_emit(TLOG_PT_UNLINK, mm->id, old, (*old_pmd & PTE_ADDR) | 1);
			move_pmd(old_pmd, old_pd, new_pmd, new_pd);
		} else {
			pte = pte_alloc_walk(mm, new, &new_pt);
			if (!pte)
				break;
			move_ptes(*old_pmd & PTE_ADDR, old, new_pt, new, (unsigned)(extent >> PAGE_SHIFT));
		}
		tlb_track_range(tlb, old, old + extent);
next:
		old += extent;
		new += extent;
	}
	return old - start;
}
