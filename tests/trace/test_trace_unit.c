/*
 * The trace on the host: the guest's very mm (guest/mm, built with
 * MM_TRACE_HOST) recording into a fake trace area as the guest does, the
 * host's reader and its three formats.  The live test (test_trace_live.c)
 * does the same against a real guest.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/channel.h"
#include "tests/trace/host_ring.h"
#include "tests/trace/json_check.h"
#include "tests/trace/trace_expect.h"
#include "tests/unit/fake_arch.h"
#include "vmm/trace/trace.h"

static void setup(void)
{
	fake_setup();
	host_ring_reset();
}

TestSuite(trace, .init = setup);

static void read_all(struct trace_reader *r, struct trace_buf *b)
{
	struct gmem g = host_ring_gmem();

	cr_assert_eq(trace_read(r, &g, b), 0);
}

/* A 16 KiB VMA, every page written, then the trace switched on and a hole
 * punched at its second page, bracketed as requests.c does. */
static void punch_hole(void)
{
	struct mm_struct *mm = new_mm();

	cr_assert_eq(map_fixed(mm, BASE, 4 * PG, RW), (long)BASE);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(touch(mm, BASE + (uint64_t)i * PG, true), 0);
	mm_trace_on = 1;
	trace_emit(TEV_REQ_ENTER, OP_MUNMAP | 1u << 16, BASE + PG, PG, 0, 0);
	int r = do_munmap(mm, BASE + PG, PG);
	trace_emit(TEV_REQ_EXIT, OP_MUNMAP, (uint64_t)r, 0, 0, 0);
	mm_trace_on = 0;
	cr_assert_eq(r, 0);
	check_all();
}

Test(trace, off_records_nothing)
{
	struct mm_struct *mm = new_mm();
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };

	cr_assert_eq(map_fixed(mm, BASE, 4 * PG, RW), (long)BASE);
	cr_assert_eq(touch(mm, BASE, true), 0);
	cr_assert_eq(do_munmap(mm, BASE + PG, PG), 0);
	read_all(&rd, &b);
	cr_assert_eq(b.n, 0);
	trace_buf_free(&b);
}

Test(trace, munmap_hole_records_every_step)
{
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };

	punch_hole();
	read_all(&rd, &b);
	trace_expect_hole_events(&b, BASE, 4 * PG, 1);
	trace_buf_free(&b);
}

/* The formats of the same events. */
static char *format(enum trace_format f)
{
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };
	struct trace_fmt st;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	read_all(&rd, &b);
	trace_fmt_init(&st, f, 2600000);
	trace_fmt_write(out, &st, b.ev, b.n, b.lost);
	trace_fmt_finish(out, &st);
	fclose(out);
	trace_buf_free(&b);
	return text;
}

Test(trace, text_names_the_figure_steps)
{
	punch_hole();
	char *text = format(TRACE_FMT_TEXT);
	trace_expect_hole_text(text, BASE, 4 * PG);
	free(text);
}

Test(trace, json_lines_parse)
{
	punch_hole();
	char *text = format(TRACE_FMT_JSON);
	trace_expect_hole_json(text);
	free(text);
}

Test(trace, chrome_array_nests)
{
	punch_hole();
	char *text = format(TRACE_FMT_CHROME);
	trace_expect_chrome(text, 13);
	free(text);
}

static const struct trace_event *find(const struct trace_buf *b, uint16_t ev, size_t nth)
{
	for (size_t i = 0; i < b->n; i++)
		if (b->ev[i].ev == ev && nth-- == 0)
			return &b->ev[i];
	return NULL;
}

Test(trace, mmap_merge_decisions)
{
	struct mm_struct *mm = new_mm();
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };
	const struct trace_event *e;

	mm_trace_on = 1;
	cr_assert_eq(map_fixed(mm, BASE, PG, RW), (long)BASE);              /* none */
	cr_assert_eq(map_fixed(mm, BASE + PG, PG, RW), (long)(BASE + PG));  /* prev */
	cr_assert_eq(map_fixed(mm, BASE + 3 * PG, PG, RO), (long)(BASE + 3 * PG)); /* none */
	cr_assert_eq(map_fixed(mm, BASE + 2 * PG, PG, RO), (long)(BASE + 2 * PG)); /* next */
	mm_trace_on = 0;
	read_all(&rd, &b);
	cr_assert_not_null(e = find(&b, TEV_VMA_MERGE, 0));
	cr_assert_eq(e->a[0], TRACE_MERGE_NONE);
	cr_assert_eq(e->a[3], TRACE_WHY_NONE);
	cr_assert_not_null(e = find(&b, TEV_VMA_MERGE, 1));
	cr_assert_eq(e->a[0], TRACE_MERGE_PREV);
	cr_assert_not_null(e = find(&b, TEV_VMA_MERGE, 2));
	cr_assert_eq(e->a[0], TRACE_MERGE_NONE);
	cr_assert(e->a[3] & TRACE_WHY_GAP, "not adjacent to prev: %#lx", (unsigned long)e->a[3]);
	cr_assert(e->a[3] & TRACE_WHY_FLAGS);
	cr_assert_not_null(e = find(&b, TEV_VMA_MERGE, 3));
	cr_assert_eq(e->a[0], TRACE_MERGE_NEXT);
	cr_assert(e->a[3] & TRACE_WHY_FLAGS, "prev is rw-, the new range r--");
	cr_assert_eq(find(&b, TEV_VMA_LINK, 2), NULL, "two new VMAs were linked, no more");
	cr_assert_not_null(find(&b, TEV_VMA_LINK, 1));
	trace_buf_free(&b);
}

Test(trace, faults_and_mprotect)
{
	struct mm_struct *mm = new_mm();
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };
	const struct trace_event *e;

	cr_assert_eq(map_fixed(mm, BASE, 3 * PG, RW), (long)BASE);
	mm_trace_on = 1;
	cr_assert_eq(touch(mm, BASE, false), 0);
	cr_assert_eq(touch(mm, BASE, true), 0);
	cr_assert_eq(touch(mm, BASE + PG, true), 0);
	cr_assert_eq(do_mprotect(mm, BASE + PG, PG, RO), 0);
	mm_trace_on = 0;
	read_all(&rd, &b);
	cr_assert_not_null(e = find(&b, TEV_FAULT_RESOLVE, 0));
	cr_assert_eq(e->a[0], TRACE_FAULT_ZERO);
	cr_assert_not_null(e = find(&b, TEV_FAULT_RESOLVE, 1));
	cr_assert_eq(e->a[0], TRACE_FAULT_COW);
	cr_assert_not_null(e = find(&b, TEV_FAULT_RESOLVE, 2));
	cr_assert_eq(e->a[0], TRACE_FAULT_NEW);
	cr_assert_eq(e->a[1], BASE + PG);
	cr_assert_not_null(e = find(&b, TEV_SPLIT_VMA, 1), "mprotect of the middle splits twice");
	cr_assert_not_null(e = find(&b, TEV_VMA_FLAGS, 0));
	cr_assert_eq(e->a[0], BASE + PG);
	cr_assert_eq(e->a[1], BASE + 2 * PG);
	cr_assert_not_null(e = find(&b, TEV_CHANGE_PROT, 0));
	trace_buf_free(&b);
}

/* ---- the reader against a hostile guest ---- */

static struct trace_ctl *ctl(void)
{
	return (struct trace_ctl *)(host_ring_gmem().ram + TRACE_GPA);
}

static struct trace_rec *rec(uint64_t idx)
{
	return (struct trace_rec *)(host_ring_gmem().ram + TRACE_GPA + TRACE_RING_OFFSET) +
	       (idx & (TRACE_RING_RECS - 1));
}

Test(trace, reader_drops_bad_records)
{
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };

	for (int i = 0; i < 5; i++)
		trace_emit(TEV_SPLIT_VMA, (uint64_t)i, 0, 0, 0, 0);
	rec(1)->seq = 77;             /* not where it claims to be */
	rec(2)->ev = TEV_NR;          /* no such event */
	rec(3)->cpu = 2;              /* in CPU 0's ring */
	read_all(&rd, &b);
	cr_assert_eq(b.n, 2);
	cr_assert_eq(b.lost, 3);
	cr_assert_eq(b.ev[0].a[0], 0);
	cr_assert_eq(b.ev[1].a[0], 4);
	trace_buf_free(&b);
}

Test(trace, reader_reads_one_ring_at_most)
{
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };

	for (unsigned i = 0; i < TRACE_RING_RECS + 10; i++)
		trace_emit(TEV_SPLIT_VMA, i, 0, 0, 0, 0);
	read_all(&rd, &b);
	/* The oldest 10 were overwritten; the 11th's slot is the one the
	 * guest writes next (reader_drops_the_slot_being_written). */
	cr_assert_eq(b.n, TRACE_RING_RECS - 1);
	cr_assert_eq(b.lost, 11);
	cr_assert_eq(b.ev[0].a[0], 11, "the oldest were overwritten");
	trace_buf_clear(&b);
	/* A head far ahead (a hostile guest): still one ring, no more. */
	ctl()->heads[0].head += 1ULL << 40;
	read_all(&rd, &b);
	cr_assert_leq(b.n, TRACE_RING_RECS);
	cr_assert_geq(b.lost, (1ULL << 40) - TRACE_RING_RECS);
	trace_buf_clear(&b);
	/* A head that went backwards: nothing read, nothing lost. */
	ctl()->heads[0].head -= 5000;
	read_all(&rd, &b);
	cr_assert_eq(b.n, 0);
	cr_assert_eq(b.lost, 0);
	trace_buf_free(&b);
}

/* In a full ring the oldest record's slot is the one the guest writes
 * next: it may be writing it while the host reads (a CPU tracing while
 * another's line is read), and a record read then is half old, half new
 * whatever its seq says (the guest stores seq before the arguments).  Here
 * it stopped after the new record's TSC, event and CPU. */
Test(trace, reader_drops_the_slot_being_written)
{
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };

	for (unsigned i = 0; i < TRACE_RING_RECS; i++)
		trace_emit(TEV_SPLIT_VMA, i, 0, 0, 0, 0);
	rec(TRACE_RING_RECS)->tsc = 1;          /* record 1024, over record 0 */
	rec(TRACE_RING_RECS)->ev = TEV_ZAP_PTES;
	read_all(&rd, &b);
	for (size_t i = 0; i < b.n; i++)
		cr_assert_eq(b.ev[i].ev, TEV_SPLIT_VMA, "a half-written record kept (event %zu)", i);
	cr_assert_eq(b.n, TRACE_RING_RECS - 1);
	cr_assert_eq(b.lost, 1);
	cr_assert_eq(b.ev[0].a[0], 1);
	trace_buf_free(&b);
}

/* A full ring of records that are all dropped, read into an empty buffer:
 * nothing to take back from what was kept (and no event array yet). */
Test(trace, reader_full_ring_nothing_kept)
{
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };

	for (unsigned i = 0; i < TRACE_RING_RECS; i++)
		trace_emit(TEV_NR, i, 0, 0, 0, 0);
	read_all(&rd, &b);
	cr_assert_eq(b.n, 0);
	cr_assert_eq(b.lost, TRACE_RING_RECS);
	trace_buf_free(&b);
}

Test(trace, reader_needs_the_area_in_ram)
{
	struct gmem g = host_ring_gmem();
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };

	for (int i = 0; i < 3; i++)
		trace_emit(TEV_SPLIT_VMA, 0, 0, 0, 0, 0);
	g.size = TRACE_GPA + TRACE_RING_OFFSET + 100;   /* the third record is not in RAM */
	cr_assert_eq(trace_read(&rd, &g, &b), -EFAULT);
	cr_assert_eq(trace_write_enabled(&g, true), 0);
	g.size = TRACE_GPA + 100;
	cr_assert_eq(trace_write_enabled(&g, true), -EFAULT);
	trace_buf_free(&b);
}

Test(trace, format_names)
{
	enum trace_format f;

	cr_assert_eq(trace_format_parse("chrome", &f), 0);
	cr_assert_eq(f, TRACE_FMT_CHROME);
	cr_assert_eq(trace_format_parse("xml", &f), -EINVAL);
	cr_assert_str_eq(trace_format_name(TRACE_FMT_JSON), "json");
}
