/*
 * A 3-CPU shootdown replayed by the model, correct and broken in each way
 * of issue 8 item 6: the IPI to one CPU skipped, an acknowledgement before
 * the flush, a free before the last acknowledgement, a lazy CPU skipped
 * although page tables are freed, a range flushed one page short.  Each
 * break must be caught with the message that names what went wrong.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/tlbcheck/stream.h"

#define MM    3
#define VA    0x7f0000001000ULL
#define F1    0x1234000ULL
#define F2    0x1235000ULL
#define PT    0x2000000ULL     /* the PT of VA's 2 MiB span */
#define ID    17

static struct stream s;

static void setup(void)
{
	stream_init(&s, 1024);
	/* CPUs 0, 1 and 2 run mm 3. */
	for (unsigned c = 0; c < 3; c++)
		ev(&s, TLOG_CR3_LOAD, c, MM, 0, 0);
}

static void teardown(void)
{
	stream_fini(&s);
}

TestSuite(shootdown, .init = setup, .fini = teardown);

/* CPU 0 unmaps [VA, VA + 2 pages) and flushes itself. */
static void unmap_two(void)
{
	ev(&s, TLOG_PTE_CLEAR, 0, MM, VA, F1);
	ev(&s, TLOG_PTE_CLEAR, 0, MM, VA + 0x1000, F2);
	ev(&s, TLOG_FLUSH_RANGE, 0, MM, VA, VA + 0x2000);
}

/* CPU t takes the flush request, flushes [VA, end) and acknowledges. */
static void target_flushes(unsigned t, uint64_t end)
{
	ev(&s, TLOG_IPI_RECV, t, MM, 0, ID);
	ev(&s, TLOG_FLUSH_RANGE, t, MM, VA, end);
	ev(&s, TLOG_IPI_ACK, t, MM, 0, ID);
}

static void expect_violation(const char *const *parts)
{
	struct tlbcheck_counts c;
	const char *msg;

	cr_assert_eq(stream_verdict(&s, &msg, &c), TLBV_VIOLATION, "%s", msg);
	cr_expect_geq(c.violations, 1);
	for (; *parts; parts++)
		cr_expect(strstr(msg, *parts), "'%s' missing from: %s", *parts, msg);
}

Test(shootdown, correct_three_cpus)
{
	struct tlbcheck_counts c;
	const char *msg;

	unmap_two();
	ev(&s, TLOG_IPI_SEND, 0, MM, 1, ID);
	ev(&s, TLOG_IPI_SEND, 0, MM, 2, ID);
	target_flushes(1, VA + 0x2000);
	target_flushes(2, VA + 0x2000);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F1, 0);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F2, 0);
	cr_assert_eq(stream_verdict(&s, &msg, &c), TLBV_CLEAN, "%s", msg);
	cr_expect_eq(c.frames_checked, 2);
	cr_expect_eq(c.stale, 0);
	cr_expect_eq(c.events, 3 + 3 + 2 + 6 + 2);
}

Test(shootdown, ipi_to_one_cpu_skipped)
{
	unmap_two();
	ev(&s, TLOG_IPI_SEND, 0, MM, 1, ID);
	target_flushes(1, VA + 0x2000);
	uint64_t free = ev(&s, TLOG_FRAME_FREE, 0, 0, F1, 0);
	char head[160];
	snprintf(head, sizeof head, "tlb: frame 0x1234000 freed (event %lu) while CPU 2 may still "
		 "translate mm 3 va 0x7f0000001000 to it: PTE cleared at event 4 by CPU 0",
		 (unsigned long)free);
	expect_violation((const char *const[]){ head, "no flush request was sent to CPU 2", NULL });
}

Test(shootdown, ack_before_flush)
{
	unmap_two();
	ev(&s, TLOG_IPI_SEND, 0, MM, 1, ID);
	ev(&s, TLOG_IPI_SEND, 0, MM, 2, ID);
	target_flushes(1, VA + 0x2000);
	ev(&s, TLOG_IPI_RECV, 2, MM, 0, ID);
	uint64_t ack = ev(&s, TLOG_IPI_ACK, 2, MM, 0, ID);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F1, 0);
	ev(&s, TLOG_FLUSH_RANGE, 2, MM, VA, VA + 0x2000);   /* too late */
	char want[160];
	snprintf(want, sizeof want, "CPU 2 acknowledged flush 17 of CPU 0 at event %lu but flushed "
		 "nothing covering it", (unsigned long)ack);
	expect_violation((const char *const[]){ "while CPU 2 may still translate", want, NULL });
}

Test(shootdown, free_before_last_ack)
{
	unmap_two();
	ev(&s, TLOG_IPI_SEND, 0, MM, 1, ID);
	ev(&s, TLOG_IPI_SEND, 0, MM, 2, ID);
	target_flushes(1, VA + 0x2000);
	uint64_t recv = ev(&s, TLOG_IPI_RECV, 2, MM, 0, ID);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F2, 0);
	char want[160];
	snprintf(want, sizeof want, "CPU 2 received flush 17 of CPU 0 at event %lu and has not "
		 "acknowledged it", (unsigned long)recv);
	expect_violation((const char *const[]){ "frame 0x1235000", "va 0x7f0000002000", want, NULL });
}

Test(shootdown, free_before_the_request_arrives)
{
	unmap_two();
	ev(&s, TLOG_IPI_SEND, 0, MM, 1, ID);
	uint64_t sent = ev(&s, TLOG_IPI_SEND, 0, MM, 2, ID);
	target_flushes(1, VA + 0x2000);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F1, 0);
	char want[160];
	snprintf(want, sizeof want, "CPU 0 sent flush 17 to CPU 2 at event %lu, not received yet",
		 (unsigned long)sent);
	expect_violation((const char *const[]){ want, NULL });
}

Test(shootdown, lazy_cpu_skipped_although_tables_freed)
{
	ev(&s, TLOG_LAZY_ENTER, 2, MM, 0, 0);
	ev(&s, TLOG_PTE_CLEAR, 0, MM, VA, F1);
	uint64_t unlink = ev(&s, TLOG_PT_UNLINK, 0, MM, VA, PT | 1);
	ev(&s, TLOG_FLUSH_PAGE, 0, MM, VA, 0);
	ev(&s, TLOG_IPI_SEND, 0, MM, 1, ID);
	target_flushes(1, VA + 0x1000);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F1, 0);          /* a lazy CPU's leaf: fine */
	uint64_t free = ev(&s, TLOG_PT_FREE, 0, MM, PT, 0);
	char head[200];
	snprintf(head, sizeof head, "tlb: page-table page 0x2000000 freed (event %lu) while CPU 2 "
		 "(lazy) may still cache it: mm 3, level-1 table of [0x7f0000000000, 0x7f0000200000), "
		 "unlinked at event %lu by CPU 0", (unsigned long)free, (unsigned long)unlink);
	expect_violation((const char *const[]){ head, "no flush request was sent to CPU 2", NULL });
}

Test(shootdown, range_one_page_short_on_the_initiator)
{
	ev(&s, TLOG_PTE_CLEAR, 0, MM, VA, F1);
	ev(&s, TLOG_PTE_CLEAR, 0, MM, VA + 0x1000, F2);
	uint64_t fl = ev(&s, TLOG_FLUSH_RANGE, 0, MM, VA, VA + 0x1000);
	ev(&s, TLOG_IPI_SEND, 0, MM, 1, ID);
	ev(&s, TLOG_IPI_SEND, 0, MM, 2, ID);
	target_flushes(1, VA + 0x2000);
	target_flushes(2, VA + 0x2000);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F1, 0);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F2, 0);
	char want[160];
	snprintf(want, sizeof want, "CPU 0 flushed nothing covering it (its last flush: "
		 "[0x7f0000001000, 0x7f0000002000) at event %lu)", (unsigned long)fl);
	expect_violation((const char *const[]){ "frame 0x1235000", "while CPU 0 may still translate "
		"mm 3 va 0x7f0000002000", want, NULL });
}

Test(shootdown, range_one_page_short_on_a_target)
{
	unmap_two();
	ev(&s, TLOG_IPI_SEND, 0, MM, 1, ID);
	ev(&s, TLOG_IPI_SEND, 0, MM, 2, ID);
	target_flushes(1, VA + 0x2000);
	target_flushes(2, VA + 0x1000);                 /* one page short */
	ev(&s, TLOG_FRAME_FREE, 0, 0, F1, 0);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F2, 0);
	expect_violation((const char *const[]){ "frame 0x1235000", "CPU 2 may still translate",
		"CPU 2 acknowledged flush 17 of CPU 0", "its last flush: [0x7f0000001000, "
		"0x7f0000002000)", NULL });
}

Test(shootdown, correct_lazy_skip_then_return_with_flush)
{
	struct tlbcheck_counts c;
	const char *msg;

	ev(&s, TLOG_LAZY_ENTER, 2, MM, 0, 0);
	unmap_two();
	ev(&s, TLOG_IPI_SEND, 0, MM, 1, ID);
	target_flushes(1, VA + 0x2000);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F1, 0);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F2, 0);
	cr_assert_eq(stream_verdict(&s, &msg, &c), TLBV_CLEAN, "%s", msg);
	cr_expect_eq(c.stale, 2, "the lazy CPU still holds both");
	ev(&s, TLOG_LAZY_EXIT, 2, MM, 1, 0);            /* tlb_gen moved: full flush */
	cr_assert_eq(stream_verdict(&s, &msg, &c), TLBV_CLEAN, "%s", msg);
	cr_expect_eq(c.stale, 0);
}

Test(shootdown, lazy_cpu_returns_without_flush)
{
	ev(&s, TLOG_LAZY_ENTER, 2, MM, 0, 0);
	unmap_two();
	ev(&s, TLOG_IPI_SEND, 0, MM, 1, ID);
	target_flushes(1, VA + 0x2000);
	uint64_t f1 = ev(&s, TLOG_FRAME_FREE, 0, 0, F1, 0);
	ev(&s, TLOG_FRAME_FREE, 0, 0, F2, 0);
	uint64_t back = ev(&s, TLOG_LAZY_EXIT, 2, MM, 0, 0);
	char want[200];
	snprintf(want, sizeof want, "tlb: CPU 2 leaves lazy mode for mm 3 (event %lu) without a "
		 "flush while it may still translate va 0x7f000000", (unsigned long)back);
	expect_violation((const char *const[]){ want, "frame freed at event", NULL });
	(void)f1;
}
