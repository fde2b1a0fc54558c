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
 * and the TLB has been flushed; it cannot be the last mapping (count > 1),
 * so nothing is freed here.
 */
#include "guest/mm/cow.h"
#include "guest/mm/mm_tlblog.h"
#include "guest/mm/vma.h"

int do_wp_page(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t *pte, uint64_t addr)
{
	uint64_t e = *pte, pa = e & PTE_ADDR, bits = pte_prot(vma->vm_flags, false), copy;
	bool zero = pa == mm_g.zero_pa;

	if (!zero && frame_page(pa)->refcount == 1) {
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
		frame_page(pa)->refcount--;
		mm->zero_ptes--;
		mm->rss_pages++;
	} else {
		frame_page(pa)->refcount--;
	}
	return 0;
}
