/*
 * The replay model on one CPU and its bounds: the munmap pipeline as the
 * guest logs it today (PTE clears, table unlinks, one flush, frees), what
 * a flush must cover, CR3 loads, the capacity bound and bad records.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/tlbcheck/stream.h"

#define MM    1
#define VA    0x100000000000ULL

static struct stream s;

static void fini(void)
{
	stream_fini(&s);
}

TestSuite(model, .fini = fini);

static enum tlbcheck_verdict verdict(const char **msg, struct tlbcheck_counts *c)
{
	return stream_verdict(&s, msg, c);
}

Test(model, single_cpu_munmap)
{
	struct tlbcheck_counts c;
	const char *msg;

	stream_init(&s, 64);
	ev(&s, TLOG_CR3_LOAD, 0, MM, 0, 0);
	for (unsigned i = 0; i < 4; i++)
		ev(&s, TLOG_PTE_CLEAR, 0, MM, VA + i * 0x1000, 0x800000 + i * 0x1000);
	ev(&s, TLOG_PT_UNLINK, 0, MM, VA, 0x900000 | 1);
	ev(&s, TLOG_PT_UNLINK, 0, MM, VA, 0x901000 | 2);
	ev(&s, TLOG_FLUSH_RANGE, 0, MM, VA, VA + 0x4000);
	cr_assert_eq(verdict(&msg, &c), TLBV_CLEAN, "%s", msg);
	cr_expect_eq(c.stale, 0, "the range flush covers the leaves and meets both spans");
	for (unsigned i = 0; i < 4; i++)
		ev(&s, TLOG_FRAME_FREE, 0, 0, 0x800000 + i * 0x1000, 0);
	ev(&s, TLOG_PT_FREE, 0, MM, 0x900000, 0);
	ev(&s, TLOG_PT_FREE, 0, MM, 0x901000, 0);
	cr_assert_eq(verdict(&msg, &c), TLBV_CLEAN, "%s", msg);
	cr_expect_eq(c.frames_checked, 4);
	cr_expect_eq(c.tables_checked, 2);
	cr_expect_eq(c.events, 14);
	cr_expect_eq(c.lost, 0);
	cr_expect_eq(msg[0], 0);
}

Test(model, full_flush_and_cr3_load_drop_everything)
{
	struct tlbcheck_counts c;
	const char *msg;

	stream_init(&s, 64);
	ev(&s, TLOG_CR3_LOAD, 0, MM, 0, 0);
	ev(&s, TLOG_CR3_LOAD, 1, MM, 0, 0);
	ev(&s, TLOG_PTE_CLEAR, 0, MM, VA, 0x800000);
	ev(&s, TLOG_PT_UNLINK, 0, MM, VA, 0x900000 | 1);
	cr_assert_eq(verdict(&msg, &c), TLBV_CLEAN);
	cr_expect_eq(c.stale, 4);
	ev(&s, TLOG_FLUSH_ALL, 0, MM, 0, 0);
	ev(&s, TLOG_CR3_LOAD, 1, 0, 0, 0);              /* CPU 1 switches to the kernel's tables */
	ev(&s, TLOG_FRAME_FREE, 0, 0, 0x800000, 0);
	ev(&s, TLOG_PT_FREE, 0, MM, 0x900000, 0);
	cr_assert_eq(verdict(&msg, &c), TLBV_CLEAN, "%s", msg);
	cr_expect_eq(c.stale, 0);
}

Test(model, only_cpus_with_the_mm_loaded_may_cache_it)
{
	struct tlbcheck_counts c;
	const char *msg;

	stream_init(&s, 64);
	ev(&s, TLOG_CR3_LOAD, 0, MM, 0, 0);
	ev(&s, TLOG_CR3_LOAD, 1, MM + 1, 0, 0);         /* another mm on CPU 1 */
	ev(&s, TLOG_PTE_CLEAR, 0, MM, VA, 0x800000);
	ev(&s, TLOG_FLUSH_PAGE, 0, MM, VA, 0);
	ev(&s, TLOG_FRAME_FREE, 0, 0, 0x800000, 0);
	cr_assert_eq(verdict(&msg, &c), TLBV_CLEAN, "%s", msg);
	/* exit_mmap runs after switching away: nothing may be cached anywhere. */
	ev(&s, TLOG_CR3_LOAD, 0, 0, 0, 0);
	ev(&s, TLOG_PTE_CLEAR, 0, MM, VA + 0x1000, 0x801000);
	ev(&s, TLOG_FRAME_FREE, 0, 0, 0x801000, 0);
	cr_assert_eq(verdict(&msg, &c), TLBV_CLEAN, "%s", msg);
	cr_expect_eq(c.stale, 0);
}

Test(model, a_page_flush_outside_the_span_keeps_the_table)
{
	struct tlbcheck_counts c;
	const char *msg;

	stream_init(&s, 64);
	ev(&s, TLOG_CR3_LOAD, 0, MM, 0, 0);
	ev(&s, TLOG_PT_UNLINK, 0, MM, VA + 0x1000, 0x900000 | 1);
	ev(&s, TLOG_FLUSH_PAGE, 0, MM, VA + 0x200000, 0);    /* the next 2 MiB span */
	ev(&s, TLOG_PT_FREE, 0, MM, 0x900000, 0);
	cr_assert_eq(verdict(&msg, &c), TLBV_VIOLATION);
	cr_expect(strstr(msg, "page-table page 0x900000 freed (event 4) while CPU 0 may still cache "
			 "it: mm 1, level-1 table of [0x100000000000, 0x100000200000), unlinked at "
			 "event 2 by CPU 0, CPU 0 flushed nothing covering it (its last flush: page "
			 "0x100000200000 at event 3)"), "%s", msg);
}

Test(model, a_page_flush_inside_a_pd_span_drops_the_pd)
{
	struct tlbcheck_counts c;
	const char *msg;

	stream_init(&s, 64);
	ev(&s, TLOG_CR3_LOAD, 0, MM, 0, 0);
	ev(&s, TLOG_PT_UNLINK, 0, MM, VA, 0x901000 | 2);     /* a PD: 1 GiB */
	ev(&s, TLOG_FLUSH_PAGE, 0, MM, VA + 0x3ff00000, 0);
	ev(&s, TLOG_PT_FREE, 0, MM, 0x901000, 0);
	cr_assert_eq(verdict(&msg, &c), TLBV_CLEAN, "%s", msg);
}

Test(model, capacity_is_a_bound_not_a_proof)
{
	struct tlbcheck_counts c;
	const char *msg;

	stream_init(&s, 4);
	ev(&s, TLOG_CR3_LOAD, 0, MM, 0, 0);
	for (unsigned i = 0; i < 6; i++)
		ev(&s, TLOG_PTE_CLEAR, 0, MM, VA + i * 0x1000, 0x800000 + i * 0x1000);
	cr_assert_eq(verdict(&msg, &c), TLBV_CAPACITY, "%s", msg);
	cr_expect_eq(c.stale, 4, "never more than the capacity");
	cr_expect_str_eq(msg, "tlb: capacity exceeded: 4 possibly-stale entries held at event 6: "
			 "not proven");
	/* What is held is still judged: a violation beats "not proven". */
	ev(&s, TLOG_FRAME_FREE, 0, 0, 0x800000, 0);
	cr_assert_eq(verdict(&msg, &c), TLBV_VIOLATION, "%s", msg);
}

Test(model, bad_records_are_refused)
{
	static const struct { unsigned kind, cpu; uint64_t a, b; const char *why; } bad[] = {
		{ 99, 0, 0, 0, "unknown event kind" },
		{ TLOG_NONE, 0, 0, 0, "unknown event kind" },
		{ TLOG_CR3_LOAD, 64, 0, 0, "CPU out of range" },
		{ TLOG_IPI_SEND, 0, 64, 1, "flush request naming a CPU out of range" },
		{ TLOG_PT_UNLINK, 0, VA, 0x900000 | 4, "level outside 1..3" },
		{ TLOG_PT_UNLINK, 0, VA, 0x900000, "level outside 1..3" },
		{ TLOG_PTE_CLEAR, 0, VA, 0x800001, "not page-aligned" },
		{ TLOG_FRAME_FREE, 0, 0x800010, 0, "not page-aligned" },
		{ TLOG_LAZY_EXIT, 0, 0, 0, "not lazy" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tlbcheck_counts c;
		const char *msg;

		stream_init(&s, 8);
		ev(&s, bad[i].kind, bad[i].cpu, 0, bad[i].a, bad[i].b);
		cr_expect_eq(verdict(&msg, &c), TLBV_REFUSED, "case %zu: %s", i, msg);
		cr_expect(strstr(msg, "tlb: log refused: event 1") && strstr(msg, bad[i].why),
			  "case %zu: %s", i, msg);
		/* Nothing more is replayed. */
		ev(&s, TLOG_CR3_LOAD, 0, 1, 0, 0);
		cr_expect_eq(verdict(&msg, &c), TLBV_REFUSED);
		stream_fini(&s);
	}
	s.m = NULL;
}

Test(model, lazy_enter_for_another_mm_is_refused)
{
	struct tlbcheck_counts c;
	const char *msg;

	stream_init(&s, 8);
	ev(&s, TLOG_CR3_LOAD, 1, MM, 0, 0);
	ev(&s, TLOG_LAZY_ENTER, 1, MM + 1, 0, 0);
	cr_assert_eq(verdict(&msg, &c), TLBV_REFUSED, "%s", msg);
	cr_expect(strstr(msg, "lazy mode entered for an mm not in use"), "%s", msg);
}
