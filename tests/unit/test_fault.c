/*
 * Demand paging: maperr / accerr, the zero page on read, a fresh zero
 * frame on write (with the anon_vma), COW from the zero page with its TLB
 * flush, write-only and exec mappings, running out of frames.
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"

TestSuite(fault, .init = fake_setup);

Test(fault, maperr_outside_every_vma)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, 2 * PG, RW);
	map_fixed(mm, BASE + 4 * PG, PG, RW);
	cr_assert_eq(handle_mm_fault(mm, BASE - 1, PF_USER), MM_FAULT_MAPERR);
	cr_assert_eq(handle_mm_fault(mm, BASE + 2 * PG, PF_USER | PF_WRITE), MM_FAULT_MAPERR);
	cr_assert_eq(handle_mm_fault(mm, BASE + 5 * PG, PF_USER), MM_FAULT_MAPERR);
	cr_assert_eq(handle_mm_fault(mm, TASK_SIZE, PF_USER), MM_FAULT_MAPERR);
	cr_assert_eq(handle_mm_fault(mm, 0xffff888000000000ULL, PF_USER), MM_FAULT_MAPERR);
	cr_assert_eq(handle_mm_fault(mm, 0, PF_USER), MM_FAULT_MAPERR);
	cr_assert_eq(mm->pt_pages, 0);
	check_all();
}

Test(fault, read_maps_the_zero_page)
{
	struct mm_struct *mm = new_mm();
	uint64_t used;

	map_fixed(mm, BASE, 4 * PG, RW);
	used = frames_used();
	cr_assert_eq(handle_mm_fault(mm, BASE + PG + 0x123, PF_USER), 0);
	cr_assert_eq(pte_of(mm, BASE + PG), mm_g.zero_pa | PTE_P | PTE_U | PTE_A | PTE_NX);
	cr_assert_null(vma_at(mm, BASE)->anon_vma);
	cr_assert_eq(mm->zero_ptes, 1);
	cr_assert_eq(mm->rss_pages, 0);
	cr_assert_eq(mm_g.pages[mm_g.zero_pa >> 12].refcount, 1);
	cr_assert_eq(frames_used() - used, 3);               /* the page tables only */
	/* Retrying a resolved read is harmless. */
	cr_assert_eq(handle_mm_fault(mm, BASE + PG, PF_USER), 0);
	cr_assert_eq(mm->zero_ptes, 1);
	check_all();
}

Test(fault, write_maps_a_fresh_frame)
{
	struct mm_struct *mm = new_mm();
	uint64_t pte;

	map_fixed(mm, BASE, 4 * PG, RW);
	cr_assert_eq(handle_mm_fault(mm, BASE + 2 * PG, PF_USER | PF_WRITE), 0);
	pte = pte_of(mm, BASE + 2 * PG);
	cr_assert_eq(pte & ~PTE_ADDR, PTE_P | PTE_U | PTE_W | PTE_A | PTE_D | PTE_NX);
	cr_assert_eq(mm_g.pages[(pte & PTE_ADDR) >> 12].type, PAGE_T_USER);
	cr_assert_eq(mm_g.pages[(pte & PTE_ADDR) >> 12].refcount, 1);
	cr_assert_not_null(vma_at(mm, BASE)->anon_vma);
	cr_assert_eq(mm->rss_pages, 1);
	/* The frame reads zero (it came from the known-zero pool). */
	for (int i = 0; i < 4096; i++)
		cr_assert_eq(fake_ram[(pte & PTE_ADDR) + i], 0);
	check_all();
}

Test(fault, write_after_read_replaces_the_zero_page)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, PG, RW);
	cr_assert_eq(touch(mm, BASE, false), 0);
	fake_reset_counts();
	cr_assert_eq(touch(mm, BASE, true), 0);        /* P|W|U: protection fault */
	cr_assert_neq(pte_of(mm, BASE) & PTE_ADDR, mm_g.zero_pa);
	cr_assert(pte_of(mm, BASE) & PTE_W);
	cr_assert_eq(fake.flush_pages, 1);             /* the zero-page translation */
	cr_assert_eq(fake.last_flush_va, BASE);
	cr_assert_eq(mm->zero_ptes, 0);
	cr_assert_eq(mm->rss_pages, 1);
	cr_assert_eq(mm_g.pages[mm_g.zero_pa >> 12].refcount, 0);
	check_all();
}

Test(fault, accerr_cases)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, PG, RO);
	map_fixed(mm, BASE + PG, PG, NONE);
	map_fixed(mm, BASE + 2 * PG, PG, RW);
	cr_assert_eq(handle_mm_fault(mm, BASE, PF_USER | PF_WRITE), MM_FAULT_ACCERR);
	cr_assert_eq(handle_mm_fault(mm, BASE + PG, PF_USER), MM_FAULT_ACCERR);
	cr_assert_eq(handle_mm_fault(mm, BASE + PG, PF_USER | PF_WRITE), MM_FAULT_ACCERR);
	cr_assert_eq(handle_mm_fault(mm, BASE + PG, PF_USER | PF_INSTR), MM_FAULT_ACCERR);
	/* An instruction fetch first maps the page (NX), then faults present. */
	cr_assert_eq(handle_mm_fault(mm, BASE + 2 * PG, PF_USER | PF_INSTR), 0);
	cr_assert(pte_of(mm, BASE + 2 * PG) & PTE_NX);
	cr_assert_eq(handle_mm_fault(mm, BASE + 2 * PG, PF_USER | PF_INSTR | PF_PROT), MM_FAULT_ACCERR);
	cr_assert_eq(mm->rss_pages, 0);
	check_all();
}

Test(fault, write_only_is_readable_and_exec_has_no_nx)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, PG, MM_PROT_WRITE);
	cr_assert_eq(touch(mm, BASE, false), 0);
	cr_assert_eq(pte_of(mm, BASE) & PTE_ADDR, mm_g.zero_pa);
	cr_assert_eq(touch(mm, BASE, true), 0);
	cr_assert(pte_of(mm, BASE) & PTE_W);

	map_fixed(mm, BASE + PG, PG, MM_PROT_READ | MM_PROT_EXEC);
	cr_assert_eq(touch(mm, BASE + PG, false), 0);
	cr_assert_eq(pte_of(mm, BASE + PG) & PTE_NX, 0);
	check_all();
}

Test(fault, split_parts_share_and_separate_faults_do_not)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, 4 * PG, RW);
	do_munmap(mm, BASE + PG, PG);
	touch(mm, BASE, true);
	/* Faulted in the first part only: the second has none yet. */
	cr_assert_not_null(vma_at(mm, BASE)->anon_vma);
	cr_assert_null(vma_at(mm, BASE + 2 * PG)->anon_vma);
	touch(mm, BASE + 2 * PG, true);
	cr_assert_neq(vma_at(mm, BASE)->anon_vma, vma_at(mm, BASE + 2 * PG)->anon_vma);
	map_fixed(mm, BASE + PG, PG, RW);
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac anon\n2-4 rw- ac anon\n");
	check_all();
}

Test(fault, out_of_frames_is_enomem_and_consistent)
{
	struct mm_struct *mm = new_mm();
	uint64_t n = mm_g.table->frames_total + 16, i;
	int r = 0;

	map_fixed(mm, BASE, n * PG, RW);
	for (i = 0; i < n; i++) {
		r = touch(mm, BASE + i * PG, true);
		if (r)
			break;
	}
	cr_assert_eq(r, -ENOMEM);
	cr_assert_eq(mm_g.table->frames_free, 0);
	check_all();
	/* Reads still work where tables exist: the zero page needs no frame. */
	cr_assert_eq(do_munmap(mm, BASE, PG), 0);
	cr_assert_eq(touch(mm, BASE + (i - 1) * PG, false), 0);
	cr_assert_eq(do_munmap(mm, BASE, n * PG), 0);
	check_all();
	cr_assert_eq(frames_used(), 1 + 1);           /* zero page; PML4 (mm structs are static) */
}
