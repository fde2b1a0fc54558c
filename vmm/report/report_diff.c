/*
 * What changed from one step to the next (report.h): the address ranges
 * where the VMA (its bounds, flags or anon_vma), the kind of present page,
 * or the set of page-table pages differs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/report/report.h"
#include "vmm/script/script.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_change(const void *a, const void *b)
{
	const struct rchange *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->what < y->what ? -1 : x->what > y->what;
}

static uint64_t clip(uint64_t a)
{
	return a < SCEN_WINDOW_START ? SCEN_WINDOW_START : a > SCEN_WINDOW_END ? SCEN_WINDOW_END : a;
}

/* Every start and end of the step's VMAs and runs, clipped, appended to p. */
static size_t add_points(const struct rstep *st, uint64_t *p, size_t n)
{
	for (size_t i = 0; i < st->nvmas; i++) {
		p[n++] = clip(st->vmas[i].start);
		p[n++] = clip(st->vmas[i].end);
	}
	for (size_t i = 0; i < st->nruns; i++) {
		p[n++] = clip(st->runs[i].start);
		p[n++] = clip(st->runs[i].end);
	}
	return n;
}

static const struct rvma *vma_at(const struct rstep *st, uint64_t a)
{
	size_t lo = 0, hi = st->nvmas;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (st->vmas[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->nvmas && st->vmas[lo].start <= a ? &st->vmas[lo] : NULL;
}

static const struct rrun *run_at(const struct rstep *st, uint64_t a)
{
	size_t lo = 0, hi = st->nruns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (st->runs[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < st->nruns && st->runs[lo].start <= a ? &st->runs[lo] : NULL;
}

static bool same_vma(const struct rvma *a, const struct rvma *b)
{
	if (!a || !b)
		return a == b;
	return a->start == b->start && a->end == b->end && a->flags == b->flags &&
	       a->anon == b->anon;
}

static bool same_run(const struct rrun *a, const struct rrun *b)
{
	if (!a || !b)
		return a == b;
	return a->kind == b->kind;
}

/* Append [s, e) what to cur's changes, merging with the last one. */
static void add_change(struct rstep *cur, size_t cap, uint64_t s, uint64_t e, uint32_t what)
{
	struct rchange *last = cur->nchanges ? &cur->changes[cur->nchanges - 1] : NULL;

	if (last && last->end == s && last->what == what) {
		last->end = e;
		return;
	}
	if (cur->nchanges < cap)
		cur->changes[cur->nchanges++] = (struct rchange){ s, e, what };
}

static bool has_table(const struct rstep *st, const struct rtable *t)
{
	for (size_t i = 0; i < st->ntables; i++)
		if (st->tables[i].va == t->va && st->tables[i].level == t->level)
			return true;
	return false;
}

/* Tables present in one step and not the other. */
static void table_changes(const struct rstep *prev, struct rstep *cur, size_t cap)
{
	const struct rstep *pair[2][2] = { { prev, cur }, { cur, prev } };

	for (int k = 0; k < 2; k++) {
		const struct rstep *a = pair[k][0], *b = pair[k][1];
		for (size_t i = 0; i < a->ntables; i++)
			if (!has_table(b, &a->tables[i]))
				add_change(cur, cap, clip(a->tables[i].va),
					   clip(a->tables[i].va + a->tables[i].span), RCHG_TABLES);
	}
}

int rdiff(const struct rstep *prev, struct rstep *cur)
{
	static const struct rstep empty;
	size_t npts = 0, cap;
	uint64_t *pts;

	if (!prev)
		prev = &empty;
	pts = malloc((2 * (prev->nvmas + prev->nruns + cur->nvmas + cur->nruns) + 1) * sizeof(*pts));
	cap = REPORT_MAX_ITEMS;
	cur->changes = malloc(cap * sizeof(*cur->changes));
	if (!pts || !cur->changes) {
		free(pts);
		free(cur->changes);
		cur->changes = NULL;
		return -ENOMEM;
	}
	npts = add_points(cur, pts, add_points(prev, pts, 0));
	qsort(pts, npts, sizeof(*pts), cmp_u64);
	for (size_t i = 0; i + 1 < npts; i++) {
		uint64_t a = pts[i], b = pts[i + 1];
		uint32_t what = 0;

		if (a == b)
			continue;
		if (!same_vma(vma_at(prev, a), vma_at(cur, a)))
			what |= RCHG_VMA;
		if (!same_run(run_at(prev, a), run_at(cur, a)))
			what |= RCHG_PAGES;
		if (what)
			add_change(cur, cap, a, b, what);
	}
	free(pts);
	table_changes(prev, cur, cap);
	qsort(cur->changes, cur->nchanges, sizeof(*cur->changes), cmp_change);
	/* Keep only what is used: a long report holds many steps. */
	if (!cur->nchanges) {
		free(cur->changes);
		cur->changes = NULL;
	} else {
		struct rchange *c = realloc(cur->changes, cur->nchanges * sizeof(*c));
		if (c)
			cur->changes = c;
	}
	return 0;
}
