/*
 * The per-process counters of `stats` and `mm list` (docs/inspection.md):
 * what the guest publishes for each mm (its parent, VMAs, RSS, zero-page
 * and page-table counts), next to what the host's own walk finds (shared
 * pages, and where the guest's word disagrees with it: share.h).
 */
#ifndef VMM_INSPECT_MMSTATS_H
#define VMM_INSPECT_MMSTATS_H

#include <stdbool.h>
#include <stdio.h>

#include "shared/mm_abi.h"
#include "vmm/gmem.h"
#include "vmm/inspect/share.h"

/* One mm's counters: the guest's, and its walk's (mm_share_count). */
struct mm_counts {
	const struct mm_desc *d;
	struct mm_share walk;
	bool walk_complete;       /* its walk and fs's counts were complete */
	bool parent_live;         /* d->parent is a used slot's id */
};

/* Gather the counters of mm d (a used slot of t; fs counted over t). */
void mm_counts_get(const struct gmem *g, const struct mm_table *t, const struct frame_share *fs,
		   const struct mm_desc *d, struct mm_counts *c);

/* "mm=ID parent=P vmas=N rss_pages=N shared_pages=N zero_ptes=N pt_pages=N
 * frames_total=N frames_free=N frames_zero=N requests=N", then the
 * disagreement marks, and a newline. */
void mm_stats_print(FILE *out, const struct mm_table *t, const struct mm_counts *c);

/* The same as one JSON object (docs/inspection.md), with a newline. */
void mm_stats_json(FILE *out, const struct mm_table *t, const struct mm_counts *c);

/* `mm list`: every used slot, one line (or JSON element) each. */
void mm_list_print(FILE *out, const struct gmem *g, const struct mm_table *t,
		   const struct frame_share *fs, uint32_t current, bool json);

#endif
