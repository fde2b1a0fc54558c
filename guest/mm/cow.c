/*
 * The write-protect fault of a private page (Linux's do_wp_page,
 * wp_page_reuse and wp_page_copy).  After fork a private frame is mapped
 * read-only by every process that shares it, and its abi_page refcount
 * counts those mappings: a write copies it while the count is above one,
 * and takes it over (makes the entry writable) once the writer is the only
 * one left.  The zero page is never written: a write to it gets a frame
 * from the known-zero pool.
 *
 * The old frame loses this mapping only after the entry points to the copy
 * and the TLB has been flushed.  Its count is shared with other mms whose
 * faults and unmaps run at the same time on other CPUs (their own mmap_lock,
 * not this one), so it moves by atomic operations: the count seen above one
 * may have dropped meanwhile, and the CPU that takes it to zero frees the
 * frame (docs/locking.md).
 */
#include "guest/mm/cow.h"
#include "guest/mm/mm_tlblog.h"
#include "guest/mm/vma.h"

int do_wp_page(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t *pte, uint64_t addr)
{
	uint64_t e = *pte, pa = e & PTE_ADDR, bits = pte_prot(vma->vm_flags, false), copy;
	bool zero = pa == mm_g.zero_pa;

	if (!zero && __atomic_load_n(&frame_page(pa)->refcount, __ATOMIC_ACQUIRE) == 1) {
		/* wp_page_reuse: the only mapping left. */
		if (e != (pa | bits)) {
			*pte = pa | bits;
			flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
		}
		return 0;
	}
	if (!vma->anon_vma && anon_vma_prepare(vma))
		return -ENOMEM;
	copy = frame_alloc(PAGE_T_USER);
	if (!copy)
		return -ENOMEM;
	if (!zero)
		memcpy(mm_va(copy), mm_va(pa), PAGE_SIZE);
	*pte = copy | bits;
	if (e & PTE_P)
		TLBLOG(TLOG_PTE_CLEAR, mm->id, addr, pa);
	flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
	if (zero) {
		__atomic_fetch_sub(&frame_page(pa)->refcount, 1, __ATOMIC_RELAXED);
		mm->zero_ptes--;
		mm->rss_pages++;
	} else if (__atomic_sub_fetch(&frame_page(pa)->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
		frame_free_dirty(pa);     /* the other mappings went meanwhile */
	}
	return 0;
}
