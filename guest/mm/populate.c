/*
 * Populate: fill the leaf entries of a range straight from the kernel.
 * Ring-0 instructions are emulated one by one on this platform, so the
 * loop over a page-table page is the whole cost: per empty entry it pops
 * a known-zero frame, types it and stores the entry (about 15 instructions),
 * and the counters (frames, rss, table use) move once per table.  A
 * ring-3 touch costs a trap, a walk and an iret per page instead.
 *
 * Populating runs under the mm's mmap_lock for writing (mmap, mlock,
 * madvise, mprotect): no fault of the mm runs meanwhile, so it takes no
 * page_table_lock; the write fill takes the frame allocator's lock once
 * per page-table page.
 */
#include "guest/mm/populate.h"
#include "guest/mm/cow.h"
#include "guest/mm/frame.h"
#include "guest/mm/mm_trace.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/shmem.h"
#include "guest/mm/vma.h"

/* Slow path of a write fill: one frame_alloc() per page (it discards the
 * dirty list when the zero pool runs dry), and zero-page entries. */
static int fill_slow(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t *pte,
		     unsigned n, uint64_t addr, uint64_t pt_pa, uint64_t bits)
{
	for (unsigned i = 0; i < n; i++, addr += PAGE_SIZE) {
		uint64_t e = pte[i], pa;
		if (e) {
			/* The zero page, or a page shared after fork: break COW. */
			if ((bits & PTE_W) && !(e & PTE_W) && do_wp_page(mm, vma, &pte[i], addr))
				return -ENOMEM;
			continue;
		}
		pa = frame_alloc(PAGE_T_USER);
		if (!pa)
			return -ENOMEM;
		pte[i] = pa | bits;
		mm->rss_pages++;
		mm_g.pt_used[pt_pa >> PAGE_SHIFT]++;
	}
	return 0;
}

/* Write fill of n entries of one PT page: the fast loop when the zero pool
 * holds n frames; returns -1 when the slow path must do it. */
static int fill_fast(struct mm_struct *mm, uint64_t *pte, unsigned n, uint64_t pt_pa,
		     uint64_t bits)
{
	uint64_t *stack, top, bump;
	uint64_t *stop = pte + n;
	struct abi_page *pages = mm_g.pages;
	unsigned added = 0, zeros = 0;

	frame_lock();
	stack = frames.zero_stack;
	top = frames.zero_top;
	bump = frames.bump_pfn;
	if (top + (frames.end_pfn - bump) < n) {
		frame_unlock();
		return -1;
	}
	for (; pte < stop; pte++) {
		uint64_t pa;
		if (*pte) {
			zeros += (bits & PTE_W) && !(*pte & PTE_W);
			continue;
		}
		pa = top ? stack[--top] : bump++ << PAGE_SHIFT;
		pages[pa >> PAGE_SHIFT] = (struct abi_page){ .refcount = 1, .type = PAGE_T_USER };
		*pte = pa | bits;
		added++;
	}
	frames.zero_top = top;
	frames.bump_pfn = bump;
	mm_g.table->frames_free -= added;
	mm_g.table->frames_zero -= added;
	frame_unlock();
	mm->rss_pages += added;
	mm_g.pt_used[pt_pa >> PAGE_SHIFT] += added;
	return zeros ? -1 : 0;    /* read-only entries: the slow path COWs them */
}

/* Read fill: the zero page in every empty entry. */
static void fill_zero(struct mm_struct *mm, uint64_t *pte, unsigned n, uint64_t pt_pa,
		      uint64_t bits)
{
	uint64_t e = mm_g.zero_pa | bits, *stop = pte + n;
	unsigned added = 0;

	for (; pte < stop; pte++) {
		if (!*pte) {
			*pte = e;
			added++;
		}
	}
	__atomic_fetch_add(&frame_page(mm_g.zero_pa)->refcount, added, __ATOMIC_RELAXED);
	mm->zero_ptes += added;
	mm_g.pt_used[pt_pa >> PAGE_SHIFT] += added;
}

int populate_range(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t start, uint64_t end,
		   bool write)
{
	uint64_t bits = pte_prot(vma->vm_flags, !write);

	if (vma->vm_flags & VM_SHARED)
		return shmem_populate(mm, vma, start, end, write);
	if (write && !vma->anon_vma && anon_vma_prepare(vma))
		return -ENOMEM;
	while (start < end) {
		uint64_t next = ((start >> 21) + 1) << 21, pt_pa, *pte;
		unsigned n;

		if (next > end)
			next = end;
		n = (unsigned)((next - start) >> PAGE_SHIFT);
		pte = pte_alloc_walk(mm, start, &pt_pa);
		if (!pte)
			return -ENOMEM;
		if (!write)
			fill_zero(mm, pte, n, pt_pa, bits);
		else if (fill_fast(mm, pte, n, pt_pa, bits) &&
			 fill_slow(mm, vma, pte, n, start, pt_pa, bits))
			return -ENOMEM;
		start = next;
	}
	return 0;
}

int mm_populate(struct mm_struct *mm, uint64_t start, uint64_t end, bool ignore_errors)
{
	uint64_t nstart, nend;
	int ret = 0;

	for (nstart = start; nstart < end; nstart = nend) {
		struct vm_area_struct *vma = find_vma(mm, nstart);

		if (!vma || vma->vm_start >= end)
			break;
		nend = vma->vm_end < end ? vma->vm_end : end;
		if (nstart < vma->vm_start)
			nstart = vma->vm_start;
		if (vma->vm_flags & VM_LOCKONFAULT)
			continue;
		TRACE(TEV_POPULATE, nstart, nend, (vma->vm_flags & VM_WRITE) != 0);
		/* GUP refuses a VMA without access (check_vma_flags: -EFAULT). */
		ret = vma->vm_flags & VM_ACCESS_FLAGS ?
			populate_range(mm, vma, nstart, nend,
				       (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE) : -EFAULT;
		if (ret) {
			if (!ignore_errors)
				break;
			ret = 0;
		}
	}
	return ret;
}
