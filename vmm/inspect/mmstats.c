/*
 * The counters of `stats` and `mm list`: see mmstats.h.  The guest's values
 * are printed as it published them; the host's walk adds the shared pages
 * and says where the two disagree ("!" marks), the checker says why.
 */
#include <inttypes.h>

#include "vmm/inspect/json.h"
#include "vmm/inspect/mmstats.h"
#include "vmm/inspect/vmas.h"

void mm_counts_get(const struct gmem *g, const struct mm_table *t, const struct frame_share *fs,
		   const struct mm_desc *d, struct mm_counts *c)
{
	*c = (struct mm_counts){ .d = d };
	c->walk_complete = mm_share_count(g, fs, d, &c->walk) == 0 && fs->complete;
	c->parent_live = d->parent != 0 && d->parent != d->id && mmtab_find(t, d->parent) != NULL;
}

/* "parent=P", with "(exited)" when no used slot has that id. */
static void print_parent(FILE *out, const struct mm_counts *c)
{
	fprintf(out, "parent=%" PRIu32 "%s", c->d->parent,
		c->d->parent && !c->parent_live ? "(exited)" : "");
}

/* The marks where the walk disagrees with the guest's word. */
static void print_marks(FILE *out, const struct mm_counts *c)
{
	if (!c->walk_complete)
		fputs(" !walk_incomplete", out);
	if (c->walk.rss != c->d->rss_pages)
		fprintf(out, " !walk_rss_pages=%" PRIu64, c->walk.rss);
	if (c->walk.refcount_bad)
		fprintf(out, " !refcount_mismatch=%" PRIu64, c->walk.refcount_bad);
}

/* The JSON members of one mm's counters (no braces). */
static void json_counts(FILE *out, const struct mm_counts *c)
{
	const struct mm_desc *d = c->d;

	fprintf(out, "\"parent\":%" PRIu32 ",\"parent_live\":%s,\"vmas\":%" PRIu64 ",\"rss_pages\":%"
		PRIu64 ",\"shared_pages\":%" PRIu64 ",\"zero_ptes\":%" PRIu64 ",\"pt_pages\":%" PRIu64
		",\"walk_rss_pages\":%" PRIu64 ",\"refcount_mismatch\":%" PRIu64
		",\"walk_complete\":%s", d->parent, json_bool(c->parent_live), d->map_count,
		d->rss_pages, c->walk.shared, d->zero_ptes, d->pt_pages, c->walk.rss,
		c->walk.refcount_bad, json_bool(c->walk_complete));
}

void mm_stats_print(FILE *out, const struct mm_table *t, const struct mm_counts *c)
{
	const struct mm_desc *d = c->d;

	fprintf(out, "mm=%u ", d->id);
	print_parent(out, c);
	fprintf(out, " vmas=%" PRIu64 " rss_pages=%" PRIu64 " shared_pages=%" PRIu64 " zero_ptes=%"
		PRIu64 " pt_pages=%" PRIu64 " frames_total=%" PRIu64 " frames_free=%" PRIu64
		" frames_zero=%" PRIu64 " requests=%" PRIu64, d->map_count, d->rss_pages,
		c->walk.shared, d->zero_ptes, d->pt_pages, t->frames_total, t->frames_free,
		t->frames_zero, t->requests);
	print_marks(out, c);
	fputc('\n', out);
}

void mm_stats_json(FILE *out, const struct mm_table *t, const struct mm_counts *c)
{
	fprintf(out, "{\"mm\":%u,", c->d->id);
	json_counts(out, c);
	fprintf(out, ",\"frames_total\":%" PRIu64 ",\"frames_free\":%" PRIu64 ",\"frames_zero\":%"
		PRIu64 ",\"requests\":%" PRIu64 "}\n", t->frames_total, t->frames_free,
		t->frames_zero, t->requests);
}

void mm_list_print(FILE *out, const struct gmem *g, const struct mm_table *t,
		   const struct frame_share *fs, uint32_t current, bool json)
{
	bool first = true;

	if (json)
		fprintf(out, "{\"current\":%u,\"mms\":[", current);
	else
		fprintf(out, "mm list:\n");
	for (unsigned i = 0; i < MM_MAX; i++) {
		const struct mm_desc *d = &t->mms[i];
		struct mm_counts c;

		if (d->id == 0)
			continue;
		mm_counts_get(g, t, fs, d, &c);
		if (json) {
			fprintf(out, "%s{\"id\":%u,\"pml4\":\"0x%" PRIx64 "\",", first ? "" : ",", d->id,
				d->pml4);
			json_counts(out, &c);
			fprintf(out, ",\"current\":%s}", json_bool(d->id == current));
		} else {
			fprintf(out, "mm %u ", d->id);
			print_parent(out, &c);
			fprintf(out, " pml4=0x%" PRIx64 " vmas=%" PRIu64 " rss_pages=%" PRIu64
				" shared_pages=%" PRIu64 " zero_ptes=%" PRIu64 " pt_pages=%" PRIu64,
				d->pml4, d->map_count, d->rss_pages, c.walk.shared, d->zero_ptes,
				d->pt_pages);
			print_marks(out, &c);
			fputs(d->id == current ? " *\n" : "\n", out);
		}
		first = false;
	}
	if (json)
		fputs("]}\n", out);
}
