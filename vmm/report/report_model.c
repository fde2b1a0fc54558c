/*
 * One step's model: what a snapshot shows of the scenario window (report.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/inspect/snapshot.h"
#include "vmm/report/report.h"
#include "vmm/script/script.h"

static bool in_window(uint64_t start, uint64_t end)
{
	return end > SCEN_WINDOW_START && start < SCEN_WINDOW_END;
}

/* Grow *arr (of *n elements, elem bytes) by one, up to REPORT_MAX_ITEMS:
 * the new element, or NULL when capped or out of memory (then *cut is set). */
static void *push(void **arr, size_t *n, size_t elem, bool *cut)
{
	void *na;

	if (*n == REPORT_MAX_ITEMS) {
		*cut = true;
		return NULL;
	}
	/* Grow in powers of two from 16. */
	if (*n >= 16 && (*n & (*n - 1)) == 0) {
		na = realloc(*arr, *n * 2 * elem);
	} else if (*n == 0) {
		na = malloc(16 * elem);
	} else {
		na = *arr;
	}
	if (!na) {
		*cut = true;
		return NULL;
	}
	*arr = na;
	return (char *)na + (*n)++ * elem;
}

static void take_vmas(struct report *r, const struct mm_snap *m, struct rstep *st, bool *cut)
{
	for (size_t i = 0; i < m->vmas.n; i++) {
		const struct vma_info *v = &m->vmas.v[i];
		struct rvma *o;

		if (!in_window(v->start, v->end))
			continue;
		if (!(o = push((void **)&st->vmas, &st->nvmas, sizeof(*o), cut)))
			return;
		*o = (struct rvma){ v->start, v->end, v->flags, report_anon_id(r, v->anon_vma) };
	}
}

static uint32_t leaf_kind(const struct snapshot *s, const struct ptw_leaf *l)
{
	uint32_t k = 0;
	uint64_t pfn = l->pa >> 12;

	if (l->level == PTW_LEVEL_PMD)
		k |= RPAGE_HUGE;
	if (l->attrs & PTW_PROTNONE)
		k |= RPAGE_PROTNONE;
	if (l->attrs & PTW_WRITE)
		k |= RPAGE_WRITE;
	if (l->pa == s->table.zero_page)
		k |= RPAGE_ZERO;
	else if (s->pages && pfn < s->npages && s->pages[pfn].refcount > 1)
		k |= RPAGE_SHARED;
	return k;
}

static void take_runs(const struct snapshot *s, const struct mm_snap *m, struct rstep *st,
		      bool *cut)
{
	for (size_t i = 0; i < m->nleaves; i++) {
		const struct ptw_leaf *l = &m->leaves[i];
		uint32_t k = leaf_kind(s, l);
		struct rrun *last = st->nruns ? &st->runs[st->nruns - 1] : NULL;

		if (!in_window(l->va, l->va + l->size))
			continue;
		if (last && last->end == l->va && last->kind == k) {
			last->end += l->size;
			continue;
		}
		if (!(last = push((void **)&st->runs, &st->nruns, sizeof(*last), cut)))
			return;
		*last = (struct rrun){ l->va, l->va + l->size, k };
	}
}

static void take_tables(const struct mm_snap *m, struct rstep *st, bool *cut)
{
	for (size_t i = 0; i < m->ntables; i++) {
		const struct ptw_table *t = &m->tables[i];
		struct rtable *o;

		if (!in_window(t->va, t->va + t->span))
			continue;
		if (!(o = push((void **)&st->tables, &st->ntables, sizeof(*o), cut)))
			return;
		*o = (struct rtable){ t->va, t->span, t->used, t->level };
	}
}

static void take_mm(struct report *r, const struct snapshot *s, const struct mm_snap *m,
		    struct rstep *st)
{
	bool cut = false;

	st->mm = m->desc.id;
	st->rss = m->desc.rss_pages;
	st->zero_ptes = m->desc.zero_ptes;
	st->pt_pages = m->desc.pt_pages;
	st->map_count = m->desc.map_count;
	take_vmas(r, m, st, &cut);
	take_runs(s, m, st, &cut);
	take_tables(m, st, &cut);
	if (m->vmas_err)
		snprintf(st->note, sizeof st->note, "VMA list unreadable: %.160s", m->vmas_msg);
	else if (m->walk_err)
		snprintf(st->note, sizeof st->note, "page-table walk cut short (budget)");
	else if (cut)
		snprintf(st->note, sizeof st->note,
			 "cut: a step keeps at most %d VMAs, page runs and tables each",
			 REPORT_MAX_ITEMS);
}

int rmodel_take(struct report *r, const struct gmem *g, uint32_t mm, struct rstep *st)
{
	struct snap_opts o = { .mm = mm, .walk = true, .pages = true };
	struct snapshot s;
	char err[256] = "";
	int ret;

	ret = snapshot_take(g, &o, &s, err, sizeof err);
	if (ret != 0) {
		snprintf(st->note, sizeof st->note, "no snapshot: %.170s", err[0] ? err : strerror(-ret));
		return ret;
	}
	if (s.nmms == 0)
		snprintf(st->note, sizeof st->note, "no address space");
	else
		take_mm(r, &s, &s.mms[0], st);
	snapshot_free(&s);
	return 0;
}
