/*
 * `vmm --report FILE.html`: a picture of every step of a scenario.
 *
 * After each executed line the recorder takes an inspection snapshot of the
 * current address space (vmm/inspect/snapshot.h) and keeps, for the
 * scenario window [SCEN_WINDOW_START, SCEN_WINDOW_END), a small model of
 * it: the VMAs (protection, flags, anon_vma), the present pages as runs of
 * equal kind (private, read-only, shared, zero page, PROT_NONE) and the
 * page-table pages, with the transcript line and, when there is one, the
 * step's trace.  It also computes what changed since the previous step.
 * report_write_html() then writes one self-contained HTML file (no network,
 * no external script or font) that draws each step as an SVG strip and
 * steps through them with keys and buttons (docs/report.md).
 *
 * Memory is bounded whatever the session does: at most REPORT_MAX_STEPS
 * steps and REPORT_MAX_BYTES of step data are kept; later steps are
 * counted, not kept, and the page says so.  Each step's lists are capped
 * too (REPORT_MAX_ITEMS), and its texts (REPORT_MAX_TEXT).
 */
#ifndef VMM_REPORT_REPORT_H
#define VMM_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/gmem.h"

#ifndef REPORT_MAX_STEPS
#define REPORT_MAX_STEPS   2000
#endif
#ifndef REPORT_MAX_BYTES
#define REPORT_MAX_BYTES   (64u << 20)
#endif
#define REPORT_MAX_ITEMS   4096     /* VMAs, page runs, tables, changes per step */
#define REPORT_MAX_TEXT    8192     /* bytes of transcript and of trace per step */
#define REPORT_MAX_ANON    1024     /* anon_vma pointers given a number */

/* Kinds of a run of present pages (bits). */
#define RPAGE_WRITE        (1u << 0)  /* writable leaf */
#define RPAGE_SHARED       (1u << 1)  /* its frame is mapped more than once */
#define RPAGE_ZERO         (1u << 2)  /* the shared zero page */
#define RPAGE_PROTNONE     (1u << 3)  /* a PROT_NONE leaf */
#define RPAGE_HUGE         (1u << 4)  /* a 2 MiB leaf */

/* What a change touches (bits). */
#define RCHG_VMA           (1u << 0)
#define RCHG_PAGES         (1u << 1)
#define RCHG_TABLES        (1u << 2)

struct rvma {
	uint64_t start, end;
	uint64_t flags;        /* VM_* */
	uint32_t anon;         /* 0: none, else the report's number of its anon_vma */
};

struct rrun {
	uint64_t start, end;
	uint32_t kind;         /* RPAGE_* */
};

struct rtable {
	uint64_t va, span;
	uint16_t used;         /* non-zero entries */
	uint8_t level;         /* 3 = PDPT, 2 = PD, 1 = PT */
};

struct rchange {
	uint64_t start, end;
	uint32_t what;         /* RCHG_* */
};

struct rstep {
	char *transcript;      /* never NULL ("" if none) */
	char *trace;           /* NULL: no trace for this step */
	uint32_t mm;
	uint64_t rss, zero_ptes, pt_pages, map_count;   /* the whole mm's counters */
	struct rvma *vmas;
	struct rrun *runs;
	struct rtable *tables;
	struct rchange *changes;
	size_t nvmas, nruns, ntables, nchanges;
	char note[192];        /* "" or what went wrong or was cut (snapshot error) */
};

struct report;

/* A new, empty report titled title (copied; the script's name).  NULL if
 * memory ran out. */
struct report *report_new(const char *title);
void report_free(struct report *r);

/*
 * Record one step: a snapshot of mm (0: the first used slot) in g, the
 * transcript text of the line (one or more lines; NULL as "") and its trace
 * (NULL: none).  A snapshot that fails still records the step, with a note.
 * Returns 0, -ENOSPC when the report is full (the step is counted as
 * dropped), or -ENOMEM.
 */
int report_add_step(struct report *r, const struct gmem *g, uint32_t mm,
		    const char *transcript, const char *trace_text);

/* Replace the transcript of the last step kept with the len bytes of text
 * (a control-socket request's response, known only after the step).
 * 0, -ENOENT (no step) or -ENOMEM. */
int report_set_last_transcript(struct report *r, const char *text, size_t len);

/* Steps kept, steps dropped because the report was full, and step i. */
size_t report_nsteps(const struct report *r);
size_t report_dropped(const struct report *r);
const struct rstep *report_step(const struct report *r, size_t i);

/* Write the whole HTML page.  0, or -EIO if writing failed. */
int report_write_html(const struct report *r, FILE *out);

/* ---- inside the module ---- */

/* Fill st's lists from g (report_model.c); anon numbers through r.
 * 0 or -errno, with st->note set. */
int rmodel_take(struct report *r, const struct gmem *g, uint32_t mm, struct rstep *st);
/* The number (1...) of anon_vma pointer p in r, 0 if p is 0 or the table
 * is full. */
uint32_t report_anon_id(struct report *r, uint64_t p);
/* Compute cur->changes against prev (NULL: everything present is new).
 * 0 or -ENOMEM. (report_diff.c) */
int rdiff(const struct rstep *prev, struct rstep *cur);
/* Bytes st holds (its arrays and texts). */
size_t rstep_bytes(const struct rstep *st);
void rstep_free(struct rstep *st);
/* The steps as the page's JSON data (report_json.c). */
void report_json(const struct report *r, FILE *out);

#endif
