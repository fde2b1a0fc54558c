/*
 * mremap: every errno edge, shrink, grow in place (with the next VMA
 * merging), moves of unwritten and written VMAs (pgoff and merges), fixed
 * over a mapping, dontunmap, the multi-VMA move of Linux 6.17+, data
 * across moves, page tables moved rather than frames copied, and the TLB
 * flush of the old range.  The VMA lists and results are compared with
 * the host's Linux (oracle.h).
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"
#include "tests/unit/oracle.h"

TestSuite(mremap, .init = fake_setup);

Test(mremap, errno_edges)
{
	oracle_compare("mmap 0 4 rw-\n"
		       "mremap b:1 4 8 maymove\n"
		       "mremap 0 4 0 maymove\n"
		       "mremap 0 4 b:fffffffffffff001\n"
		       "mremap 0 4 b:800000000000 maymove\n"
		       "mremap 0 4 b:7ffffffff000 maymove\n"
		       "mremap 0 4 8 fixed 10\n"
		       "mremap 0 4 8 maymove fixed b:10001\n"
		       "mremap 0 4 8 dontunmap maymove fixed 20\n"
		       "mremap 0 4 4 dontunmap fixed 20\n"
		       "mremap 0 4 8 maymove fixed 2\n"
		       "mremap 0 4 4 maymove fixed 3\n"
		       "mremap 0 4 8 maymove fixed =7ffffffff000\n"
		       "mremap 0 4 8 maymove fixed =7fffffff8000\n"
		       "mremap 8 4 8 maymove\n"
		       "mremap 0 0 8 maymove\n"
		       "mremap 0 0 8\n"
		       "mremap 0 0 4 maymove fixed 10\n"
		       "mremap 0 5 8 maymove\n"
		       "mremap 0 5 6 maymove fixed 10\n"
		       "mremap 2 1 3\n"
		       "mremap 20 1 1\n"
		       "mremap 20 2 1\n"
		       "maps\n");
}

Test(mremap, same_length_and_shrink)
{
	oracle_compare("mmap 0 4 rw-\nmmap 6 2 rw-\n"
		       "mremap 0 8 8\n"          /* no resize: no check of the range */
		       "mremap 0 8 9\n"
		       "mremap 4 4 1\n"
		       "mremap 1 3 2\n"
		       "maps\n"
		       "mremap 0 8 2\n"          /* the shrink's munmap crosses VMAs */
		       "maps\n");
	oracle_compare("mmap 0 8 rw-\nfill 0 8 5a\n"
		       "mremap 0 8 b:2001\n"
		       "present 0 8\ncheck 0 3 5a\nmaps\n");
}

Test(mremap, grow_in_place)
{
	oracle_compare("mmap 0 4 rw-\nmmap 6 4 rw-\n"
		       "mremap 0 4 6\nmaps\n"     /* both unwritten: one VMA */
		       "mremap 0 a b\nmaps\n");
	oracle_compare("mmap 0 4 rw-\ntouch 0 1 w\nmmap 6 4 rw-\ntouch 6 1 w\n"
		       "mremap 0 4 6\nmaps\n");   /* two anon_vmas: no merge */
	oracle_compare("mmap 0 4 rw-\ntouch 0 4 w\nmmap 6 4 rw-\n"
		       "mremap 0 4 6\nmaps\npresent 0 a\n");
	oracle_compare("mmap 0 4 rw-\nmmap 6 4 r--\n"
		       "mremap 0 4 6\nmaps\nmremap 0 6 7\nmaps\n"
		       "mremap 1 1 3\nmaps\n");   /* not at the end: ENOMEM */
	oracle_compare("mmap =7fffffffb000 4 rw-\n"
		       "mremap =7fffffffb000 4 5\n");
}

Test(mremap, move_and_merge)
{
	oracle_compare("mmap 0 4 rw-\nmmap 10 4 rw-\n"
		       "mremap 0 4 4 maymove fixed 14\nmaps\n");
	oracle_compare("mmap 0 4 rw-\ntouch 0 4 w\nmmap 10 4 rw-\n"
		       "mremap 0 4 4 maymove fixed 14\nmaps\n");
	oracle_compare("mmap 0 4 rw-\nfill 0 4 77\n"
		       "mremap 0 4 4 maymove fixed 14\nmremap 14 4 4 maymove fixed 0\nmaps\n"
		       "mmap 4 4 rw-\nmaps\ncheck 0 4 77\n");
	oracle_compare("mmap 0 8 rw-\ntouch 0 8 w\n"
		       "mremap 4 4 4 maymove fixed 20\nmaps\nmremap 20 4 4 maymove fixed 4\nmaps\n");
	oracle_compare("mmap 0 8 rw-\n"
		       "mremap 2 2 2 maymove fixed 8\nmaps\nmremap 8 2 2 maymove fixed 2\nmaps\n");
	oracle_compare("mmap 0 8 rw-\n"
		       "mremap 4 2 2 maymove fixed 2\n"  /* overlap */
		       "mremap 6 2 2 maymove fixed 3\n"
		       "mremap 2 2 2 maymove fixed 9\nmaps\n"
		       "mremap 9 2 2 maymove fixed 0\nmaps\n");
}

Test(mremap, move_over_a_mapping_and_grow)
{
	oracle_compare("mmap 0 4 rw-\nfill 0 4 11\nmmap 10 8 r--\nmmap 20 4 rw-\nfill 20 4 22\n"
		       "mremap 0 4 6 maymove fixed 12\nmaps\n"
		       "check 12 4 11\ncheck 16 2 0\npresent 10 8\n"
		       "mremap 20 4 2 maymove fixed 0\nmaps\ncheck 0 2 22\n");
	oracle_compare("mmap 0 4 rw-\nmmap 10 4 rw-\n"
		       "mremap 1 5 2 maymove fixed 10\nmaps\n");
}

Test(mremap, dontunmap)
{
	oracle_compare("mmap 0 4 rw-\nfill 0 4 33\n"
		       "mremap 0 4 4 maymove dontunmap fixed 20\nmaps\n"
		       "present 0 4\npresent 20 4\ncheck 0 4 0\ncheck 20 4 33\n"
		       "fill 0 1 1\nmmap 4 4 rw-\nmaps\n");
	oracle_compare("mmap 0 8 rw-\ntouch 0 8 w\n"
		       "mremap 2 2 2 maymove dontunmap fixed 20\nmaps\n"
		       "mlock 0 8\nmremap 4 2 2 maymove dontunmap fixed 30\nmaps\npresent 0 8\n");
}

Test(mremap, multi_vma_move)
{
	oracle_compare("mmap 0 4 rw-\nmmap 6 4 rw-\nmmap 10 4 rw-\n"
		       "mremap 1 6 6 maymove fixed 20\nmaps\n");
	oracle_compare("mmap 0 4 rw-\ntouch 0 4 w\nmmap 6 4 r--\nmmap 10 4 rw-\n"
		       "mremap 0 c c maymove fixed 20\nmaps\n");
	oracle_compare("mmap 0 4 rw-\nmmap 6 4 rw-\n"
		       "mremap 0 c c maymove dontunmap fixed 20\nmaps\n");
	oracle_compare("mmap 2 4 rw-\nmmap 6 4 rw-\n"
		       "mremap 0 a a maymove fixed 20\nmaps\n"
		       "mremap 2 8 8 maymove fixed 21\nmaps\n");
}

Test(mremap, locked_growth_is_populated)
{
	oracle_compare("mmap 0 4 rw-\nmlock 0 4\nmunmap 1 1\nmaps\n"
		       "mremap 2 2 4 maymove fixed 10\npresent 10 4\nmaps\n"
		       "mremap 10 4 6\npresent 10 6\nmaps\n");
}

/* The move moves entries: the frames stay the same, no frame is
 * allocated or freed for data, and the old range is flushed. */
Test(mremap, moves_entries_not_frames)
{
	struct mm_struct *mm = new_mm();
	const uint64_t M2 = 2ULL << 20, n = 1024;
	uint64_t frames[4], used, pt, new_pt;

	cr_assert_eq(map_fixed(mm, BASE, n * PG, RW), (long)BASE);
	cr_assert_eq(do_madvise(mm, BASE, n * PG, MM_MADV_POPULATE_WRITE), 0);
	for (int i = 0; i < 4; i++)
		frames[i] = pte_of(mm, BASE + (uint64_t)i * 300 * PG) & PTE_ADDR;
	cr_assert_not_null(pte_walk(mm, BASE + 512 * PG, &pt));
	used = frames_used();
	fake_reset_counts();
	cr_assert_eq(do_mremap(mm, BASE, n * PG, n * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
			       BASE + 64 * M2), (long)(BASE + 64 * M2));
	for (int i = 0; i < 4; i++)
		cr_assert_eq(pte_of(mm, BASE + 64 * M2 + (uint64_t)i * 300 * PG) & PTE_ADDR, frames[i]);
	cr_assert_eq(pte_of(mm, BASE), 0);
	cr_assert_eq(mm->rss_pages, n);
	/* The second 2 MiB's PT page itself now maps the new place. */
	cr_assert_not_null(pte_walk(mm, BASE + 64 * M2 + 512 * PG, &new_pt));
	cr_assert_eq(new_pt, pt);
	/* Whole PT pages moved: the old PTs went with them, the old PD and
	 * PDPT were freed by the munmap, new ones made: same count. */
	cr_assert_eq(frames_used(), used);
	cr_assert_eq(fake.discards, 0);
	cr_assert(fake.flush_all >= 1, "the old range must be flushed");
	check_all();
	/* Unaligned: entry by entry, across PT pages. */
	cr_assert_eq(do_mremap(mm, BASE + 64 * M2 + 8 * PG, 600 * PG, 600 * PG,
			       MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, BASE + 3 * PG), (long)(BASE + 3 * PG));
	cr_assert_eq(pte_of(mm, BASE + 3 * PG + 292 * PG) & PTE_ADDR, frames[1]);
	cr_assert_eq(mm->rss_pages, n);
	check_all();
}

static uint64_t watched_frame;
static int frame_live_at_flush = -1;

static void note_flush(void)
{
	if (frame_live_at_flush < 0)
		frame_live_at_flush = mm_g.pages[watched_frame >> 12].type != PAGE_T_FREE;
}

/* The frames of a fixed move's target are freed only after the flush. */
Test(mremap, target_frames_freed_after_flush)
{
	struct mm_struct *mm = new_mm();
	uint64_t free_before;

	map_fixed(mm, BASE, 4 * PG, RW);
	map_fixed(mm, BASE + 16 * PG, 4 * PG, RW);
	for (int i = 0; i < 4; i++) {
		touch(mm, BASE + (uint64_t)i * PG, true);
		touch(mm, BASE + (16 + (uint64_t)i) * PG, true);
	}
	watched_frame = pte_of(mm, BASE + 16 * PG) & PTE_ADDR;
	free_before = mm_g.table->frames_free;
	fake.on_flush = note_flush;
	cr_assert_eq(do_mremap(mm, BASE, 4 * PG, 4 * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED,
			       BASE + 16 * PG), (long)(BASE + 16 * PG));
	fake.on_flush = NULL;
	cr_assert_eq(frame_live_at_flush, 1, "a frame was freed before the flush");
	cr_assert_eq(mm_g.pages[watched_frame >> 12].type, PAGE_T_FREE);
	/* The target's 4 frames; the page tables are shared by both ranges. */
	cr_assert_eq(mm_g.table->frames_free, free_before + 4);
	check_all();
}

/* Moves to an address the kernel chooses (not comparable with the host:
 * the addresses differ): data, flags and counters follow. */
Test(mremap, kernel_chosen_address)
{
	struct mm_struct *mm = new_mm();
	uint64_t used;
	long r;

	map_fixed(mm, BASE, 4 * PG, RW);
	map_fixed(mm, BASE + 4 * PG, 4 * PG, RO);
	for (int i = 0; i < 4; i++)
		touch(mm, BASE + (uint64_t)i * PG, true);
	cr_assert_eq(do_mlock(mm, BASE, 4 * PG, 0), 0);
	*(uint8_t *)(fake_ram + (pte_of(mm, BASE + 3 * PG) & PTE_ADDR)) = 0x5a;
	used = frames_used();
	r = do_mremap(mm, BASE, 4 * PG, 6 * PG, MM_MREMAP_MAYMOVE, 0);
	cr_assert_gt(r, 0);
	cr_assert_neq(r, (long)BASE);
	cr_assert_null(vma_at(mm, BASE));
	cr_assert_eq(vma_at(mm, (uint64_t)r)->vm_end, (uint64_t)r + 6 * PG);
	cr_assert(vma_at(mm, (uint64_t)r)->vm_flags & VM_LOCKED);
	cr_assert_eq(*(uint8_t *)(fake_ram + (pte_of(mm, (uint64_t)r + 3 * PG) & PTE_ADDR)), 0x5a);
	/* Locked: the two new pages were populated. */
	cr_assert_eq(mm->rss_pages, 6);
	cr_assert_geq(frames_used(), used + 2);
	check_all();
	/* dontunmap alone: a kernel-chosen address, the old VMA kept, empty. */
	r = do_mremap(mm, BASE + 4 * PG, 4 * PG, 4 * PG, MM_MREMAP_MAYMOVE | MM_MREMAP_DONTUNMAP, 0);
	cr_assert_gt(r, 0);
	cr_assert_not_null(vma_at(mm, BASE + 4 * PG));
	cr_assert_not_null(vma_at(mm, (uint64_t)r));
	check_all();
}

/* Found by the random comparison: a dontunmap move whose copy merges
 * into the source VMA itself must not be moved again. */
Test(mremap, dontunmap_copy_merges_into_source)
{
	oracle_compare("mmap 1c 4 ---\nmmap 26 7 rwx\nmmap 1e 8 rw-\n"
		       "mremap 20 2 2 maymove dontunmap fixed 25\nmaps\n");
}
