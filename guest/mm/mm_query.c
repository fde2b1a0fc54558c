/*
 * Read-only views of an mm for requests (VMA list, PTE lookup) and the
 * test-only fault injection that breaks an invariant on purpose so that the
 * host's checker can be shown to catch it.
 */
#include "guest/mm/mm.h"
#include "guest/mm/frame.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/tlb.h"
#include "guest/mm/vma.h"

unsigned mm_vma_list(struct mm_struct *mm, uint64_t from, unsigned max,
		     void (*fn)(void *ctx, unsigned i, const struct mm_vma_info *info), void *ctx)
{
	struct vm_area_struct *vma;
	unsigned n = 0;

	if (max == 0)
		return 0;
	for (vma = find_vma(mm, from); vma && n < max; vma = vma->vm_next, n++) {
		struct mm_vma_info info = {
			.start = vma->vm_start,
			.end = vma->vm_end,
			.pgoff = vma->vm_pgoff,
			.flags = vma->vm_flags,
			.anon = vma->anon_vma != NULL,
		};
		fn(ctx, n, &info);
	}
	return n;
}

uint64_t mm_map_count(const struct mm_struct *mm)
{
	return mm->map_count;
}

int mm_pte_lookup(struct mm_struct *mm, uint64_t addr, uint64_t *pte, int *level)
{
	uint64_t *slot = addr < USER_PGTABLES_CEILING ? pte_walk(mm, addr, NULL) : NULL;

	*pte = slot ? *slot : 0;
	*level = *pte ? 1 : 0;
	return 0;
}

uint32_t mm_id(const struct mm_struct *mm)
{
	return mm->id;
}

int mm_page_share(struct mm_struct *mm, uint64_t addr, uint64_t n, uint8_t *out)
{
	uint64_t start = addr;

	if (addr & ~PAGE_MASK)
		return -EINVAL;
	for (uint64_t i = 0; i < n; i++, addr += PAGE_SIZE) {
		/* Nothing of the mm lies at or above TASK_SIZE (nor past a wrap). */
		uint64_t *slot = addr >= start && addr < TASK_SIZE ? pte_walk(mm, addr, NULL) : NULL;
		uint64_t e = slot ? *slot : 0, pa = e & PTE_ADDR;

		if (!(e & (PTE_P | PTE_PROTNONE)))
			out[i] = MM_PAGE_NONE;
		else if (pa == mm_g.zero_pa || frame_mapcount(pa) > 1)
			out[i] = MM_PAGE_SHARED;
		else
			out[i] = MM_PAGE_EXCLUSIVE;
	}
	return 0;
}

/* A present read-only user PTE to the zero page at addr, outside every
 * VMA, accounted like a real mapping (only "inside a VMA" is broken). */
static int inject_stray_pte(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);
	uint64_t *pte, pt_pa;

	if (addr >= TASK_SIZE || (vma && vma->vm_start <= addr))
		return -EINVAL;
	pte = pte_alloc_walk(mm, addr, &pt_pa);
	if (!pte)
		return -ENOMEM;
	if (*pte)
		return -EINVAL;
	*pte = mm_g.zero_pa | pte_prot(VM_READ, true);
	__atomic_fetch_add(&frame_page(mm_g.zero_pa)->refcount, 1, __ATOMIC_RELAXED);
	mm->zero_ptes++;
	mm_g.pt_used[pt_pa >> PAGE_SHIFT]++;
	return 0;
}

/* Set W in the present PTE at addr (meant for a zero-page PTE). */
static int inject_writable(struct mm_struct *mm, uint64_t addr)
{
	uint64_t *pte = addr < TASK_SIZE ? pte_walk(mm, addr, NULL) : NULL;

	if (!pte || !(*pte & PTE_P))
		return -EINVAL;
	*pte |= PTE_W;
	flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
	return 0;
}

/* One reference too many on the frame the PTE at addr maps (not the zero page). */
static int inject_refcount(struct mm_struct *mm, uint64_t addr)
{
	uint64_t *pte = addr < TASK_SIZE ? pte_walk(mm, addr, NULL) : NULL;
	uint64_t pa = pte ? *pte & PTE_ADDR : 0;

	if (!pa || pa == mm_g.zero_pa)
		return -EINVAL;
	__atomic_fetch_add(&frame_page(pa)->refcount, 1, __ATOMIC_RELAXED);
	return 0;
}

/* INJECT_RELEASE_HOLD arrived (on another CPU): the holder goes on. */
static uint32_t hold_release;

/* Keep mm's mmap_lock (the caller holds it for writing) until released:
 * published in this CPU's lock_hold, interrupts let in while waiting. */
static int hold_mmap_lock(struct mm_struct *mm)
{
	struct mm_cpu_tlb *pub = this_cpu_mm()->pub;

	__atomic_store_n(&pub->lock_hold, mm->id, __ATOMIC_SEQ_CST);
	while (!__atomic_exchange_n(&hold_release, 0, __ATOMIC_ACQ_REL))
		arch_irq_window();
	__atomic_store_n(&pub->lock_hold, 0, __ATOMIC_RELEASE);
	return 0;
}

int mm_inject(struct mm_struct *mm, int kind, uint64_t addr)
{
	addr &= PAGE_MASK;
	switch (kind) {
	case MM_INJECT_HOLD_MMAP_LOCK:
		return hold_mmap_lock(mm);
	case MM_INJECT_RELEASE_HOLD:
		__atomic_store_n(&hold_release, 1, __ATOMIC_RELEASE);
		return 0;
	case MM_INJECT_STRAY_PTE:
		return inject_stray_pte(mm, addr);
	case MM_INJECT_WRITABLE_ZERO:
		return inject_writable(mm, addr);
	case MM_INJECT_REFCOUNT:
		return inject_refcount(mm, addr);
	}
	return -EINVAL;
}
