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

/*
 * mremap at the limit, as measured on the host (a program bringing the
 * count to each value in a child, then one mremap): fixed or
 * dontunmap refuse at map_count >= 65525 (map_count + 2 >= limit - 3),
 * a move without fixed at >= 65527 (limit - 3); resizes in place and
 * shrinks follow munmap's rule (a hole inside one VMA at >= 65530).
 * madvise and mlock split through the same vma_modify_flags as mprotect,
 * whose rule above was measured.
 */
static void remap_case(uint64_t count, uint64_t a, uint64_t ol, uint64_t nl, uint32_t flags,
		       uint64_t na, long want)
{
	struct mm_struct *mm;
	long want_addr;

	fillers = 0;
	mm = new_mm();
	cr_assert_eq(map_fixed(mm, BASE, 8 * PG, RW), (long)BASE);
	cr_assert_eq(map_fixed(mm, BASE + 20 * PG, 8 * PG, RW), (long)(BASE + 20 * PG));
	fill_to(mm, count);
	want_addr = want;
	if (want >= 0)
		want_addr = flags & MM_MREMAP_FIXED ? (long)(BASE + na * PG) : (long)(BASE + a * PG);
	if (want == 1) {
		cr_assert_geq(do_mremap(mm, BASE + a * PG, ol * PG, nl * PG, flags, BASE + na * PG), 0);
	} else {
		cr_assert_eq(do_mremap(mm, BASE + a * PG, ol * PG, nl * PG, flags, BASE + na * PG),
			     want_addr, "count %lu: %lx+%lx -> %lx flags %x", (unsigned long)count,
			     (unsigned long)a, (unsigned long)ol, (unsigned long)nl, flags);
	}
	check_tree(mm);
	cr_assert_eq(mm_destroy(mm->id), 0);
}

Test(limits, mremap_map_count, .timeout = 120)
{
	const uint32_t MF = MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED;

	remap_case(65524, 0, 8, 8, MF, 40, 0);
	remap_case(65525, 0, 8, 8, MF, 40, -ENOMEM);
	remap_case(65525, 0, 8, 8, MF | MM_MREMAP_DONTUNMAP, 40, -ENOMEM);
	remap_case(65525, 0, 8, 8, MM_MREMAP_DONTUNMAP, 40, -EINVAL);   /* no maymove first */
	remap_case(65525, 0, 8, 8, MF, 4, -EINVAL);                     /* overlap first */
	remap_case(65526, 2, 2, 3, MM_MREMAP_MAYMOVE, 0, 1);            /* a move, anywhere */
	remap_case(65527, 2, 2, 3, MM_MREMAP_MAYMOVE, 0, -ENOMEM);
	remap_case(65530, 0, 8, 9, 0, 0, 0);                            /* grows in place */
	remap_case(65530, 0, 8, 7, 0, 0, 0);                            /* trims */
	remap_case(65529, 0, 2, 1, 0, 0, 0);                            /* a hole: munmap's rule */
	remap_case(65530, 0, 2, 1, 0, 0, -ENOMEM);
}

Test(limits, madvise_and_mlock_split_rule)
{
	struct mm_struct *mm = new_mm();

	cr_assert_eq(map_fixed(mm, BASE, 8 * PG, RW), (long)BASE);
	fill_to(mm, MAX_MAP_COUNT - 1);
	/* One split allowed (the first), the second refused: ENOMEM, first kept. */
	cr_assert_eq(do_madvise(mm, BASE + 2 * PG, 2 * PG, MM_MADV_RANDOM), -ENOMEM);
	cr_assert_eq(mm->map_count, MAX_MAP_COUNT);
	cr_assert_eq(do_mlock(mm, BASE + 4 * PG, PG, 0), -ENOMEM);
	cr_assert_eq(mm->map_count, MAX_MAP_COUNT);
	/* At an edge no split is needed beyond the limit check's first one. */
	cr_assert_eq(do_munlock(mm, BASE, 8 * PG), 0);
	check_tree(mm);
}
