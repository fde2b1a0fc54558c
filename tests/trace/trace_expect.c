/*
 * See trace_expect.h.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "shared/channel.h"
#include "tests/trace/json_check.h"
#include "tests/trace/trace_expect.h"

#define PG ((uint64_t)0x1000)

/* The munmap figure, step by step. */
static const uint16_t hole_steps[] = {
	TEV_REQ_ENTER, TEV_FIND_VMA_PREV, TEV_SPLIT_VMA, TEV_SPLIT_VMA, TEV_DETACH,
	TEV_UNMAP_REGION_ENTER, TEV_ZAP_PTES, TEV_FREE_PGTABLE, TEV_TLB_FLUSH,
	TEV_FREE_GATHERED, TEV_UNMAP_REGION_EXIT, TEV_REMOVE_VMA_LIST, TEV_REQ_EXIT,
};
#define NSTEPS (sizeof hole_steps / sizeof hole_steps[0])

void trace_expect_hole_events(const struct trace_buf *b, uint64_t base, uint64_t len,
			      uint32_t mm)
{
	const uint64_t hole = base + PG, end = base + len;
	const struct trace_event *e = NULL;
	size_t i;

	for (i = 0; i < b->n; i++)
		if (b->ev[i].ev == TEV_REQ_ENTER && (b->ev[i].a[0] & 0xffff) == OP_MUNMAP)
			break;
	cr_assert_lt(i, b->n, "no do_munmap request in %zu events", b->n);
	cr_assert_geq(b->n - i, NSTEPS, "only %zu events from do_munmap", b->n - i);
	e = &b->ev[i];
	for (size_t k = 0; k < NSTEPS; k++)
		cr_assert_eq(e[k].ev, hole_steps[k], "step %zu is event %u, not %u", k, e[k].ev,
			     hole_steps[k]);
	cr_assert_eq(e[0].a[0] >> 16, mm);
	cr_assert_eq(e[0].a[1], hole);
	cr_assert_eq(e[0].a[2], PG);
	/* find_vma_prev: the VMA holding the hole, no predecessor */
	cr_assert_eq(e[1].a[0], hole);
	cr_assert_eq(e[1].a[1], base);
	cr_assert_eq(e[1].a[2], end);
	cr_assert_eq(e[1].a[3] | e[1].a[4], 0);
	/* split_vma front at the hole's start, then rear at its end */
	cr_assert_eq(e[2].a[0], hole);
	cr_assert_eq(e[2].a[1], base);
	cr_assert_eq(e[2].a[2], end);
	cr_assert_eq(e[2].a[3], 1, "one VMA before the front split");
	cr_assert_eq(e[3].a[0], hole + PG);
	cr_assert_eq(e[3].a[1], hole);
	cr_assert_eq(e[3].a[2], end);
	cr_assert_eq(e[3].a[3], 2);
	/* detach: one VMA, two left */
	cr_assert_eq(e[4].a[0], hole);
	cr_assert_eq(e[4].a[1], hole + PG);
	cr_assert_eq(e[4].a[2], 1);
	cr_assert_eq(e[4].a[3], 2);
	/* unmap_region between the two halves: floor and ceiling are the hole */
	cr_assert_eq(e[5].a[0], hole);
	cr_assert_eq(e[5].a[1], hole + PG);
	cr_assert_eq(e[5].a[2], hole);
	cr_assert_eq(e[5].a[3], hole + PG);
	cr_assert_eq(e[6].a[2], 1, "one PTE cleared");
	/* the PT stays: its span starts below the floor, and it is used */
	cr_assert_eq(e[7].a[0], 1);
	cr_assert_eq(e[7].a[1], base & ~0x1fffffULL);
	cr_assert_eq(e[7].a[4], 3, "three PTEs left in the PT");
	/* one invlpg on this CPU */
	cr_assert_eq(e[8].a[0], hole);
	cr_assert_eq(e[8].a[1], hole + PG);
	cr_assert(e[8].a[2] & (1ULL << e[8].a[3]), "the mm is loaded on the flushing CPU");
	/* one frame freed after the flush, no page table */
	cr_assert_eq(e[9].a[0], 1);
	cr_assert_eq(e[9].a[1], 0);
	cr_assert_eq(e[9].a[2], 0);
	cr_assert_eq(e[11].a[0], 1, "one VMA freed");
	cr_assert_eq(e[11].a[1], hole);
	cr_assert_eq(e[12].a[1], 0, "do_munmap returned 0");
}

/* Each needle found after the previous one; returns the end. */
static const char *in_order(const char *text, const char *const *needles, size_t n)
{
	const char *p = text;

	for (size_t i = 0; i < n; i++) {
		const char *q = strstr(p, needles[i]);
		cr_assert_not_null(q, "'%s' missing (in order) from:\n%s", needles[i], text);
		p = q + strlen(needles[i]);
	}
	return p;
}

void trace_expect_hole_text(const char *text, uint64_t base, uint64_t len)
{
	char l[10][200];
	const uint64_t hole = base + PG, end = base + len;

	snprintf(l[0], sizeof l[0], " 0) do_munmap(start=0x%" PRIx64 ", len=0x1000) {", hole);
	snprintf(l[1], sizeof l[1], " 0)   find_vma_prev(0x%" PRIx64 ") -> vma 0x%" PRIx64
		 "-0x%" PRIx64 ", prev none\n", hole, base, end);
	snprintf(l[2], sizeof l[2], " 0)   split_vma(front, at 0x%" PRIx64 ") -> 0x%" PRIx64
		 "-0x%" PRIx64 " + 0x%" PRIx64 "-0x%" PRIx64, hole, base, hole, hole, end);
	snprintf(l[3], sizeof l[3], " 0)   split_vma(rear, at 0x%" PRIx64 ") -> 0x%" PRIx64
		 "-0x%" PRIx64 " + 0x%" PRIx64 "-0x%" PRIx64, hole + PG, hole, hole + PG,
		 hole + PG, end);
	snprintf(l[4], sizeof l[4], " 0)   detach_vmas_to_be_unmapped(0x%" PRIx64 "-0x%" PRIx64
		 ") -> 1 VMA out of tree and list, map_count 2", hole, hole + PG);
	snprintf(l[5], sizeof l[5], " 0)   unmap_region(0x%" PRIx64 "-0x%" PRIx64 ", floor=0x%"
		 PRIx64 ", ceiling=0x%" PRIx64 ") {", hole, hole + PG, hole, hole + PG);
	snprintf(l[6], sizeof l[6], " 0)     zap_pte_range(0x%" PRIx64 "-0x%" PRIx64
		 ") -> 1 PTE cleared", hole, hole + PG);
	const char *rest[] = {
		l[0], l[1], l[2], l[3], l[4], l[5], l[6],
		" 0)     free_pgtables: PT ", " kept: starts below floor",
		" 0)     flush_tlb_mm_range(", ") -> invlpg x 1 on CPU 0; no IPI",
		" 0)     tlb_finish_mmu -> 1 frame freed after the flush, 0 zero-page PTEs dropped, "
		"0 page-table pages freed\n",
		" 0)   }\n",
		" 0)   remove_vma_list -> 1 VMA freed",
		" 0) } = 0\n",
	};
	in_order(text, rest, sizeof rest / sizeof rest[0]);
}

static char *line_dup(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	cr_assert_not_null(s);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

/* The value of a string member, without its quotes, into buf. */
static void member_str(const char *obj, const char *key, char *buf, size_t len)
{
	size_t n;
	const char *v = json_member(obj, key, &n);

	cr_assert_not_null(v, "no \"%s\" in %s", key, obj);
	cr_assert(n >= 2 && v[0] == '"', "\"%s\" is not a string in %s", key, obj);
	snprintf(buf, len, "%.*s", (int)(n - 2), v + 1);
}

void trace_expect_hole_json(const char *text)
{
	static const char *const names[] = { "do_munmap", "find_vma_prev", "split_vma",
		"split_vma", "detach_vmas_to_be_unmapped", "unmap_region", "zap_pte_range",
		"free_pgtables", "flush_tlb_mm_range", "tlb_finish_mmu", "unmap_region",
		"remove_vma_list", "do_munmap" };
	size_t next = 0, n;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *obj = line_dup(p, len), name[64], type[16];

		cr_assert(json_valid(obj, len), "not JSON: %s", obj);
		for (const char *k = "cpu\0tsc\0depth\0args\0"; *k; k += strlen(k) + 1)
			cr_assert_not_null(json_member(obj, k, &n), "no \"%s\" in %s", k, obj);
		member_str(obj, "name", name, sizeof name);
		member_str(obj, "type", type, sizeof type);
		cr_assert(strcmp(type, "enter") == 0 || strcmp(type, "exit") == 0 ||
			  strcmp(type, "step") == 0, "type %s", type);
		cr_assert_not_null(json_member(obj, "text", &n), "no text in %s", obj);
		if (next < sizeof names / sizeof names[0] && strcmp(name, names[next]) == 0)
			next++;
		else if (next > 0 && next < sizeof names / sizeof names[0])
			cr_assert_fail("step %zu: %s, expected %s", next, name, names[next]);
		free(obj);
		p += len + (nl != NULL);
	}
	cr_assert_eq(next, sizeof names / sizeof names[0], "only %zu steps of munmap found", next);
}

struct chrome_check {
	unsigned count;
	int depth[64];
	double last_ts;
};

static void chrome_event(void *ctx, const char *v, size_t len)
{
	struct chrome_check *c = ctx;
	char *obj = line_dup(v, len), ph[8], name[64];
	size_t n;
	const char *tid, *ts;

	for (const char *k = "pid\0ts\0tid\0"; *k; k += strlen(k) + 1)
		cr_assert_not_null(json_member(obj, k, &n), "no \"%s\" in %s", k, obj);
	member_str(obj, "ph", ph, sizeof ph);
	member_str(obj, "name", name, sizeof name);
	tid = json_member(obj, "tid", &n);
	ts = json_member(obj, "ts", &n);
	unsigned t = (unsigned)strtoul(tid, NULL, 10);
	double when = strtod(ts, NULL);
	cr_assert_lt(t, 64);
	if (strcmp(name, "lost") != 0) {
		cr_assert_geq(when, c->last_ts, "ts went backwards in %s", obj);
		c->last_ts = when;
	}
	if (strcmp(ph, "B") == 0)
		c->depth[t]++;
	else if (strcmp(ph, "E") == 0)
		cr_assert_geq(--c->depth[t], 0, "E without B: %s", obj);
	else
		cr_assert(strcmp(ph, "i") == 0 || strcmp(ph, "X") == 0, "phase %s", ph);
	c->count++;
	free(obj);
}

void trace_expect_chrome(const char *text, unsigned min)
{
	struct chrome_check c = { 0 };

	cr_assert(json_valid(text, strlen(text)), "not one JSON value:\n%s", text);
	json_array_each(text, chrome_event, &c);
	cr_assert_geq(c.count, min);
	for (unsigned t = 0; t < 64; t++)
		cr_assert_eq(c.depth[t], 0, "tid %u: B without E", t);
}
