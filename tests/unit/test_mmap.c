/*
 * mmap: the errors in Linux's order, MAP_FIXED replacement, NOREPLACE,
 * kernel-chosen addresses (top-down, highest fitting gap), vm_flags with
 * VM_ACCOUNT, and the merge rules of Linux 6.18 including anon_vma
 * compatibility.
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"

TestSuite(mmap, .init = fake_setup);

Test(mmap, errors_in_linux_order)
{
	struct mm_struct *mm = new_mm();

	cr_assert_eq(map_fixed(mm, BASE, 0, RW), -EINVAL);
	cr_assert_eq(map_fixed(mm, BASE + 0x123, PG, RW), -EINVAL);
	cr_assert_eq(map_fixed(mm, BASE, 0xfffffffffffff000ULL, RW), -ENOMEM);
	cr_assert_eq(map_fixed(mm, BASE, ~0ULL, RW), -ENOMEM);
	cr_assert_eq(map_fixed(mm, BASE, 0x700000000000ULL, RW), -ENOMEM);
	cr_assert_eq(map_fixed(mm, TASK_SIZE, PG, RW), -ENOMEM);
	cr_assert_eq(map_fixed(mm, TASK_SIZE + 1, PG, RW), -ENOMEM);   /* ENOMEM before EINVAL */
	cr_assert_eq(map_fixed(mm, 0x800000000000ULL, PG, RW), -ENOMEM);
	cr_assert_eq(map_fixed(mm, 0xffff800000000000ULL, PG, RW), -ENOMEM);
	cr_assert_eq(map_fixed(mm, 0, PG, RW), -EPERM);
	cr_assert_eq(map_fixed(mm, MMAP_MIN_ADDR - PG, PG, RW), -EPERM);
	cr_assert_eq(do_mmap(mm, 0, TASK_SIZE + PG, RW, 0), -ENOMEM);
	cr_assert_eq(do_mmap(mm, 0, MMAP_BASE, RW, 0), -ENOMEM);
	cr_assert_eq(do_mmap(mm, BASE, PG, RW, 1u << 7), -EINVAL);
	cr_assert_eq(mm->map_count, 0);
	/* The edges Linux accepts. */
	cr_assert_eq(map_fixed(mm, MMAP_MIN_ADDR, PG, RW), (long)MMAP_MIN_ADDR);
	cr_assert_eq(map_fixed(mm, TASK_SIZE - PG, PG, RW), (long)(TASK_SIZE - PG));
	cr_assert_eq(map_fixed(mm, BASE, 0x1001, RW), (long)BASE);
	cr_assert_eq(vma_at(mm, BASE)->vm_end, BASE + 2 * PG);
	/* Unknown prot bits are ignored, as Linux's mmap does. */
	cr_assert_eq(map_fixed(mm, BASE + 8 * PG, PG, RW | 0x10), (long)(BASE + 8 * PG));
	cr_assert_eq(vma_at(mm, BASE + 8 * PG)->vm_flags, VM_READ | VM_WRITE | VM_MAY_ALL | VM_ACCOUNT);
	check_all();
}

Test(mmap, vm_flags_and_accounting)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, PG, RW);
	map_fixed(mm, BASE + 2 * PG, PG, RO);
	map_fixed(mm, BASE + 4 * PG, PG, MM_PROT_WRITE);
	map_fixed(mm, BASE + 6 * PG, PG, NONE);
	map_fixed(mm, BASE + 8 * PG, PG, MM_PROT_READ | MM_PROT_EXEC);
	cr_assert_str_eq(maps_string(mm), "0-1 rw- ac\n2-3 r--\n4-5 -w- ac\n6-7 ---\n8-9 r-x\n");
	cr_assert_eq(vma_at(mm, BASE)->vm_flags, 0x3 | 0x70 | VM_ACCOUNT);
	cr_assert_eq(vma_at(mm, BASE)->vm_pgoff, BASE >> 12);
	check_all();
}

Test(mmap, fixed_replaces_and_noreplace_refuses)
{
	struct mm_struct *mm = new_mm();
	uint64_t used;

	map_fixed(mm, BASE, 4 * PG, RW);
	for (int i = 0; i < 4; i++)
		touch(mm, BASE + i * PG, true);
	used = frames_used();
	cr_assert_eq(do_mmap(mm, BASE + 3 * PG, 2 * PG, RW, MM_MAP_NOREPLACE), -EEXIST);
	cr_assert_eq(do_mmap(mm, BASE + 3 * PG, 2 * PG, RW, MM_MAP_NOREPLACE | FIX), -EEXIST);
	cr_assert_eq(do_mmap(mm, BASE + 5 * PG + 1, PG, RW, MM_MAP_NOREPLACE), -EINVAL);
	cr_assert_eq(frames_used(), used);
	/* Adjacent is fine, and merges. */
	cr_assert_eq(do_mmap(mm, BASE + 4 * PG, 2 * PG, RW, MM_MAP_NOREPLACE), (long)(BASE + 4 * PG));
	cr_assert_str_eq(maps_string(mm), "0-6 rw- ac anon\n");

	/* MAP_FIXED over the middle: the old pages go (zero again), and the
	 * replacement merges back with both sides, as in Linux. */
	cr_assert_eq(map_fixed(mm, BASE + PG, 2 * PG, RW), (long)(BASE + PG));
	cr_assert_str_eq(maps_string(mm), "0-6 rw- ac anon\n");
	cr_assert_eq(pte_of(mm, BASE + PG), 0);
	cr_assert_eq(mm->rss_pages, 2);
	/* With other flags it stays apart. */
	cr_assert_eq(map_fixed(mm, BASE + PG, 2 * PG, RO), (long)(BASE + PG));
	cr_assert_str_eq(maps_string(mm), "0-1 rw- ac anon\n1-3 r--\n3-6 rw- ac anon\n");
	/* Over several VMAs and holes. */
	map_fixed(mm, BASE + 8 * PG, PG, RO);
	cr_assert_eq(map_fixed(mm, BASE, 16 * PG, NONE), (long)BASE);
	cr_assert_str_eq(maps_string(mm), "0-10 ---\n");
	cr_assert_eq(mm->rss_pages, 0);
	check_all();
}

Test(mmap, kernel_chooses_top_down)
{
	struct mm_struct *mm = new_mm();
	long a, b, c;

	a = do_mmap(mm, BASE, 4 * PG, RW, 0);       /* the hint is ignored */
	cr_assert_eq(a, (long)(MMAP_BASE - 4 * PG));
	b = do_mmap(mm, 0, 2 * PG, RO, 0);
	cr_assert_eq(b, a - (long)(2 * PG));
	c = do_mmap(mm, 0, PG, RW, 0);
	cr_assert_eq(c, b - (long)PG);
	/* Free a gap: the highest one that fits is used. */
	cr_assert_eq(do_munmap(mm, (uint64_t)a + PG, 2 * PG), 0);
	cr_assert_eq(do_mmap(mm, 0, 3 * PG, RO, 0), c - (long)(3 * PG));
	cr_assert_eq(do_mmap(mm, 0, 2 * PG, NONE, 0), a + (long)PG);
	/* Mappings above MMAP_BASE do not count against the window. */
	cr_assert_eq(map_fixed(mm, MMAP_BASE + PG, PG, RW), (long)(MMAP_BASE + PG));
	cr_assert_eq(do_mmap(mm, 0, PG, NONE, 0), c - (long)(4 * PG));
	check_all();
}

Test(mmap, kernel_chooses_no_room)
{
	struct mm_struct *mm = new_mm();

	cr_assert_eq(map_fixed(mm, MMAP_MIN_ADDR, MMAP_BASE - MMAP_MIN_ADDR - 2 * PG, NONE),
		     (long)MMAP_MIN_ADDR);
	cr_assert_eq(do_mmap(mm, 0, 3 * PG, RW, 0), -ENOMEM);
	cr_assert_eq(do_mmap(mm, 0, 2 * PG, RW, 0), (long)(MMAP_BASE - 2 * PG));
	cr_assert_eq(do_mmap(mm, 0, PG, RW, 0), -ENOMEM);
	check_all();
}

Test(mmap, merges_with_prev_next_and_both)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, PG, RW);
	map_fixed(mm, BASE + PG, PG, RW);                 /* prev */
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac\n");
	map_fixed(mm, BASE + 4 * PG, PG, RW);
	map_fixed(mm, BASE + 3 * PG, PG, RW);             /* next */
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac\n3-5 rw- ac\n");
	map_fixed(mm, BASE + 2 * PG, PG, RW);             /* both: the hole is filled */
	cr_assert_str_eq(maps_string(mm), "0-5 rw- ac\n");
	cr_assert_eq(mm->map_count, 1);
	/* Different flags never merge; VM_ACCOUNT counts as a flag. */
	map_fixed(mm, BASE + 5 * PG, PG, RO);
	map_fixed(mm, BASE + 6 * PG, PG, MM_PROT_WRITE);
	cr_assert_str_eq(maps_string(mm), "0-5 rw- ac\n5-6 r--\n6-7 -w- ac\n");
	check_all();
}

Test(mmap, anon_vma_rules_of_merging)
{
	struct mm_struct *mm = new_mm();

	/* The example: two separately written VMAs, then the page between:
	 * it merges with the first only (prev wins). */
	map_fixed(mm, BASE, PG, RW);
	touch(mm, BASE, true);
	map_fixed(mm, BASE + 2 * PG, PG, RW);
	touch(mm, BASE + 2 * PG, true);
	map_fixed(mm, BASE + PG, PG, RW);
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac anon\n2-3 rw- ac anon\n");
	cr_assert_neq(vma_at(mm, BASE)->anon_vma, vma_at(mm, BASE + 2 * PG)->anon_vma);
	do_munmap(mm, BASE, 3 * PG);

	/* One side without anon_vma: compatible, all three merge and the
	 * result keeps the anon_vma. */
	map_fixed(mm, BASE, PG, RW);
	map_fixed(mm, BASE + 2 * PG, PG, RW);
	touch(mm, BASE + 2 * PG, true);
	map_fixed(mm, BASE + PG, PG, RW);
	cr_assert_str_eq(maps_string(mm), "0-3 rw- ac anon\n");
	cr_assert_eq(vma_at(mm, BASE)->anon_vma->refcount, 1);
	do_munmap(mm, BASE, 3 * PG);

	/* A read fault assigns no anon_vma: still mergeable. */
	map_fixed(mm, BASE, PG, RW);
	touch(mm, BASE, false);
	map_fixed(mm, BASE + PG, PG, RW);
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac\n");
	/* Written later: the whole merged VMA gets it, a new neighbour joins. */
	touch(mm, BASE + PG, true);
	map_fixed(mm, BASE + 2 * PG, PG, RW);
	cr_assert_str_eq(maps_string(mm), "0-3 rw- ac anon\n");
	do_munmap(mm, BASE, 3 * PG);

	/* Parts of one VMA share its anon_vma: refilling a hole merges all. */
	map_fixed(mm, BASE, 3 * PG, RW);
	touch(mm, BASE, true);
	do_munmap(mm, BASE + PG, PG);
	cr_assert_eq(vma_at(mm, BASE)->anon_vma, vma_at(mm, BASE + 2 * PG)->anon_vma);
	map_fixed(mm, BASE + PG, PG, RW);
	cr_assert_str_eq(maps_string(mm), "0-3 rw- ac anon\n");
	cr_assert_eq(vma_at(mm, BASE)->anon_vma->refcount, 1);
	check_all();
}
