/*
 * The API's inspection over guest memory: see api_internal.h.  Every
 * answer is taken inside one consistent snapshot window (snapshot.h) and
 * copied into the caller's structs, so nothing returned points into guest
 * memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/api/api_internal.h"
#include "vmm/inspect/check.h"
#include "vmm/inspect/icmd.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/snapshot.h"
#include "vmm/inspect/vmas.h"

/* The mm table and the chosen mm (mm 0: the first used slot), read inside
 * a snapshot window: 0 or -errno with err. */
static int read_mm(const struct gmem *g, uint32_t mm, struct mm_table *t, struct mm_desc *d,
		   char *err, size_t errlen)
{
	int r = mmtab_read(g, t, err, errlen);

	if (r)
		return r;
	for (unsigned i = 0; i < MM_MAX; i++) {
		if (t->mms[i].id != 0 && (mm == 0 || t->mms[i].id == mm)) {
			*d = t->mms[i];
			return 0;
		}
	}
	if (mm)
		snprintf(err, errlen, "no mm with id %u", mm);
	else
		snprintf(err, errlen, "the guest has no address space");
	return -ESRCH;
}

/* snapshot_run's -EBUSY as a message. */
static int busy(int r, char *err, size_t errlen)
{
	if (r == -EBUSY)
		snprintf(err, errlen, "busy: the guest kept changing its mm state for %u ms",
			 SNAP_TIMEOUT_MS);
	return r;
}

int api_vmas(const struct gmem *g, uint32_t mm, struct vmm_vma **vmas, size_t *n,
	     char *err, size_t errlen)
{
	struct snap_opts o = { .mm = mm };
	struct mm_table t;
	struct mm_desc d;
	struct snapshot s;
	int r;

	*vmas = NULL;
	*n = 0;
	if (mm == 0) {
		if ((r = read_mm(g, 0, &t, &d, err, errlen)) != 0)
			return r;
		o.mm = d.id;
	}
	if ((r = snapshot_take(g, &o, &s, err, errlen)) != 0)
		return r;
	if (s.mms[0].vmas_err) {
		snprintf(err, errlen, "%s", s.mms[0].vmas_msg);
		r = s.mms[0].vmas_err;
	} else if (s.mms[0].vmas.n && !(*vmas = calloc(s.mms[0].vmas.n, sizeof **vmas))) {
		snprintf(err, errlen, "out of memory");
		r = -ENOMEM;
	} else {
		for (size_t i = 0; i < s.mms[0].vmas.n; i++) {
			const struct vma_info *v = &s.mms[0].vmas.v[i];

			(*vmas)[i] = (struct vmm_vma){ v->start, v->end, v->pgoff, v->flags,
						       v->anon_vma != 0 };
		}
		*n = s.mms[0].vmas.n;
	}
	snapshot_free(&s);
	return r;
}

/* ---- leaves ---- */

struct pte_job {
	uint32_t mm;
	uint64_t start, end;
	struct vmm_pte *v;
	size_t n, cap;
	char *err;
	size_t errlen;
};

/* The leaves one call may return: as much host memory as one dump may
 * take (PTDUMP_MAX_BYTES), whatever the guest's page tables say. */
#define API_MAX_PTES ((size_t)PTDUMP_MAX_BYTES / sizeof(struct vmm_pte))

static int pte_leaf(void *ctx, const struct ptw_leaf *l)
{
	struct pte_job *j = ctx;

	if (j->n >= API_MAX_PTES)
		return -E2BIG;
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 64;
		struct vmm_pte *nv = realloc(j->v, cap * sizeof *nv);

		if (!nv)
			return -ENOMEM;
		j->v = nv;
		j->cap = cap;
	}
	j->v[j->n++] = (struct vmm_pte){
		.va = l->va, .pa = l->pa, .size = l->size, .entry = l->entry,
		.user = l->attrs & PTW_USER, .write = l->attrs & PTW_WRITE,
		.exec = !(l->attrs & PTW_NX), .accessed = l->attrs & PTW_ACCESSED,
		.dirty = l->attrs & PTW_DIRTY, .global = l->attrs & PTW_GLOBAL,
		.protnone = l->attrs & PTW_PROTNONE,
	};
	return 0;
}

static int pte_once(const struct gmem *g, void *ctx)
{
	struct pte_job *j = ctx;
	struct ptw_visitor vis = { .leaf = pte_leaf, .ctx = j, .protnone = true };
	struct mm_table t;
	struct mm_desc d;
	int r;

	j->n = 0;
	if ((r = read_mm(g, j->mm, &t, &d, j->err, j->errlen)) != 0)
		return r;
	r = ptwalk(g, d.pml4, j->start, j->end ? j->end - 1 : UINT64_MAX, &vis);
	if (r == -E2BIG)
		snprintf(j->err, j->errlen, "more than %zu leaves, or the walk budget ran out",
			 API_MAX_PTES);
	else if (r == -ENOMEM)
		snprintf(j->err, j->errlen, "out of memory");
	return r;
}

int api_ptes(const struct gmem *g, uint32_t mm, uint64_t start, uint64_t end,
	     struct vmm_pte **ptes, size_t *n, char *err, size_t errlen)
{
	struct pte_job j = { .mm = mm, .start = start, .end = end, .err = err, .errlen = errlen };
	int r;

	*ptes = NULL;
	*n = 0;
	if (end != 0 && end <= start) {
		snprintf(err, errlen, "end 0x%llx is not above start 0x%llx",
			 (unsigned long long)end, (unsigned long long)start);
		return -EINVAL;
	}
	r = busy(snapshot_run(g, 0, pte_once, &j, NULL), err, errlen);
	if (r) {
		free(j.v);
		return r;
	}
	*ptes = j.v;
	*n = j.n;
	return 0;
}

/* ---- one walk, the counters, the mm list ---- */

struct small_job {
	uint32_t mm;
	uint64_t va;
	struct mm_table t;
	struct mm_desc d;
	struct ptw_steps w;
	bool all;                 /* the mm list: no mm needed */
	char *err;
	size_t errlen;
};

static int small_once(const struct gmem *g, void *ctx)
{
	struct small_job *j = ctx;
	int r;

	if (j->all)
		return mmtab_read(g, &j->t, j->err, j->errlen);
	if ((r = read_mm(g, j->mm, &j->t, &j->d, j->err, j->errlen)) != 0)
		return r;
	ptwalk_steps(g, j->d.pml4, j->va, &j->w);
	return 0;
}

static const enum vmm_walk_outcome walk_outcomes[] = {
	[PTW_WALK_MAPPED] = VMM_WALK_MAPPED, [PTW_WALK_NOT_PRESENT] = VMM_WALK_NOT_PRESENT,
	[PTW_WALK_PROTNONE] = VMM_WALK_PROTNONE, [PTW_WALK_BAD_ENTRY] = VMM_WALK_BAD,
	[PTW_WALK_NONCANONICAL] = VMM_WALK_NONCANONICAL, [PTW_WALK_BAD_PML4] = VMM_WALK_UNREADABLE,
	[PTW_WALK_UNREADABLE] = VMM_WALK_UNREADABLE,
};

int api_walk(const struct gmem *g, uint32_t mm, uint64_t va, struct vmm_walk *w,
	     char *err, size_t errlen)
{
	struct small_job j = { .mm = mm, .va = va, .err = err, .errlen = errlen };
	int r = busy(snapshot_run(g, 0, small_once, &j, NULL), err, errlen);

	memset(w, 0, sizeof *w);
	if (r)
		return r;
	*w = (struct vmm_walk){ .va = va, .mm = j.d.id, .pml4 = j.d.pml4, .nlevels = j.w.n,
				.outcome = walk_outcomes[j.w.outcome], .gpa = j.w.gpa,
				.page_size = j.w.size, .problem = j.w.problem };
	for (unsigned i = 0; i < j.w.n; i++)
		w->levels[i] = (struct vmm_walk_level){ j.w.step[i].level, j.w.step[i].index,
							j.w.step[i].entry_gpa, j.w.step[i].entry };
	if (j.w.outcome == PTW_WALK_MAPPED) {
		w->user = j.w.attrs & PTW_USER;
		w->write = j.w.attrs & PTW_WRITE;
		w->exec = !(j.w.attrs & PTW_NX);
	} else if (j.w.outcome == PTW_WALK_BAD_PML4) {
		w->problem = "PML4 address misaligned or outside RAM";
	} else if (j.w.outcome == PTW_WALK_UNREADABLE) {
		w->problem = "a table lies outside RAM";
	}
	return 0;
}

int api_counters(const struct gmem *g, uint32_t mm, struct vmm_counters *c,
		 char *err, size_t errlen)
{
	struct small_job j = { .mm = mm, .err = err, .errlen = errlen };
	int r = busy(snapshot_run(g, 0, small_once, &j, NULL), err, errlen);

	memset(c, 0, sizeof *c);
	if (r)
		return r;
	*c = (struct vmm_counters){ .mm = j.d.id, .vmas = j.d.map_count,
				    .rss_pages = j.d.rss_pages, .zero_ptes = j.d.zero_ptes,
				    .pt_pages = j.d.pt_pages, .frames_total = j.t.frames_total,
				    .frames_free = j.t.frames_free, .frames_zero = j.t.frames_zero,
				    .requests = j.t.requests };
	return 0;
}

int api_mm_list(const struct gmem *g, uint32_t current, struct vmm_mm_info *mms, size_t max,
		size_t *n, char *err, size_t errlen)
{
	struct small_job j = { .all = true, .err = err, .errlen = errlen };
	int r = busy(snapshot_run(g, 0, small_once, &j, NULL), err, errlen);

	*n = 0;
	if (r)
		return r;
	for (unsigned i = 0; i < MM_MAX; i++) {
		const struct mm_desc *d = &j.t.mms[i];

		if (d->id == 0)
			continue;
		if (*n < max)
			mms[*n] = (struct vmm_mm_info){ .id = d->id, .current = d->id == current,
							.pml4 = d->pml4, .vmas = d->map_count,
							.rss_pages = d->rss_pages,
							.zero_ptes = d->zero_ptes, .pt_pages = d->pt_pages };
		++*n;
	}
	return 0;
}

/* ---- the checker ---- */

int api_check(const struct gmem *g, struct vmm_check_result *res, char *err, size_t errlen)
{
	struct check_report rep;
	long n = icmd_run_checker(g, &rep, err, errlen);

	memset(res, 0, sizeof *res);
	if (n < 0)
		return -EIO;
	if (rep.n && !(res->v = calloc(rep.n, sizeof *res->v))) {
		check_report_free(&rep);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < rep.n; i++) {
		const struct violation *v = &rep.v[i];
		struct vmm_violation *o = &res->v[i];

		snprintf(o->rule, sizeof o->rule, "%s", v->rule);
		snprintf(o->msg, sizeof o->msg, "%s", v->msg);
		o->has_mm = v->what & VIOL_HAS_MM;
		o->has_va = v->what & VIOL_HAS_VA;
		o->has_pte = v->what & VIOL_HAS_PTE;
		o->mm = v->mm;
		o->va = v->va;
		o->pte = v->pte;
	}
	res->n = rep.n;
	res->total = rep.total;
	res->mms = rep.mms;
	res->vmas = rep.vmas;
	res->ptes = rep.leaves;
	res->page_tables = rep.tables;
	res->frames = rep.frames;
	check_report_free(&rep);
	return 0;
}
