/*
 * vm.max_map_count (MAX_MAP_COUNT = 65530) with Linux 6.18's rules, as
 * measured on the host kernel:
 *  - munmap (and MAP_FIXED) refuse with ENOMEM, changing nothing, a hole
 *    inside one VMA when map_count >= the limit; trims are always fine;
 *  - mmap refuses only when map_count is already above the limit, so one
 *    mmap may leave MAX_MAP_COUNT + 1;
 *  - mprotect refuses each split at the limit, keeping what it did before
 *    (a first split may stay behind).
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"

#define FILL 0x200000000000ULL

TestSuite(limits, .init = fake_setup);

static uint64_t fillers;

/* Add or remove one-page filler VMAs until map_count == n. */
static void fill_to(struct mm_struct *mm, uint64_t n)
{
	while (mm->map_count < n) {
		cr_assert_eq(map_fixed(mm, FILL + 2 * fillers * PG, PG, RO), (long)(FILL + 2 * fillers * PG));
		fillers++;
	}
	while (mm->map_count > n) {
		fillers--;
		cr_assert_eq(do_munmap(mm, FILL + 2 * fillers * PG, PG), 0);
	}
}

/* Everything observable about the VMA set and the counters. */
static uint64_t fingerprint(struct mm_struct *mm)
{
	uint64_t h = 1469598103934665603ULL;

	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next) {
		uint64_t f[5] = { v->vm_start, v->vm_end, v->vm_pgoff, v->vm_flags,
				  (uint64_t)(uintptr_t)v->anon_vma };
		for (int i = 0; i < 5; i++)
			h = (h ^ f[i]) * 1099511628211ULL;
	}
	h = (h ^ mm->map_count) * 1099511628211ULL;
	h = (h ^ mm->rss_pages) * 1099511628211ULL;
	return (h ^ frames_used()) * 1099511628211ULL;
}

Test(limits, map_count_rules_of_linux)
{
	struct mm_struct *mm = new_mm();
	struct vm_area_struct *next;
	uint64_t fp;
	long addr;

	cr_assert_eq(map_fixed(mm, BASE, 16 * PG, RW), (long)BASE);
	cr_assert_eq(touch(mm, BASE + 8 * PG, true), 0);
	fill_to(mm, MAX_MAP_COUNT);
	check_tree(mm);

	/* At the limit: a hole is refused and nothing changes. */
	fp = fingerprint(mm);
	cr_assert_eq(do_munmap(mm, BASE + 2 * PG, PG), -ENOMEM);
	cr_assert_eq(map_fixed(mm, BASE + 2 * PG, PG, RW), -ENOMEM);
	cr_assert_eq(map_fixed(mm, BASE + 2 * PG, PG, RO), -ENOMEM);
	cr_assert_eq(do_mprotect(mm, BASE, PG, RO), -ENOMEM);
	cr_assert_eq(do_mprotect(mm, BASE + 15 * PG, PG, RO), -ENOMEM);
	cr_assert_eq(fingerprint(mm), fp);
	/* Without a split it all works. */
	cr_assert_eq(do_mprotect(mm, BASE, 16 * PG, RW), 0);
	cr_assert_eq(do_munmap(mm, BASE, PG), 0);
	cr_assert_eq(do_munmap(mm, BASE + 15 * PG, PG), 0);
	cr_assert_eq(mm->map_count, MAX_MAP_COUNT);
	check_tree(mm);

	/* One below: the hole is allowed and reaches the limit. */
	fill_to(mm, MAX_MAP_COUNT - 1);
	cr_assert_eq(do_munmap(mm, BASE + 2 * PG, PG), 0);
	cr_assert_eq(mm->map_count, MAX_MAP_COUNT);
	/* Refilling the hole merges both sides again (same anon_vma). */
	cr_assert_eq(map_fixed(mm, BASE + 2 * PG, PG, RW), (long)(BASE + 2 * PG));
	cr_assert_eq(mm->map_count, MAX_MAP_COUNT - 1);

	/* MAP_FIXED over the middle with other flags: hole, then a new VMA: limit + 1. */
	cr_assert_eq(map_fixed(mm, BASE + 4 * PG, PG, RO), (long)(BASE + 4 * PG));
	cr_assert_eq(mm->map_count, MAX_MAP_COUNT + 1);
	/* Above the limit every mmap is refused, unmapping still works. */
	fp = fingerprint(mm);
	cr_assert_eq(do_mmap(mm, 0, PG, RO, 0), -ENOMEM);
	cr_assert_eq(map_fixed(mm, FILL - 4 * PG, PG, RO), -ENOMEM);
	cr_assert_eq(fingerprint(mm), fp);
	cr_assert_eq(do_munmap(mm, BASE + 4 * PG, PG), 0);
	cr_assert_eq(mm->map_count, MAX_MAP_COUNT);
	cr_assert_eq(map_fixed(mm, BASE + 4 * PG, PG, RW), (long)(BASE + 4 * PG));

	/* Exactly at the limit, a kernel-chosen mmap still succeeds. */
	fill_to(mm, MAX_MAP_COUNT);
	addr = do_mmap(mm, 0, PG, RO, 0);
	cr_assert_eq(addr, (long)(MMAP_BASE - PG));
	cr_assert_eq(mm->map_count, MAX_MAP_COUNT + 1);
	cr_assert_eq(do_munmap(mm, (uint64_t)addr, PG), 0);

	/* mprotect of the middle one below the limit: the first split stays. */
	fill_to(mm, MAX_MAP_COUNT - 1);
	next = vma_at(mm, BASE + 5 * PG);
	cr_assert_eq(next->vm_start, BASE + PG);
	cr_assert_eq(do_mprotect(mm, BASE + 5 * PG, PG, RO), -ENOMEM);
	cr_assert_eq(mm->map_count, MAX_MAP_COUNT);
	cr_assert_eq(vma_at(mm, BASE + 4 * PG)->vm_end, BASE + 5 * PG);
	cr_assert_eq(vma_at(mm, BASE + 5 * PG)->vm_flags, vma_at(mm, BASE + 4 * PG)->vm_flags);
	/* Same flags: mprotect leaves the two parts apart, as Linux does. */
	cr_assert_eq(do_mprotect(mm, BASE + PG, 14 * PG, RW), 0);
	cr_assert_eq(vma_at(mm, BASE + 4 * PG)->vm_end, BASE + 5 * PG);
	check_all();
}
