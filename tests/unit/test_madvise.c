/*
 * madvise: argument checks, the flag advices (split and merge back),
 * dontneed (pages zapped, VMAs kept, zeros afterwards, EINVAL on a locked
 * VMA), populate_read / populate_write (protection and holes), holes for
 * every advice, and the flush-before-free order of dontneed.  Results and
 * VMA lists are compared with the host's Linux (oracle.h).
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"
#include "tests/unit/oracle.h"

TestSuite(madvise, .init = fake_setup);

Test(madvise, argument_checks)
{
	oracle_compare("mmap 0 4 rw-\n"
		       "madvise b:1 1 normal\n"
		       "madvise 0 0 normal\n"
		       "madvise 0 b:fffffffffffff001 normal\n"
		       "madvise 0 b:ffffffffffffe000 random\n"
		       "madvise 0 1 5\n"
		       "madvise 0 1 ff\n"
		       "madvise 0 1 3\n"        /* willneed */
		       "madvise 10 1 normal\n"
		       "madvise 10 0 random\n"
		       "madvise =7ffffffff000 2 normal\n"
		       "maps\n");
}

Test(madvise, flag_advice_split_and_merge)
{
	oracle_compare("mmap 0 4 rw-\n"
		       "madvise 0 4 random\nmadvise 0 2 sequential\nmaps\n"
		       "madvise 0 4 dontfork\nmaps\n"
		       "madvise 0 4 wipeonfork\nmaps\n"
		       "madvise 1 2 keeponfork\nmaps\n"
		       "madvise 0 4 dofork\nmaps\n"
		       "madvise 0 4 normal\nmadvise 0 4 keeponfork\nmaps\n");
	oracle_compare("mmap 0 8 rw-\ntouch 0 8 w\n"
		       "madvise 2 2 random\nmaps\nmadvise 2 2 normal\nmaps\n"
		       "madvise 0 1 sequential\nmadvise 1 1 sequential\nmaps\n");
}

Test(madvise, holes)
{
	oracle_compare("mmap 0 4 rw-\nmmap 6 4 rw-\n"
		       "madvise 2 6 random\nmaps\n"
		       "madvise 0 a normal\nmaps\n"
		       "madvise 4 1 random\nmadvise 4 4 sequential\nmaps\n"
		       "madvise 20 4 random\nmadvise 8 10 dontfork\nmaps\n");
}

Test(madvise, dontneed)
{
	oracle_compare("mmap 0 4 rw-\ntouch 0 4 w\nfill 0 2 ab\n"
		       "madvise 1 2 dontneed\npresent 0 4\ncheck 0 1 ab\ncheck 1 1 0\nmaps\n"
		       "mlock 2 1\nmadvise 0 4 dontneed\npresent 0 4\nmaps\n");
	oracle_compare("mmap 0 4 rw-\nmmap 5 2 rw-\ntouch 0 4 w\ntouch 5 2 w\n"
		       "madvise 0 7 dontneed\npresent 0 7\nfill 0 7 1\n");
	oracle_compare("mmap 0 4 r--\nmadvise 0 4 dontneed\nmaps\n"
		       "mmap 10 4 ---\nmadvise 10 4 dontneed\nmaps\n");
}

Test(madvise, populate)
{
	oracle_compare("mmap 0 4 r--\nmadvise 0 4 populate_write\npresent 0 4\n"
		       "mmap 10 4 ---\nmadvise 10 4 populate_read\nmadvise 10 4 populate_write\n"
		       "mmap 20 4 -w-\nmadvise 20 4 populate_read\nmadvise 20 4 populate_write\n"
		       "present 20 4\n"
		       "mmap 30 2 rw-\nmmap 33 2 rw-\nmadvise 30 5 populate_write\npresent 30 5\n"
		       "madvise 40 1 populate_read\n"
		       "mmap 50 2 rw-\nmmap 52 2 r--\nmadvise 50 4 populate_write\npresent 50 4\n"
		       "maps\n");
	oracle_compare("mmap 0 600 rw-\nmadvise 0 600 populate_write\npresent 1f0 20\n"
		       "check 0 600 0\nmaps\n");
}

/* populate_read maps the zero page (stock Linux; not this host, see
 * oracle_host.c), populate_write then replaces it by private frames. */
Test(madvise, populate_read_then_write)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, 8 * PG, RW);
	cr_assert_eq(do_madvise(mm, BASE, 8 * PG, MM_MADV_POPULATE_READ), 0);
	cr_assert_eq(mm->zero_ptes, 8);
	cr_assert_null(vma_at(mm, BASE)->anon_vma);
	check_all();
	cr_assert_eq(do_madvise(mm, BASE, 8 * PG, MM_MADV_POPULATE_WRITE), 0);
	cr_assert_eq(mm->zero_ptes, 0);
	cr_assert_eq(mm->rss_pages, 8);
	cr_assert_not_null(vma_at(mm, BASE)->anon_vma);
	check_all();
}

/* dontneed keeps the page tables, frees the frames after the flush. */
Test(madvise, dontneed_frees_after_flush)
{
	struct mm_struct *mm = new_mm();
	uint64_t pt_pages, used;

	map_fixed(mm, BASE, 64 * PG, RW);
	cr_assert_eq(do_madvise(mm, BASE, 64 * PG, MM_MADV_POPULATE_WRITE), 0);
	pt_pages = mm->pt_pages;
	used = frames_used();
	fake_reset_counts();
	cr_assert_eq(do_madvise(mm, BASE, 64 * PG, MM_MADV_DONTNEED), 0);
	cr_assert_eq(mm->rss_pages, 0);
	cr_assert_eq(mm->pt_pages, pt_pages);
	cr_assert_eq(used - frames_used(), 64);
	cr_assert_eq(fake.flush_all, 1);
	check_all();
}

static uint64_t watched;
static int live_at_first_flush = -1;

static void note_flush(void)
{
	if (live_at_first_flush < 0)
		live_at_first_flush = mm_g.pages[watched >> 12].type != PAGE_T_FREE;
}

/* dontneed: the zapped frames are still allocated when the TLB is flushed. */
Test(madvise, dontneed_flushes_before_freeing)
{
	struct mm_struct *mm = new_mm();

	map_fixed(mm, BASE, 4 * PG, RW);
	cr_assert_eq(touch(mm, BASE + PG, true), 0);
	watched = pte_of(mm, BASE + PG) & PTE_ADDR;
	fake.on_flush = note_flush;
	cr_assert_eq(do_madvise(mm, BASE, 4 * PG, MM_MADV_DONTNEED), 0);
	fake.on_flush = NULL;
	cr_assert_eq(live_at_first_flush, 1);
	cr_assert_eq(mm_g.pages[watched >> 12].type, PAGE_T_FREE);
	cr_assert_eq(pte_of(mm, BASE + PG), 0);
	check_all();
}
