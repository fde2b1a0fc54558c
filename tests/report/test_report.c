/*
 * The report's model, changes, bounds and page, on the synthetic scene
 * (scene.h): no VM, no browser.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/inspect/synth.h"
#include "tests/report/scene.h"

#define B SCENE_BASE

static struct report *R;

static void setup(void)
{
	R = report_new("scene");
	cr_assert(R);
	scene_build(R, 0);
}

static void teardown(void)
{
	report_free(R);
}

/* Whether st has a change [a, b) touching exactly what. */
static int has_change(const struct rstep *st, uint64_t a, uint64_t b, uint32_t what)
{
	for (size_t i = 0; i < st->nchanges; i++)
		if (st->changes[i].start == a && st->changes[i].end == b && st->changes[i].what == what)
			return 1;
	return 0;
}

TestSuite(report_model, .init = setup, .fini = teardown);

Test(report_model, steps_vmas_and_runs)
{
	const struct rstep *s1 = report_step(R, 0), *s2 = report_step(R, 1), *s3 = report_step(R, 2);

	cr_assert_eq(report_nsteps(R), SCENE_STEPS);
	cr_assert_eq(s1->nvmas, 1);
	cr_assert_eq(s1->nruns, 0);
	cr_assert_eq(s1->vmas[0].anon, 0);
	cr_assert_eq(s2->nruns, 1, "16 equal pages make one run");
	cr_assert_eq(s2->runs[0].start, B);
	cr_assert_eq(s2->runs[0].end, B + 0x10000);
	cr_assert_eq(s2->runs[0].kind, RPAGE_WRITE);
	cr_assert_eq(s3->nvmas, 2);
	cr_assert_eq(s3->vmas[0].end, B + 0x6000);
	cr_assert_eq(s3->vmas[1].start, B + 0xa000);
	cr_assert_eq(s3->vmas[0].anon, s3->vmas[1].anon, "both halves share one anon_vma");
	cr_assert_neq(s3->vmas[0].anon, 0);
	cr_assert_eq(s3->nruns, 2);
	cr_assert_str_eq(s3->transcript, "munmap 0x100000006000 0x4000 -> ok\n");
	cr_assert_null(s3->trace);
	cr_assert_eq(s3->rss, 12);
	cr_assert_eq(s3->map_count, 2);
}

Test(report_model, kinds_and_tables)
{
	const struct rstep *s4 = report_step(R, 3), *s5 = report_step(R, 4);

	cr_assert_eq(s4->nvmas, 3);
	cr_assert_eq(s4->nruns, 3, "rw, r, rw runs");
	cr_assert_eq(s4->runs[1].kind, 0, "read-only private pages");
	cr_assert_eq(s5->runs[s5->nruns - 1].kind, RPAGE_ZERO);
	cr_assert_eq(s5->runs[s5->nruns - 1].start, SCENE_FAR);
	/* A PT, PD and PDPT for each of the two areas, far apart. */
	cr_assert_eq(s4->ntables, 3);
	cr_assert_eq(s5->ntables, 6);
	for (size_t i = 0; i < s5->ntables; i++)
		cr_assert(s5->tables[i].level >= 1 && s5->tables[i].level <= 3);
}

Test(report_model, changes)
{
	const struct rstep *s1 = report_step(R, 0), *s2 = report_step(R, 1);
	const struct rstep *s3 = report_step(R, 2), *s4 = report_step(R, 3), *s5 = report_step(R, 4);

	cr_assert(has_change(s1, B, B + 0x10000, RCHG_VMA), "the new VMA");
	/* touch: pages appear; the VMA gets its anon_vma. */
	cr_assert(has_change(s2, B, B + 0x10000, RCHG_VMA | RCHG_PAGES));
	cr_assert(has_change(s2, B, B + 0x200000, RCHG_TABLES), "the new PT");
	/* munmap: the hole loses VMA and pages; both sides are new VMAs. */
	cr_assert(has_change(s3, B + 0x6000, B + 0xa000, RCHG_VMA | RCHG_PAGES));
	cr_assert(has_change(s3, B, B + 0x6000, RCHG_VMA));
	cr_assert(has_change(s3, B + 0xa000, B + 0x10000, RCHG_VMA));
	cr_assert_eq(s3->nchanges, 3, "nothing else changed");
	/* mprotect: the middle piece and its pages; the right piece is new. */
	cr_assert(has_change(s4, B + 0xa000, B + 0xc000, RCHG_VMA | RCHG_PAGES));
	cr_assert(has_change(s4, B + 0xc000, B + 0x10000, RCHG_VMA));
	cr_assert(!has_change(s4, B, B + 0x6000, RCHG_VMA), "the left piece did not change");
	cr_assert(has_change(s5, SCENE_FAR, SCENE_FAR + 0x1000, RCHG_VMA | RCHG_PAGES));
	cr_assert(has_change(s5, SCENE_FAR + 0x1000, SCENE_FAR + 0x2000, RCHG_VMA));
}

Test(report_diff, split_with_equal_flags_is_a_change)
{
	struct rvma one = { B, B + 0x4000, VM_READ, 1 };
	struct rvma two[2] = { { B, B + 0x2000, VM_READ, 1 }, { B + 0x2000, B + 0x4000, VM_READ, 1 } };
	struct rstep prev = { .vmas = &one, .nvmas = 1 }, cur = { .vmas = two, .nvmas = 2 };

	cr_assert_eq(rdiff(&prev, &cur), 0);
	cr_assert_eq(cur.nchanges, 1, "one change, merged");
	cr_assert_eq(cur.changes[0].start, B);
	cr_assert_eq(cur.changes[0].end, B + 0x4000);
	cr_assert_eq(cur.changes[0].what, RCHG_VMA);
	free(cur.changes);
	cur.changes = NULL;
	cur.nchanges = 0;
	cr_assert_eq(rdiff(&cur, &cur), 0);
	cr_assert_eq(cur.nchanges, 0, "a step equal to the last changes nothing");
	cr_assert_null(cur.changes);
}

Test(report_bounds, steps_are_capped_and_counted)
{
	struct report *r = report_new("many");
	struct synth s;
	uint32_t mm;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	synth_init(&s, 4 << 20);
	mm = synth_mm_new(&s);
	synth_vma(&s, mm, B, B + 0x1000, VM_READ);
	for (int i = 0; i < REPORT_MAX_STEPS; i++)
		cr_assert_eq(report_add_step(r, &s.g, mm, "x -> ok\n", NULL), 0);
	cr_assert_eq(report_add_step(r, &s.g, mm, "x -> ok\n", NULL), -ENOSPC);
	cr_assert_eq(report_add_step(r, &s.g, mm, "x -> ok\n", NULL), -ENOSPC);
	cr_assert_eq(report_nsteps(r), REPORT_MAX_STEPS);
	cr_assert_eq(report_dropped(r), 2);
	f = open_memstream(&buf, &len);
	cr_assert_eq(report_write_html(r, f), 0);
	fclose(f);
	cr_assert(strstr(buf, "\"dropped\":2,"), "the page says how many were not kept");
	free(buf);
	report_free(r);
	synth_free(&s);
}

Test(report_bounds, long_texts_are_cut)
{
	struct report *r = report_new("long");
	char *big = malloc(3 * REPORT_MAX_TEXT);
	struct synth s;
	uint32_t mm;

	memset(big, 'a', 3 * REPORT_MAX_TEXT - 1);
	big[3 * REPORT_MAX_TEXT - 1] = '\0';
	synth_init(&s, 4 << 20);
	mm = synth_mm_new(&s);
	cr_assert_eq(report_add_step(r, &s.g, mm, big, big), 0);
	cr_assert_lt(strlen(report_step(r, 0)->transcript), REPORT_MAX_TEXT + 100);
	cr_assert(strstr(report_step(r, 0)->trace, "cut"));
	free(big);
	report_free(r);
	synth_free(&s);
}

Test(report_bounds, unreadable_memory_is_a_note)
{
	struct report *r = report_new("bad");
	struct gmem g = { .ram = calloc(1, 1 << 20), .size = 1 << 20 };

	cr_assert_eq(report_add_step(r, &g, 0, "x\n", NULL), 0);
	cr_assert(strstr(report_step(r, 0)->note, "no snapshot"), "%s", report_step(r, 0)->note);
	free(g.ram);
	report_free(r);
}
