/*
 * The munmap pipeline: argument checks, rounding, splits and pgoff,
 * page-table freeing by Linux's floor/ceiling rule, TLB flush accounting
 * and the order flush-then-free.
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"

TestSuite(munmap, .init = fake_setup);

static void write_range(struct mm_struct *mm, uint64_t addr, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++)
		cr_assert_eq(touch(mm, addr + i * PG, true), 0);
}

Test(munmap, refuses_bad_arguments)
{
	struct mm_struct *mm = new_mm();

	cr_assert_eq(map_fixed(mm, BASE, 4 * PG, RW), (long)BASE);
	cr_assert_eq(do_munmap(mm, BASE + 0x800, PG), -EINVAL);
	cr_assert_eq(do_munmap(mm, BASE, 0), -EINVAL);
	cr_assert_eq(do_munmap(mm, BASE, 0xfffffffffffff000ULL), -EINVAL);
	cr_assert_eq(do_munmap(mm, BASE, ~0ULL), -EINVAL);
	cr_assert_eq(do_munmap(mm, TASK_SIZE, PG), -EINVAL);
	cr_assert_eq(do_munmap(mm, TASK_SIZE - PG, 2 * PG), -EINVAL);
	cr_assert_eq(do_munmap(mm, TASK_SIZE - PG, PG + 1), -EINVAL);
	cr_assert_eq(do_munmap(mm, 0x800000000000ULL, PG), -EINVAL);
	cr_assert_eq(vma_count(mm), 1);
	/* Ending exactly at TASK_SIZE is fine. */
	cr_assert_eq(do_munmap(mm, TASK_SIZE - PG, PG), 0);
	check_all();
}

Test(munmap, rounds_length_up)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, 4 * PG, RW);
	cr_assert_eq(do_munmap(mm, BASE, 1), 0);
	cr_assert_str_eq(maps_string(mm), "1-4 rw- ac\n");
	cr_assert_eq(do_munmap(mm, BASE + 2 * PG, 0x800), 0);
	cr_assert_str_eq(maps_string(mm), "1-2 rw- ac\n3-4 rw- ac\n");
	check_all();
}

Test(munmap, nothing_mapped_changes_nothing)
{
	struct mm_struct *mm = new_mm();
	uint64_t used;

	map_fixed(mm, BASE, 4 * PG, RW);
	write_range(mm, BASE, 4);
	used = frames_used();
	fake_reset_counts();
	cr_assert_eq(do_munmap(mm, BASE + 16 * PG, 64 * PG), 0);
	cr_assert_eq(do_munmap(mm, BASE - 64 * PG, 64 * PG), 0);
	cr_assert_str_eq(maps_string(mm), "0-4 rw- ac anon\n");
	cr_assert_eq(frames_used(), used);
	cr_assert_eq(fake.flush_pages + fake.flush_all, 0);
	check_all();
}

Test(munmap, hole_splits_and_pgoff_follows)
{
	struct mm_struct *mm = new_mm();
	struct vm_area_struct *a, *b;

	map_fixed(mm, BASE, 8 * PG, RW);
	write_range(mm, BASE, 8);
	cr_assert_eq(do_munmap(mm, BASE + 3 * PG, 2 * PG), 0);
	a = vma_at(mm, BASE);
	b = vma_at(mm, BASE + 5 * PG);
	cr_assert_eq(a->vm_end, BASE + 3 * PG);
	cr_assert_eq(a->vm_pgoff, BASE >> 12);                /* the front keeps its pgoff */
	cr_assert_eq(b->vm_start, BASE + 5 * PG);
	cr_assert_eq(b->vm_pgoff, (BASE >> 12) + 5);          /* the rear part advances it */
	cr_assert_eq(a->anon_vma, b->anon_vma);               /* split parts share it */
	cr_assert_eq(a->anon_vma->refcount, 2);
	cr_assert_eq(mm->rss_pages, 6);
	cr_assert_eq(pte_of(mm, BASE + 3 * PG), 0);
	cr_assert_neq(pte_of(mm, BASE + 5 * PG), 0);
	/* Front and rear trims. */
	cr_assert_eq(do_munmap(mm, BASE, PG), 0);
	cr_assert_eq(vma_at(mm, BASE + PG)->vm_pgoff, (BASE >> 12) + 1);
	cr_assert_eq(do_munmap(mm, BASE + 7 * PG, PG), 0);
	cr_assert_str_eq(maps_string(mm), "1-3 rw- ac anon\n5-7 rw- ac anon\n");
	cr_assert_eq(mm->rss_pages, 4);
	check_all();
}

Test(munmap, range_over_several_vmas_and_holes)
{
	struct mm_struct *mm = new_mm();
	uint64_t used;

	map_fixed(mm, BASE, 4 * PG, RW);
	map_fixed(mm, BASE + 6 * PG, 2 * PG, RO);
	map_fixed(mm, BASE + 10 * PG, 4 * PG, RW);
	write_range(mm, BASE, 4);
	touch(mm, BASE + 6 * PG, false);
	write_range(mm, BASE + 10 * PG, 4);
	used = frames_used();
	cr_assert_eq(do_munmap(mm, BASE + 2 * PG, 10 * PG), 0);
	cr_assert_str_eq(maps_string(mm), "0-2 rw- ac anon\nc-e rw- ac anon\n");
	cr_assert_eq(used - frames_used(), 4);       /* 2 + 2 frames; the zero page stays */
	cr_assert_eq(mm->zero_ptes, 0);
	cr_assert_eq(mm->map_count, 2);
	check_all();
	cr_assert_eq(do_munmap(mm, BASE, 64 * PG), 0);
	cr_assert_eq(mm->map_count, 0);
	cr_assert_eq(mm->pt_pages, 0);
	check_all();
}

Test(munmap, page_tables_follow_floor_and_ceiling)
{
	struct mm_struct *mm = new_mm();
	const uint64_t M2 = 2ULL << 20;

	/* Two VMAs in one 2 MiB span, both touched: one PDPT, PD, PT. */
	map_fixed(mm, BASE, PG, RW);
	map_fixed(mm, BASE + 8 * PG, PG, RO);
	touch(mm, BASE, true);
	touch(mm, BASE + 8 * PG, false);
	cr_assert_eq(mm->pt_pages, 3);
	/* The PT is shared with the neighbour: kept. */
	do_munmap(mm, BASE, PG);
	cr_assert_eq(mm->pt_pages, 3);
	check_all();
	/* Last VMA: everything goes. */
	do_munmap(mm, BASE + 8 * PG, PG);
	cr_assert_eq(mm->pt_pages, 0);
	check_all();

	/* An untouched neighbour in the span still keeps the (empty) PT. */
	map_fixed(mm, BASE, PG, RW);
	map_fixed(mm, BASE + M2 - PG, PG, RO);
	touch(mm, BASE, true);
	do_munmap(mm, BASE, PG);
	cr_assert_eq(mm->pt_pages, 3);
	check_all();
	do_munmap(mm, BASE + M2 - PG, PG);
	cr_assert_eq(mm->pt_pages, 0);

	/* Neighbour in the next 2 MiB span: our PT goes, the shared PD stays. */
	map_fixed(mm, BASE, PG, RW);
	map_fixed(mm, BASE + M2, PG, RO);
	touch(mm, BASE, true);
	touch(mm, BASE + M2, false);
	cr_assert_eq(mm->pt_pages, 4);
	do_munmap(mm, BASE, PG);
	cr_assert_eq(mm->pt_pages, 3);
	check_all();
	do_munmap(mm, BASE + M2, PG);

	/* floor exactly on the span start: the previous VMA ends at BASE + 2M. */
	map_fixed(mm, BASE + M2 - PG, PG, RO);
	map_fixed(mm, BASE + M2, PG, RW);
	touch(mm, BASE + M2 - PG, false);
	touch(mm, BASE + M2, true);
	cr_assert_eq(mm->pt_pages, 4);
	do_munmap(mm, BASE + M2, PG);
	cr_assert_eq(mm->pt_pages, 3);
	check_all();
	do_munmap(mm, 0, TASK_SIZE);
	cr_assert_eq(mm->pt_pages, 0);

	/* Across a 1 GiB and a 512 GiB boundary. */
	map_fixed(mm, BASE + (1ULL << 30) - PG, 2 * PG, RW);
	write_range(mm, BASE + (1ULL << 30) - PG, 2);
	cr_assert_eq(mm->pt_pages, 5);
	map_fixed(mm, (1ULL << 39) - PG, 2 * PG, RW);
	write_range(mm, (1ULL << 39) - PG, 2);
	cr_assert_eq(mm->pt_pages, 5 + 6);
	do_munmap(mm, BASE + (1ULL << 30), PG);
	cr_assert_eq(mm->pt_pages, 5 + 6 - 2);
	check_all();
	do_munmap(mm, (1ULL << 39) - PG, PG);
	cr_assert_eq(mm->pt_pages, 5 + 6 - 2 - 3);
	check_all();
	do_munmap(mm, 0, TASK_SIZE);
	cr_assert_eq(mm->pt_pages, 0);
	check_all();
}

Test(munmap, flushes_per_page_up_to_33_then_all)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, 1024 * PG, RW);
	write_range(mm, BASE, 33);
	fake_reset_counts();
	do_munmap(mm, BASE, 33 * PG);
	cr_assert_eq(fake.flush_pages, 33);
	cr_assert_eq(fake.flush_all, 0);

	write_range(mm, BASE + 100 * PG, 34);
	fake_reset_counts();
	do_munmap(mm, BASE + 100 * PG, 34 * PG);
	cr_assert_eq(fake.flush_pages, 0);
	cr_assert_eq(fake.flush_all, 1);

	/* One touched page in a large untouched range: one invlpg, of that page. */
	touch(mm, BASE + 500 * PG, true);
	fake_reset_counts();
	do_munmap(mm, BASE + 200 * PG, 600 * PG);
	cr_assert_eq(fake.flush_pages, 1);
	cr_assert_eq(fake.last_flush_va, BASE + 500 * PG);
	cr_assert_eq(fake.flush_all, 0);

	/* Untouched: no flush at all. */
	fake_reset_counts();
	do_munmap(mm, BASE + 900 * PG, 10 * PG);
	cr_assert_eq(fake.flush_pages + fake.flush_all, 0);

	/* An isolated page whose tables all go: still a single invlpg. */
	map_fixed(mm, BASE + (1ULL << 32), PG, RW);
	touch(mm, BASE + (1ULL << 32), true);
	fake_reset_counts();
	do_munmap(mm, BASE + (1ULL << 32), PG);
	cr_assert_eq(fake.flush_pages, 1);
	cr_assert_eq(fake.flush_all, 0);
	check_all();
}

Test(munmap, no_flush_when_the_mm_is_not_loaded)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, 4 * PG, RW);
	write_range(mm, BASE, 4);
	new_mm();                        /* switches away: mm no longer loaded */
	cr_assert_eq(mm->cpu_mask, 0);
	fake_reset_counts();
	do_munmap(mm, BASE, 4 * PG);
	cr_assert_eq(fake.flush_pages + fake.flush_all, 0);
	check_all();
}

static uint64_t watched[64];
static unsigned nwatched, flushes_seen;

static void frames_still_held(void)
{
	flushes_seen++;
	for (unsigned i = 0; i < nwatched; i++)
		cr_assert_neq(mm_g.pages[watched[i] >> 12].type, PAGE_T_FREE,
			      "frame %#lx freed before the TLB flush", (unsigned long)watched[i]);
}

Test(munmap, frees_frames_and_tables_only_after_the_flush)
{
	struct mm_struct *mm = new_mm();
	uint64_t pt;

	map_fixed(mm, BASE + (1ULL << 33), 8 * PG, RW);
	write_range(mm, BASE + (1ULL << 33), 8);
	for (unsigned i = 0; i < 8; i++)
		watched[nwatched++] = pte_of(mm, BASE + (1ULL << 33) + i * PG) & PTE_ADDR;
	pte_walk(mm, BASE + (1ULL << 33), &pt);
	watched[nwatched++] = pt;                      /* the PT page goes too */
	fake.on_flush = frames_still_held;
	do_munmap(mm, BASE + (1ULL << 33), 8 * PG);
	fake.on_flush = NULL;
	cr_assert_eq(flushes_seen, 8);
	for (unsigned i = 0; i < nwatched; i++)
		cr_assert_eq(mm_g.pages[watched[i] >> 12].type, PAGE_T_FREE);
	cr_assert_eq(mm->pt_pages, 0);
	check_all();
}

Test(munmap, large_populated_range_in_batches)
{
	struct mm_struct *mm = new_mm();
	uint64_t used, pages = 3000;

	map_fixed(mm, BASE, pages * PG, RW);
	write_range(mm, BASE, pages);
	used = frames_used();
	fake_reset_counts();
	cr_assert_eq(do_munmap(mm, BASE, pages * PG), 0);
	/* the frames, 6 PTs, PD and PDPT (and the slab pages of the VMA, anon_vma
	 * and anon_vma_chain) */
	cr_assert_geq(used - frames_used(), pages + 6 + 2);
	cr_assert_leq(used - frames_used(), pages + 6 + 2 + 3, "%lu", (unsigned long)(used - frames_used()));
	cr_assert_geq(fake.flush_all, pages / TLB_BATCH_MAX);
	cr_assert_eq(fake.discarded, (pages / ARCH_DISCARD_MAX) * ARCH_DISCARD_MAX);
	check_all();
}
