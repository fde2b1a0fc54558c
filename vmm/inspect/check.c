/*
 * Memory-manager invariants checked from a snapshot: see check.h and
 * docs/inspection.md.  The snapshot came from guest memory, so nothing in
 * it is trusted: frame numbers are bounds-checked before they index the
 * page array, and counts are plain comparisons.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

#include "vmm/inspect/check.h"

struct checker {
	const struct snapshot *s;
	struct check_report *r;
	uint32_t *refs;          /* PTE references per frame, all mms */
	uint8_t *trefs;          /* table references per frame (saturating) */
	uint8_t *wrefs;          /* 1: some writable PTE maps the frame */
	uint64_t zero_frame;     /* frame number of the zero page, or UINT64_MAX */
	int nomem;
};

static void __attribute__((format(printf, 7, 8)))
violation(struct checker *c, const char *rule, unsigned what, uint32_t mm, uint64_t va,
	  uint64_t pte, const char *fmt, ...)
{
	struct check_report *r = c->r;
	r->total++;
	if (r->n >= CHECK_MAX_KEPT)
		return;
	if (!r->v && !(r->v = calloc(CHECK_MAX_KEPT, sizeof *r->v))) {
		c->nomem = 1;
		return;
	}
	struct violation *v = &r->v[r->n++];
	v->rule = rule;
	v->what = what;
	v->mm = mm;
	v->va = va;
	v->pte = pte;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->msg, sizeof v->msg, fmt, ap);
	va_end(ap);
}

#define V_MM       VIOL_HAS_MM
#define V_VA       (VIOL_HAS_MM | VIOL_HAS_VA)
#define V_PTE      (VIOL_HAS_MM | VIOL_HAS_VA | VIOL_HAS_PTE)

static const char *type_name(uint32_t t)
{
	switch (t) {
	case PAGE_T_FREE:     return "free";
	case PAGE_T_RESERVED: return "reserved";
	case PAGE_T_USER:     return "user";
	case PAGE_T_ZERO:     return "zero";
	case PAGE_T_PGTABLE:  return "pgtable";
	case PAGE_T_KERNEL:   return "kernel";
	case PAGE_T_SHMEM:    return "shmem";
	default:              return "unknown";
	}
}

/* Check that [va, va + size) lies in VMAs that allow the leaf's
 * permissions; reports at most one violation per leaf. */
static void check_leaf_vmas(struct checker *c, const struct mm_snap *m, const struct ptw_leaf *l)
{
	const struct vma_list *vl = &m->vmas;
	uint32_t id = m->desc.id;
	uint64_t va = l->va, end = l->va + l->size;
	size_t i = vmas_lower_bound(vl, va);

	while (va < end) {
		if (i >= vl->n || vl->v[i].start > va) {
			violation(c, "pte-outside-vma", V_PTE, id, l->va, l->entry,
				  "present PTE (frame 0x%" PRIx64 ") at 0x%" PRIx64 " outside every VMA",
				  l->pa, va);
			return;
		}
		const struct vma_info *v = &vl->v[i];
		if (!(v->flags & (VM_READ | VM_WRITE | VM_EXEC)) && !(l->attrs & PTW_PROTNONE)) {
			violation(c, "pte-prot-none", V_PTE, id, l->va, l->entry,
				  "present PTE in PROT_NONE VMA %" PRIx64 "-%" PRIx64, v->start, v->end);
			return;
		}
		if ((l->attrs & PTW_WRITE) && !(v->flags & VM_WRITE)) {
			violation(c, "pte-write", V_PTE, id, l->va, l->entry,
				  "writable PTE in VMA %" PRIx64 "-%" PRIx64 " without VM_WRITE (flags 0x%"
				  PRIx64 ")", v->start, v->end, v->flags);
			return;
		}
		va = v->end;
		i++;
	}
}

static void check_leaf(struct checker *c, const struct mm_snap *m, const struct ptw_leaf *l,
		       uint64_t *rss, uint64_t *zero_ptes)
{
	const struct snapshot *s = c->s;
	uint32_t id = m->desc.id;
	uint64_t frames = l->size >> 12;
	uint64_t first = l->pa >> 12;

	if (m->vmas_err == 0)
		check_leaf_vmas(c, m, l);
	if (!(l->attrs & (PTW_USER | PTW_PROTNONE)))
		violation(c, "pte-not-user", V_PTE, id, l->va, l->entry,
			  "present leaf in the user half without U at every level");
	if (first >= s->npages || frames > s->npages - first) {
		violation(c, "frame-outside-ram", V_PTE, id, l->va, l->entry,
			  "PTE maps frame 0x%" PRIx64 " outside RAM", l->pa);
		return;
	}
	if (first == c->zero_frame && frames == 1) {
		(*zero_ptes)++;
		if (l->entry & PTE_W)
			violation(c, "zero-writable", V_PTE, id, l->va, l->entry,
				  "the zero page is mapped writable");
	} else {
		*rss += frames;
	}
	for (uint64_t f = first; f < first + frames; f++) {
		uint32_t t = s->pages[f].type;
		if (c->refs[f] < UINT32_MAX)
			c->refs[f]++;
		if (l->attrs & PTW_WRITE)
			c->wrefs[f] = 1;
		if (t == PAGE_T_USER || t == PAGE_T_SHMEM || (t == PAGE_T_ZERO && f == c->zero_frame))
			continue;
		violation(c, "frame-type", V_PTE, id, l->va, l->entry,
			  "PTE maps frame 0x%" PRIx64 " of type %s (%u)%s", f << 12, type_name(t), t,
			  t == PAGE_T_ZERO ? ", not mm_table.zero_page" : "");
		if (l->level != PTW_LEVEL_PTE)
			break;
	}
}

static void check_tables(struct checker *c, const struct mm_snap *m)
{
	const struct snapshot *s = c->s;
	const struct vma_list *vl = &m->vmas;
	uint32_t id = m->desc.id;
	uint64_t pml4f = m->desc.pml4 >> 12;

	if (pml4f < s->npages && s->pages[pml4f].type != PAGE_T_PGTABLE)
		violation(c, "pgtable-type", V_MM, id, 0, 0, "PML4 frame 0x%" PRIx64 " has type %s",
			  m->desc.pml4, type_name(s->pages[pml4f].type));
	if (pml4f < s->npages && c->trefs[pml4f] < UINT8_MAX)
		c->trefs[pml4f]++;

	for (size_t i = 0; i < m->ntables; i++) {
		const struct ptw_table *t = &m->tables[i];
		uint64_t f = t->gpa >> 12;   /* the walker checked it is inside RAM */
		if (f < s->npages) {
			if (s->pages[f].type != PAGE_T_PGTABLE)
				violation(c, "pgtable-type", V_VA, id, t->va, 0,
					  "%s page 0x%" PRIx64 " has type %s (%u)",
					  t->level == 3 ? "PDPT" : t->level == 2 ? "PD" : "PT", t->gpa,
					  type_name(s->pages[f].type), s->pages[f].type);
			if (c->trefs[f] < UINT8_MAX)
				c->trefs[f]++;
		}
		if (t->used != 0 || m->vmas_err != 0)
			continue;
		/* free_pgtables() frees a table whose whole span lies between
		 * the neighbouring VMAs (floor = prev end, ceiling = next start). */
		size_t k = vmas_lower_bound(vl, t->va);
		if (k < vl->n && vl->v[k].start < t->va + t->span)
			continue;
		violation(c, "pgtable-empty-gap", V_VA, id, t->va, 0,
			  "empty %s page 0x%" PRIx64 " spanning 0x%" PRIx64 "-0x%" PRIx64
			  " lies in a gap between VMAs (free_pgtables would have freed it)",
			  t->level == 3 ? "PDPT" : t->level == 2 ? "PD" : "PT", t->gpa, t->va,
			  t->va + t->span);
	}
}

static void check_mm(struct checker *c, const struct mm_snap *m)
{
	uint32_t id = m->desc.id;
	uint64_t rss = 0, zero_ptes = 0;

	c->r->mms++;
	if (m->vmas_err != 0)
		violation(c, "vma-list", V_MM, id, 0, 0, "%s", m->vmas_msg);
	else {
		c->r->vmas += m->vmas.n;
		if (m->desc.map_count != m->vmas.n)
			violation(c, "map-count", V_MM, id, 0, 0,
				  "map_count %" PRIu64 " but the VMA list holds %zu",
				  m->desc.map_count, m->vmas.n);
	}
	for (size_t i = 0; i < m->nerrors; i++) {
		const struct ptw_error *e = &m->errors[i];
		if (e->level > PTW_LEVEL_PGD)
			violation(c, "walk", V_MM, id, 0, 0, "pml4 0x%" PRIx64 ": %s", e->entry, e->msg);
		else
			violation(c, "walk", V_PTE, id, e->va, e->entry, "%s entry at 0x%" PRIx64 ": %s",
				  ptw_level_name(e->level), e->entry_gpa, e->msg);
	}
	if (m->walk_err != 0)
		violation(c, "walk", V_MM, id, 0, 0, "walk cut short (table budget exhausted)");

	c->r->leaves += m->nleaves;
	c->r->tables += m->ntables;
	for (size_t i = 0; i < m->nleaves; i++)
		check_leaf(c, m, &m->leaves[i], &rss, &zero_ptes);
	check_tables(c, m);

	if (m->walk_err != 0 || m->nerrors != 0)
		return;   /* the counts below would only repeat the walk problem */
	if (m->desc.rss_pages != rss)
		violation(c, "mm-counter", V_MM, id, 0, 0, "rss_pages %" PRIu64 " but the walk finds %"
			  PRIu64, m->desc.rss_pages, rss);
	if (m->desc.zero_ptes != zero_ptes)
		violation(c, "mm-counter", V_MM, id, 0, 0, "zero_ptes %" PRIu64 " but the walk finds %"
			  PRIu64, m->desc.zero_ptes, zero_ptes);
	if (m->desc.pt_pages != m->ntables)
		violation(c, "mm-counter", V_MM, id, 0, 0, "pt_pages %" PRIu64 " but the walk finds %zu",
			  m->desc.pt_pages, m->ntables);
}

/* A private (user) or shared (shmem) data frame: its count against the
 * PTEs that map it, and copy-on-write sharing read-only. */
static void check_data_frame(struct checker *c, uint64_t f, const struct abi_page *p)
{
	if (p->type == PAGE_T_SHMEM) {
		/* The shared object holds one reference besides the PTEs. */
		if ((uint64_t)p->refcount != (uint64_t)c->refs[f] + 1)
			violation(c, "frame-refcount", 0, 0, 0, 0,
				  "shared frame 0x%" PRIx64 " has refcount %u but %u PTEs map it "
				  "(plus its object)", f << 12, p->refcount, c->refs[f]);
		return;
	}
	if (c->refs[f] == 0)
		violation(c, "frame-leak", 0, 0, 0, 0,
			  "user frame 0x%" PRIx64 " (refcount %u) is mapped by no PTE",
			  f << 12, p->refcount);
	else if (p->refcount != c->refs[f])
		violation(c, "frame-refcount", 0, 0, 0, 0,
			  "user frame 0x%" PRIx64 " has refcount %u but %u PTEs map it",
			  f << 12, p->refcount, c->refs[f]);
	else if (c->refs[f] > 1 && c->wrefs[f])
		violation(c, "cow-writable", 0, 0, 0, 0,
			  "private frame 0x%" PRIx64 " is mapped by %u PTEs, one of them "
			  "writable (copy-on-write broken)", f << 12, c->refs[f]);
}

static void check_frames(struct checker *c)
{
	const struct snapshot *s = c->s;
	const struct mm_table *t = &s->table;
	uint64_t nfree = 0, used = 0, nzero = 0;

	for (uint64_t f = 0; f < s->npages; f++) {
		const struct abi_page *p = &s->pages[f];
		switch (p->type) {
		case PAGE_T_RESERVED:
			break;
		case PAGE_T_FREE:
			nfree++;
			if (p->refcount != 0)
				violation(c, "free-refcount", 0, 0, 0, 0,
					  "free frame 0x%" PRIx64 " has refcount %u", f << 12, p->refcount);
			break;
		case PAGE_T_USER:
		case PAGE_T_SHMEM:
			used++;
			check_data_frame(c, f, p);
			break;
		case PAGE_T_ZERO:
			used++;
			nzero++;
			if (f != c->zero_frame)
				violation(c, "zero-page", 0, 0, 0, 0, "frame 0x%" PRIx64 " has type zero "
					  "but mm_table.zero_page is 0x%" PRIx64, f << 12, t->zero_page);
			else if (p->refcount != c->refs[f])
				violation(c, "zero-refcount", 0, 0, 0, 0,
					  "zero page 0x%" PRIx64 " has refcount %u but %u PTEs map it",
					  f << 12, p->refcount, c->refs[f]);
			break;
		case PAGE_T_PGTABLE:
			used++;
			if (c->trefs[f] > 1)
				violation(c, "pgtable-shared", 0, 0, 0, 0,
					  "page-table page 0x%" PRIx64 " is used %u times", f << 12, c->trefs[f]);
			break;
		case PAGE_T_KERNEL:
			used++;
			break;
		default:
			violation(c, "frame-type", 0, 0, 0, 0, "frame 0x%" PRIx64 " has unknown type %u",
				  f << 12, p->type);
		}
	}
	if (t->zero_page != 0 && c->zero_frame == UINT64_MAX)
		violation(c, "zero-page", 0, 0, 0, 0,
			  "mm_table.zero_page 0x%" PRIx64 " is not an aligned frame inside RAM",
			  t->zero_page);
	else if (c->zero_frame != UINT64_MAX && s->pages[c->zero_frame].type != PAGE_T_ZERO)
		violation(c, "zero-page", 0, 0, 0, 0, "the zero page 0x%" PRIx64 " has type %s",
			  t->zero_page, type_name(s->pages[c->zero_frame].type));
	if (t->frames_free != nfree)
		violation(c, "frames-free", 0, 0, 0, 0, "frames_free %" PRIu64 " but %" PRIu64
			  " frames are typed free", t->frames_free, nfree);
	if (nfree + used != t->frames_total)
		violation(c, "frames-total", 0, 0, 0, 0, "frames_total %" PRIu64 " but %" PRIu64
			  " free + %" PRIu64 " used frames", t->frames_total, nfree, used);
	if (t->frames_zero > t->frames_free)
		violation(c, "frames-zero", 0, 0, 0, 0, "frames_zero %" PRIu64 " exceeds frames_free %"
			  PRIu64, t->frames_zero, t->frames_free);
	(void)nzero;
}

long check_snapshot(const struct snapshot *s, struct check_report *r)
{
	struct checker c = { .s = s, .r = r, .zero_frame = UINT64_MAX };

	memset(r, 0, sizeof *r);
	if (!s->pages || !s->opts.walk || s->opts.mm != 0)
		return -EINVAL;
	r->frames = s->npages;
	if (s->pages_err != 0) {
		violation(&c, "mm-table", 0, 0, 0, 0, "%s", s->pages_msg);
		return (long)r->total;
	}
	c.refs = calloc(s->npages ? s->npages : 1, sizeof *c.refs);
	c.trefs = calloc(s->npages ? s->npages : 1, 1);
	c.wrefs = calloc(s->npages ? s->npages : 1, 1);
	if (!c.refs || !c.trefs || !c.wrefs) {
		free(c.refs);
		free(c.trefs);
		free(c.wrefs);
		return -ENOMEM;
	}
	if (!(s->table.zero_page & (PAGE_SIZE_4K - 1)) && (s->table.zero_page >> 12) < s->npages &&
	    s->table.zero_page != 0)
		c.zero_frame = s->table.zero_page >> 12;

	for (unsigned i = 0; i < s->nmms; i++)
		for (unsigned j = 0; j < i; j++)
			if (s->mms[i].desc.id == s->mms[j].desc.id)
				violation(&c, "mm-table", V_MM, s->mms[i].desc.id, 0, 0,
					  "two mm slots carry id %u", s->mms[i].desc.id);
	for (unsigned i = 0; i < s->nmms; i++)
		check_mm(&c, &s->mms[i]);
	check_frames(&c);

	free(c.refs);
	free(c.trefs);
	free(c.wrefs);
	if (c.nomem) {
		check_report_free(r);
		return -ENOMEM;
	}
	return (long)r->total;
}

void check_report_print(FILE *out, const struct check_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct violation *v = &r->v[i];
		fprintf(out, "violation: %s", v->rule);
		if (v->what & VIOL_HAS_MM)
			fprintf(out, " mm=%u", v->mm);
		if (v->what & VIOL_HAS_VA)
			fprintf(out, " va=0x%" PRIx64, v->va);
		if (v->what & VIOL_HAS_PTE)
			fprintf(out, " pte=0x%" PRIx64, v->pte);
		fprintf(out, ": %s\n", v->msg);
	}
	if (r->total > r->n)
		fprintf(out, "... and %zu more\n", r->total - r->n);
}

void check_report_free(struct check_report *r)
{
	free(r->v);
	r->v = NULL;
	r->n = r->total = 0;
}
