/*
 * mprotect: argument checks, holes (partial change then ENOMEM), split and
 * re-merge, the VM_ACCOUNT rule of Linux 6.18, PTE updates (write bit,
 * zero page never writable, PROT_NONE entries keeping their frame) and the
 * TLB flush.
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"

TestSuite(mprotect, .init = fake_setup);

Test(mprotect, argument_checks)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, 4 * PG, RW);
	cr_assert_eq(do_mprotect(mm, BASE + 1, PG, RO), -EINVAL);
	cr_assert_eq(do_mprotect(mm, BASE, PG, 0x10), -EINVAL);
	cr_assert_eq(do_mprotect(mm, BASE, 0, RO), 0);
	cr_assert_eq(do_mprotect(mm, BASE + 64 * PG, 0, RO), 0);      /* len 0, nothing mapped */
	cr_assert_eq(do_mprotect(mm, BASE, ~0ULL, RO), -ENOMEM);      /* wraps */
	cr_assert_eq(do_mprotect(mm, 0x800000000000ULL, PG, RO), -ENOMEM);
	cr_assert_eq(do_mprotect(mm, BASE + 64 * PG, PG, RO), -ENOMEM);
	cr_assert_str_eq(maps_string(mm), "0-4 rw- ac\n");
	/* PROT_SEM is accepted and changes nothing by itself. */
	cr_assert_eq(do_mprotect(mm, BASE, PG, RO | 0x8), 0);
	cr_assert_str_eq(maps_string(mm), "0-1 r--\n1-4 rw- ac\n");
	check_all();
}

Test(mprotect, holes)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, 2 * PG, RW);
	map_fixed(mm, BASE + 3 * PG, 2 * PG, RW);
	/* Changed up to the hole, then ENOMEM. */
	cr_assert_eq(do_mprotect(mm, BASE + PG, 4 * PG, RO), -ENOMEM);
	cr_assert_str_eq(maps_string(mm), "0-1 rw- ac\n1-2 r--\n3-5 rw- ac\n");
	/* Starting in a hole: nothing changes. */
	cr_assert_eq(do_mprotect(mm, BASE + 2 * PG, 2 * PG, RO), -ENOMEM);
	cr_assert_str_eq(maps_string(mm), "0-1 rw- ac\n1-2 r--\n3-5 rw- ac\n");
	/* Ending past the last VMA. */
	cr_assert_eq(do_mprotect(mm, BASE + 3 * PG, 4 * PG, RO), -ENOMEM);
	cr_assert_str_eq(maps_string(mm), "0-1 rw- ac\n1-2 r--\n3-5 r--\n");
	check_all();
}

Test(mprotect, split_and_merge_back)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, 4 * PG, RW);
	touch(mm, BASE, true);
	cr_assert_eq(do_mprotect(mm, BASE + PG, PG, RO), 0);
	/* The parts share the anon_vma, so the middle keeps VM_ACCOUNT. */
	cr_assert_str_eq(maps_string(mm), "0-1 rw- ac anon\n1-2 r-- ac anon\n2-4 rw- ac anon\n");
	cr_assert_eq(vma_at(mm, BASE + 2 * PG)->vm_pgoff, (BASE >> 12) + 2);
	cr_assert_eq(do_mprotect(mm, BASE + PG, PG, RW), 0);
	cr_assert_str_eq(maps_string(mm), "0-4 rw- ac anon\n");
	cr_assert_eq(vma_at(mm, BASE)->anon_vma->refcount, 1);
	/* Edges merge into the neighbours. */
	map_fixed(mm, BASE + 4 * PG, 2 * PG, RO);
	cr_assert_eq(do_mprotect(mm, BASE + 4 * PG, PG, RW), 0);
	cr_assert_str_eq(maps_string(mm), "0-5 rw- ac anon\n5-6 r--\n");
	cr_assert_eq(do_mprotect(mm, BASE + 3 * PG, 2 * PG, RO), 0);
	cr_assert_str_eq(maps_string(mm), "0-3 rw- ac anon\n3-5 r-- ac anon\n5-6 r--\n");
	check_all();
}

Test(mprotect, vm_account_rule)
{
	struct mm_struct *mm = new_mm();

	/* Never written, made read-only: the flag goes, it merges with r--. */
	map_fixed(mm, BASE, PG, RO);
	map_fixed(mm, BASE + PG, PG, RW);
	cr_assert_eq(do_mprotect(mm, BASE + PG, PG, RO), 0);
	cr_assert_str_eq(maps_string(mm), "0-2 r--\n");
	/* Read-faulted only (zero page, no anon_vma): same. */
	map_fixed(mm, BASE + 4 * PG, PG, RW);
	touch(mm, BASE + 4 * PG, false);
	cr_assert_eq(do_mprotect(mm, BASE + 4 * PG, PG, RO), 0);
	cr_assert_str_eq(maps_string(mm), "0-2 r--\n4-5 r--\n");
	/* Written first: it keeps the flag and stays apart. */
	map_fixed(mm, BASE + 10 * PG, PG, RO);
	map_fixed(mm, BASE + 11 * PG, PG, RW);
	touch(mm, BASE + 11 * PG, true);
	cr_assert_eq(do_mprotect(mm, BASE + 11 * PG, PG, RO), 0);
	cr_assert_str_eq(maps_string(mm), "0-2 r--\n4-5 r--\na-b r--\nb-c r-- ac anon\n");
	/* Read-only made writable gets the flag; made read-only again keeps
	 * it only with an anon_vma. */
	cr_assert_eq(do_mprotect(mm, BASE, 2 * PG, RW), 0);
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac\n4-5 r--\na-b r--\nb-c r-- ac anon\n");
	cr_assert_eq(do_mprotect(mm, BASE, PG, RO), 0);
	cr_assert_str_eq(maps_string(mm), "0-1 r--\n1-2 rw- ac\n4-5 r--\na-b r--\nb-c r-- ac anon\n");
	/* PROT_NONE drops it too (no anon_vma); write-only keeps it. */
	cr_assert_eq(do_mprotect(mm, BASE + PG, PG, NONE), 0);
	cr_assert_eq(vma_at(mm, BASE + PG)->vm_flags, VM_MAY_ALL);
	cr_assert_eq(do_mprotect(mm, BASE + PG, PG, MM_PROT_WRITE), 0);
	cr_assert_eq(vma_at(mm, BASE + PG)->vm_flags, VM_WRITE | VM_MAY_ALL | VM_ACCOUNT);
	check_all();
}

Test(mprotect, merges_respect_anon_vma)
{
	struct mm_struct *mm = new_mm();

	/* prev without anon_vma, middle with: they merge (one NULL). */
	map_fixed(mm, BASE + PG, PG, RW);
	touch(mm, BASE + PG, true);
	do_mprotect(mm, BASE + PG, PG, RO);
	map_fixed(mm, BASE, PG, RW);
	cr_assert_eq(do_mprotect(mm, BASE + PG, PG, RW), 0);
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac anon\n");
	do_munmap(mm, BASE, 2 * PG);

	/* Middle without anon_vma between two different ones: prev wins. */
	map_fixed(mm, BASE, PG, RW);
	touch(mm, BASE, true);
	map_fixed(mm, BASE + 2 * PG, PG, RW);
	touch(mm, BASE + 2 * PG, true);
	map_fixed(mm, BASE + PG, PG, RO);
	cr_assert_eq(do_mprotect(mm, BASE + PG, PG, RW), 0);
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac anon\n2-3 rw- ac anon\n");
	do_munmap(mm, BASE, 3 * PG);

	/* Part of a VMA with an anon_vma merging left into one without. */
	map_fixed(mm, BASE + PG, 2 * PG, RW);
	touch(mm, BASE + PG, true);
	do_mprotect(mm, BASE + PG, 2 * PG, RO);
	map_fixed(mm, BASE, PG, RW);
	cr_assert_eq(do_mprotect(mm, BASE + PG, PG, RW), 0);
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac anon\n2-3 r-- ac anon\n");
	cr_assert_eq(vma_at(mm, BASE)->anon_vma, vma_at(mm, BASE + 2 * PG)->anon_vma);
	/* ...and the rest merging right. */
	map_fixed(mm, BASE + 3 * PG, PG, RO);
	touch(mm, BASE + 3 * PG, false);
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac anon\n2-3 r-- ac anon\n3-4 r--\n");
	check_all();
}

Test(mprotect, ptes_follow_the_flags)
{
	struct mm_struct *mm = new_mm();
	uint64_t frame, zero = mm_g.zero_pa;

	map_fixed(mm, BASE, 4 * PG, RW);
	touch(mm, BASE, true);
	touch(mm, BASE + PG, false);
	frame = pte_of(mm, BASE) & PTE_ADDR;
	cr_assert(pte_of(mm, BASE) & PTE_W);
	cr_assert(!(pte_of(mm, BASE + PG) & PTE_W));

	fake_reset_counts();
	cr_assert_eq(do_mprotect(mm, BASE, 4 * PG, RO), 0);
	cr_assert_eq(pte_of(mm, BASE), frame | pte_prot(VM_READ, false));
	cr_assert_eq(fake.flush_pages, 1);             /* only the frame's PTE changed */

	/* PROT_NONE: not present, the frame kept (Linux's protnone entry). */
	fake_reset_counts();
	cr_assert_eq(do_mprotect(mm, BASE, 4 * PG, NONE), 0);
	cr_assert_eq(pte_of(mm, BASE), frame | PTE_PROTNONE | PTE_A | PTE_D);
	cr_assert_eq(pte_of(mm, BASE + PG), zero | PTE_PROTNONE | PTE_A);
	cr_assert_eq(fake.flush_pages, 2);
	cr_assert_eq(mm->rss_pages, 1);
	cr_assert_eq(mm->zero_ptes, 1);
	cr_assert_eq(touch(mm, BASE, false), MM_FAULT_ACCERR);
	check_all();

	/* Writable again: the frame is writable, the zero page never. */
	cr_assert_eq(do_mprotect(mm, BASE, 4 * PG, RW | MM_PROT_EXEC), 0);
	cr_assert_eq(pte_of(mm, BASE), frame | PTE_P | PTE_U | PTE_W | PTE_A | PTE_D);
	cr_assert_eq(pte_of(mm, BASE + PG), zero | PTE_P | PTE_U | PTE_A);
	/* Unchanged flags: no PTE work, no flush. */
	fake_reset_counts();
	cr_assert_eq(do_mprotect(mm, BASE, 4 * PG, RW | MM_PROT_EXEC), 0);
	cr_assert_eq(fake.flush_pages + fake.flush_all, 0);
	check_all();
}
