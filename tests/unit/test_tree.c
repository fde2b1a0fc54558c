/*
 * The VMA tree on its own: thousands of random inserts, removals and
 * boundary moves, with the AVL balance, order, parent pointers and the
 * augmented gaps checked against brute force after every step; find_vma
 * and the top-down gap search against a linear scan of the list.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tests/unit/fake_arch.h"

#define SPAN_PAGES 8192ULL

TestSuite(tree, .init = fake_setup);

static uint64_t rnd(uint64_t n)
{
	return (uint64_t)random() % n;
}

static struct vm_area_struct *brute_find(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *v;

	for (v = mm->mmap; v && v->vm_end <= addr; v = v->vm_next)
		;
	return v;
}

static struct vm_area_struct *nth(struct mm_struct *mm, uint64_t k)
{
	struct vm_area_struct *v = mm->mmap;

	while (k--)
		v = v->vm_next;
	return v;
}

static bool try_insert(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	struct vm_area_struct *next, *prev, *v;

	if (find_vma_intersection(mm, start, start + len))
		return false;
	next = find_vma_prev(mm, start, &prev);
	cr_assert(!next || next->vm_start >= start + len);
	v = vma_alloc(start, start + len, start >> 12, VM_READ | VM_MAY_ALL);
	cr_assert_not_null(v);
	vma_link(mm, v, prev);
	return true;
}

/* Highest fitting address by scanning every gap from the top. */
static long brute_gap(struct mm_struct *mm, uint64_t len, uint64_t low, uint64_t high)
{
	struct vm_area_struct *v = mm->mmap_last;
	uint64_t gap_end = UINT64_MAX;

	for (;;) {
		uint64_t gap_start = v ? v->vm_end : 0;
		uint64_t end = gap_end < high ? gap_end : high;
		uint64_t lo = gap_start > low ? gap_start : low;
		if (end >= len && end - len >= lo)
			return (long)(end - len);
		if (!v)
			return -ENOMEM;
		gap_end = v->vm_start;
		v = v->vm_prev;
	}
}

static void check_searches(struct mm_struct *mm)
{
	for (int i = 0; i < 20; i++) {
		uint64_t addr = BASE - 64 * PG + rnd(SPAN_PAGES + 128) * PG;
		cr_assert_eq(find_vma(mm, addr), brute_find(mm, addr), "find_vma(%lx)", (unsigned long)addr);
	}
	for (int i = 0; i < 10; i++) {
		uint64_t len = (1 + rnd(i < 5 ? 4 : 96)) * PG;
		uint64_t low = BASE + rnd(SPAN_PAGES / 2) * PG;
		uint64_t high = low + rnd(SPAN_PAGES) * PG;
		struct vm_area_struct *next = (void *)1;
		long got = unmapped_area_topdown(mm, len, low, high, &next);
		long want = brute_gap(mm, len, low, high);
		cr_assert_eq(got, want, "gap len %lx in [%lx, %lx): %lx, brute force %lx",
			     (unsigned long)len, (unsigned long)low, (unsigned long)high, (unsigned long)got,
			     (unsigned long)want);
		if (got >= 0)
			cr_assert_eq(next, brute_find(mm, (uint64_t)got));
	}
}

Test(tree, random_insert_remove_adjust)
{
	struct mm_struct *mm = new_mm();
	unsigned long ops = 0;

	srandom(1);
	for (int round = 0; round < 6000; round++) {
		uint64_t count = mm->map_count;
		unsigned op = (unsigned)rnd(10);
		/* Grow towards ~600 VMAs, then shrink back, then grow again. */
		bool growing = (round / 1500) % 2 == 0;

		if (op < (growing ? 6u : 3u) || count == 0) {
			uint64_t start = BASE + rnd(SPAN_PAGES) * PG;
			ops += try_insert(mm, start, (1 + rnd(8)) * PG);
		} else if (op < 9) {
			struct vm_area_struct *first = nth(mm, rnd(count)), *last = first;
			for (uint64_t k = rnd(3); k && last->vm_next; k--)
				last = last->vm_next;
			unsigned n = vma_unlink_range(mm, first, last);
			cr_assert_null(last->vm_next);
			while (first) {
				struct vm_area_struct *nx = first->vm_next;
				vma_free(first);
				first = nx;
				n--;
			}
			cr_assert_eq(n, 0);
			ops++;
		} else {
			/* Move one VMA's bounds within its neighbours. */
			struct vm_area_struct *v = nth(mm, rnd(count));
			uint64_t lo = v->vm_prev ? v->vm_prev->vm_end : BASE - 64 * PG;
			uint64_t hi = v->vm_next ? v->vm_next->vm_start : BASE + SPAN_PAGES * PG;
			uint64_t s = lo + rnd((hi - lo) / PG) * PG;
			uint64_t e = s + (1 + rnd((hi - s) / PG)) * PG;
			if (e > hi)
				e = hi;
			if (s < e) {
				vma_set_range(v, s, e, s >> 12);
				ops++;
			}
		}
		check_tree(mm);
		if (round % 10 == 0)
			check_searches(mm);
	}
	cr_assert_gt(ops, 4000);
}

Test(tree, sequential_and_reverse_inserts_stay_balanced)
{
	struct mm_struct *mm = new_mm();

	for (uint64_t i = 0; i < 2048; i++)
		cr_assert(try_insert(mm, BASE + 2 * i * PG, PG));
	for (uint64_t i = 0; i < 2048; i++)
		cr_assert(try_insert(mm, BASE + (1ULL << 32) - 2 * i * PG, PG));
	check_tree(mm);
	/* AVL: height <= 1.44 log2(n + 2). */
	cr_assert_leq(mm->vma_root->vm_height, 18);
	check_searches(mm);
}

Test(tree, gap_search_finds_highest_fitting_gap)
{
	struct mm_struct *mm = new_mm();
	struct vm_area_struct *next;

	/* [B, B+1) [B+3, B+4) [B+10, B+11): gaps of 2 and 6 pages below B+10. */
	try_insert(mm, BASE, PG);
	try_insert(mm, BASE + 3 * PG, PG);
	try_insert(mm, BASE + 10 * PG, PG);
	cr_assert_eq(unmapped_area_topdown(mm, 2 * PG, BASE, BASE + 10 * PG, &next),
		     (long)(BASE + 8 * PG));
	cr_assert_eq(next->vm_start, BASE + 10 * PG);
	cr_assert_eq(unmapped_area_topdown(mm, 7 * PG, BASE, BASE + 10 * PG, &next), -ENOMEM);
	cr_assert_eq(unmapped_area_topdown(mm, 2 * PG, BASE, BASE + 3 * PG, &next),
		     (long)(BASE + PG));
	cr_assert_eq(unmapped_area_topdown(mm, 3 * PG, BASE, BASE + 3 * PG, &next), -ENOMEM);
	/* Above every VMA: the top of the window. */
	cr_assert_eq(unmapped_area_topdown(mm, PG, BASE, BASE + 100 * PG, &next),
		     (long)(BASE + 99 * PG));
	cr_assert_null(next);
}
