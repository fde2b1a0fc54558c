/*
 * fork: Linux 6.18's dup_mmap for the guest's anonymous memory.
 *
 *  - every VMA is copied in address order, except VM_DONTCOPY ones; the
 *    copy loses VM_LOCKED and VM_LOCKONFAULT (mlock is not inherited);
 *  - a VM_WIPEONFORK VMA is copied empty: no anon_vma, no page tables;
 *  - any other VMA gets its anon_vma and chain from anon_vma_fork
 *    (anon_vma.c), and its page table entries are copied only if the
 *    parent's VMA has an anon_vma (vma_needs_copy: one never written has
 *    nothing worth copying; the child faults it in);
 *  - a copied entry maps the same frame, which gains a mapping
 *    (abi_page.refcount); a private frame's entry is write-protected in
 *    both processes (copy_present_pte), the zero page's already is; the
 *    parent's TLB is flushed once at the end (flush_tlb_mm);
 *  - a VM_SHARED VMA has no anon_vma: its pages stay in its object and
 *    the child faults them in (they are never copied).
 * Out of memory part way, the child is destroyed (exit_mmap) and fork
 * returns -ENOMEM; the parent keeps its (now write-protected) pages.
 *
 * Locks: the parent's mmap_lock for writing (the request's), the child's
 * from its creation to the end.  A copied frame gains its mapping by an
 * atomic add: other mms that share it (earlier children) drop theirs on
 * other CPUs meanwhile.
 */
#include "guest/mm/cow.h"
#include "guest/mm/mm.h"
#include "guest/mm/shmem.h"
#include "guest/mm/vma.h"

struct fork_copy {
	struct mm_struct *src, *dst;
	uint64_t wp_start, wp_end;    /* parent entries write-protected */
	bool shared;                  /* VM_SHARED VMA: entries keep W */
};

/* Copy the entries of [addr, end) (inside one PT page of the parent) into
 * the child's table for that span. */
static int copy_pte_table(struct fork_copy *f, uint64_t src_pt, uint64_t addr, uint64_t end)
{
	uint64_t *s = (uint64_t *)mm_va(src_pt) + ((addr >> PAGE_SHIFT) & 511);
	uint64_t *stop = s + ((end - addr) >> PAGE_SHIFT), *d, dst_pt;
	uint64_t zero_pa = mm_g.zero_pa;
	unsigned added = 0, zeros = 0;

	while (s < stop && !*s) {
		s++;
		addr += PAGE_SIZE;
	}
	if (s == stop)
		return 0;
	mm_progress();
	d = pte_alloc_walk(f->dst, addr, &dst_pt);
	if (!d)
		return -ENOMEM;
	for (; s < stop; s++, d++, addr += PAGE_SIZE) {
		uint64_t e = *s, pa = e & PTE_ADDR;
		if (!e)
			continue;
		if (pa == zero_pa) {
			zeros++;
		} else if ((e & PTE_W) && !f->shared) {
			e &= ~PTE_W;
			*s = e;
			if (addr < f->wp_start)
				f->wp_start = addr;
			f->wp_end = addr + PAGE_SIZE;
		}
		/* Other mms sharing the frame drop it at the same time. */
		__atomic_fetch_add(&frame_page(pa)->refcount, 1, __ATOMIC_RELAXED);
		*d = e;
		added++;
	}
	mm_g.pt_used[dst_pt >> PAGE_SHIFT] += added;
	f->dst->zero_ptes += zeros;
	f->dst->rss_pages += added - zeros;
	return 0;
}

/* Copy [addr, end) below the parent's level-`level` table at table_pa. */
static int copy_level(struct fork_copy *f, uint64_t table_pa, unsigned level, uint64_t addr,
		      uint64_t end)
{
	const uint64_t *table = mm_va(table_pa);
	unsigned shift = PAGE_SHIFT + 9 * (level - 1);
	uint64_t span = 1ULL << shift;

	while (addr < end) {
		uint64_t next = (addr & ~(span - 1)) + span;
		uint64_t e = table[(addr >> shift) & 511];
		int err = 0;

		if (next > end || next == 0)
			next = end;
		if (e & PTE_P)
			err = level == 2 ? copy_pte_table(f, e & PTE_ADDR, addr, next)
					 : copy_level(f, e & PTE_ADDR, level - 1, addr, next);
		if (err)
			return err;
		addr = next;
	}
	return 0;
}

/* The child's copy of vma, linked after prev: 0 or -ENOMEM. */
static int dup_vma(struct fork_copy *f, struct vm_area_struct *vma,
		   struct vm_area_struct **prev)
{
	struct vm_area_struct *tmp = vma_alloc(vma->vm_start, vma->vm_end, vma->vm_pgoff,
					       vma->vm_flags & ~(VM_LOCKED | VM_LOCKONFAULT));

	if (!tmp)
		return -ENOMEM;
	if (!(vma->vm_flags & VM_WIPEONFORK) && anon_vma_fork(tmp, vma)) {
		vma_free(tmp);
		return -ENOMEM;
	}
	tmp->shm = vma->shm;
	shmem_get(tmp->shm);
	vma_link(f->dst, tmp, *prev);
	*prev = tmp;
	if ((vma->vm_flags & VM_WIPEONFORK) || !vma->anon_vma)
		return 0;
	f->shared = (vma->vm_flags & VM_SHARED) != 0;
	return copy_level(f, f->src->pml4_pa, 4, vma->vm_start, vma->vm_end);
}

int mm_fork(uint32_t id)
{
	struct mm_struct *src = mm_lookup(id), *dst;
	struct vm_area_struct *prev = NULL;
	struct fork_copy f;
	int child, err = 0;

	if (!src)
		return -ESRCH;
	/* The child's mmap_lock is held until it is complete: a request that
	 * guessed its id waits (Linux's dup_mmap holds both). */
	dst = mm_create_locked();
	if (!dst)
		return -ENOMEM;
	child = (int)dst->id;
	dst->desc->parent = src->id;
	f = (struct fork_copy){ .src = src, .dst = dst, .wp_start = ~0ULL, .wp_end = 0 };
	for (struct vm_area_struct *vma = src->mmap; vma && !err; vma = vma->vm_next)
		if (!(vma->vm_flags & VM_DONTCOPY))
			err = dup_vma(&f, vma, &prev);
	/* flush_tlb_mm(oldmm): the parent's entries lost their W bit. */
	flush_tlb_mm_range(src, f.wp_start, f.wp_end);
	if (err) {
		mm_exit_locked(dst);
		return err;
	}
	mm_publish(dst);
	mmap_unlock_write(&dst->mmap_lock);
	return child;
}
