/*
 * Demand paging of anonymous private memory, as Linux on x86-64:
 *  - no VMA at the address: maperr;
 *  - a write to a VMA without VM_WRITE, a read that hit a present PTE (an
 *    instruction fetch from an NX page), or any access to a PROT_NONE VMA:
 *    accerr.  A write-only VMA is readable (x86 cannot express otherwise);
 *  - a read of a missing page maps the shared zero page read-only and
 *    assigns no anon_vma;
 *  - a write gives the VMA its anon_vma, then maps a fresh frame from the
 *    known-zero pool (copying the zero page would copy zeros: nothing to do);
 *  - a write to a present read-only page of a writable VMA (the zero page,
 *    or a private page shared after fork) is do_wp_page's (cow.c);
 *  - below a VM_GROWSDOWN VMA (no VMA in between) the VMA grows down to
 *    the page (Linux's expand_downwards, checked on the host): not below
 *    MMAP_MIN_ADDR, not closer than the stack guard gap (256 pages) to a
 *    previous VMA that is accessible and not itself growsdown, and to at
 *    most RLIMIT_STACK (8 MiB) in all; else maperr.  The VMA gets its
 *    anon_vma before the size is checked, as in Linux.  Growing changes the
 *    VMA, so it needs the mmap_lock for writing: a fault holding it for
 *    reading returns -EAGAIN and mm_user_fault retries with it for writing.
 *
 * Locks (docs/locking.md): a fault runs under the mm's mmap_lock for
 * reading, so faults of one mm run at the same time on several CPUs; the
 * walk that allocates tables, the entry's resolution and the counters it
 * moves are under the mm's page_table_lock.
 */
#include "guest/mm/mm.h"
#include "guest/mm/cow.h"
#include "guest/mm/frame.h"
#include "guest/mm/mm_trace.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/shmem.h"
#include "guest/mm/vma.h"

/* x86's access_error(): may this access touch vma at all? */
static bool access_error(const struct vm_area_struct *vma, uint32_t error_code)
{
	if (error_code & PF_WRITE)
		return !(vma->vm_flags & VM_WRITE);
	if (error_code & PF_PROT)
		return true;
	return !(vma->vm_flags & VM_ACCESS_FLAGS);
}

/* A PTE is already there: the TLB was stale, the PTE lags its VMA's flags,
 * or a write hit the zero page or a page shared after fork (do_wp_page). */
static int fix_existing(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t *pte,
			uint64_t addr, uint32_t error_code)
{
	uint64_t e = *pte, pa = e & PTE_ADDR;
	uint64_t n = pa | pte_prot_page(vma->vm_flags, pa);

	if ((error_code & PF_WRITE) && !(n & PTE_W)) {
		if (do_wp_page(mm, vma, pte, addr))
			return -ENOMEM;
		TRACE(TEV_FAULT_RESOLVE, TRACE_FAULT_COW, addr, *pte & PTE_ADDR);
		return MM_FAULT_RESOLVED;
	}
	if (n != e) {
		*pte = n;
		flush_tlb_mm_range(mm, addr, addr + PAGE_SIZE);
	}
	TRACE(TEV_FAULT_RESOLVE, TRACE_FAULT_FIX, addr, pa);
	return MM_FAULT_RESOLVED;
}

/* Grow the VM_GROWSDOWN vma down to addr's page: 0 or -errno (maperr). */
static int expand_downwards(struct vm_area_struct *vma, uint64_t addr)
{
	struct vm_area_struct *prev = vma->vm_prev;
	uint64_t grow;

	addr &= PAGE_MASK;
	if (addr < MMAP_MIN_ADDR)
		return -EPERM;
	if (prev && !(prev->vm_flags & VM_GROWSDOWN) && (prev->vm_flags & VM_ACCESS_FLAGS) &&
	    addr - prev->vm_end < MM_STACK_GUARD_GAP)
		return -ENOMEM;
	if (anon_vma_prepare(vma))
		return -ENOMEM;
	grow = (vma->vm_start - addr) >> PAGE_SHIFT;
	if (grow > vma->vm_pgoff || vma->vm_end - addr > MM_RLIMIT_STACK)
		return -ENOMEM;
	vma_set_range(vma, addr, vma->vm_end, vma->vm_pgoff - grow);
	return 0;
}

/* The fault at addr (page aligned) of vma, with the page_table_lock held:
 * walk (allocating tables), then resolve the entry. */
static int fault_locked(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr,
			uint32_t error_code)
{
	uint64_t *pte, pt_pa, frame;

	pte = pte_offset(mm, addr, &pt_pa);
	if (!pte && !(pte = pte_alloc_walk(mm, addr, &pt_pa)))
		return -ENOMEM;
	if (*pte)
		return fix_existing(mm, vma, pte, addr, error_code);

	if (vma->vm_flags & VM_SHARED)
		return shmem_fault(mm, vma, addr, pte, pt_pa, (error_code & PF_WRITE) != 0);
	if (!(error_code & PF_WRITE)) {
		/* Read of a missing page: the shared zero page, read-only. */
		*pte = mm_g.zero_pa | pte_prot(vma->vm_flags, true);
		__atomic_fetch_add(&frame_page(mm_g.zero_pa)->refcount, 1, __ATOMIC_RELAXED);
		mm->zero_ptes++;
		mm_g.pt_used[pt_pa >> PAGE_SHIFT]++;
		TRACE(TEV_FAULT_RESOLVE, TRACE_FAULT_ZERO, addr, mm_g.zero_pa);
		return MM_FAULT_RESOLVED;
	}

	if (!vma->anon_vma && anon_vma_prepare(vma))
		return -ENOMEM;
	frame = frame_alloc(PAGE_T_USER);
	if (!frame)
		return -ENOMEM;
	*pte = frame | pte_prot(vma->vm_flags, false);
	mm->rss_pages++;
	mm_g.pt_used[pt_pa >> PAGE_SHIFT]++;
	TRACE(TEV_FAULT_RESOLVE, TRACE_FAULT_NEW, addr, frame);
	return MM_FAULT_RESOLVED;
}

int handle_mm_fault(struct mm_struct *mm, uint64_t addr, uint32_t error_code)
{
	struct vm_area_struct *vma;
	int r;

	mm_progress();
	if (addr >= TASK_SIZE)
		return MM_FAULT_MAPERR;
	vma = find_vma(mm, addr);
	if (!vma)
		return MM_FAULT_MAPERR;
	if (vma->vm_start > addr) {
		if (!(vma->vm_flags & VM_GROWSDOWN))
			return MM_FAULT_MAPERR;
		/* The VMA changes: not with other faults walking the tree. */
		if (mmap_lock_readers(&mm->mmap_lock))
			return -EAGAIN;
		if (expand_downwards(vma, addr))
			return MM_FAULT_MAPERR;
	}
	if (access_error(vma, error_code))
		return MM_FAULT_ACCERR;

	spin_lock(&mm->page_table_lock);
	r = fault_locked(mm, vma, addr & PAGE_MASK, error_code);
	spin_unlock(&mm->page_table_lock);
	return r;
}

int mm_user_fault(struct mm_struct *mm, uint64_t addr, uint32_t error_code)
{
	int r;

	mmap_lock_read(&mm->mmap_lock);
	mm_seq_begin();
	r = handle_mm_fault(mm, addr, error_code);
	if (r != -EAGAIN) {
		spin_lock(&mm->page_table_lock);
		mm_publish(mm);
		spin_unlock(&mm->page_table_lock);
		mm_seq_end();
		mmap_unlock_read(&mm->mmap_lock);
		return r;
	}
	/* Linux's lock_mm_and_find_vma: the stack grows under the lock for writing. */
	mm_seq_end();
	mmap_unlock_read(&mm->mmap_lock);
	mmap_lock_write(&mm->mmap_lock);
	mm_seq_begin();
	r = handle_mm_fault(mm, addr, error_code);
	mm_publish(mm);
	mm_seq_end();
	mmap_unlock_write(&mm->mmap_lock);
	return r;
}
