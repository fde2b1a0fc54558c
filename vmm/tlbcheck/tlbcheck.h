/*
 * The TLB-coherence checker (docs/tlb.md, "The coherence checker"): the
 * guest logs CR3 loads, flushes, IPIs, PTE clears, page-table unlinks and
 * frees in one global order (shared/tlblog.h); the host reads that log out
 * of guest RAM (reader.c), replays it against a model of what each CPU's
 * TLB may still hold (model.c over the bounded set of stale.c) and reports
 * the first frame or page-table page freed while some CPU may still reach
 * it (explain.c words it).  Incremental: the state persists between
 * drains, so records are fed as they arrive.
 *
 * Everything in the log is the guest's word: the reader validates the
 * control page and the ring against guest RAM, the model validates each
 * record, and what the host keeps is bounded (the stale set's capacity).
 * No KVM here: a struct gmem is enough (unit tests, fuzzing).
 */
#ifndef VMM_TLBCHECK_TLBCHECK_H
#define VMM_TLBCHECK_TLBCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/tlblog.h"
#include "vmm/gmem.h"

/* CPUs the model tracks (the guest's cpu masks are one 64-bit word). */
#define TLBCHECK_CPUS          64
/* Possibly-stale translations and cached page-table pages held at most. */
#define TLBCHECK_STALE_DEFAULT (1u << 16)
/* The largest ring the host accepts (records; 32 MiB of guest RAM). */
#define TLBCHECK_RECS_MAX      (1u << 20)
#define TLBCHECK_MSG_MAX       512

enum tlbcheck_verdict {
	TLBV_OFF,        /* the guest keeps no log (yet) */
	TLBV_CLEAN,      /* every free so far proven safe */
	TLBV_VIOLATION,  /* a free while some CPU may still reach it */
	TLBV_LOST,       /* events were overwritten before being read: not proven */
	TLBV_CAPACITY,   /* the stale set was full: not proven */
	TLBV_REFUSED,    /* the control page, ring or a record is unusable */
};

struct tlbcheck_counts {
	uint64_t events;          /* records replayed */
	uint64_t frames_checked;  /* TLOG_FRAME_FREE replayed */
	uint64_t tables_checked;  /* TLOG_PT_FREE replayed */
	uint64_t stale;           /* entries held now */
	uint64_t lost;            /* events lost */
	uint64_t violations;      /* found (the first one is the message) */
};

/* ---- reader.c: the ring in guest RAM ---- */

struct tlblog_reader {
	bool attached;            /* the control page was valid once: latched */
	uint64_t ring_gpa;        /* latched at attach, never re-read */
	uint32_t recs;
	uint64_t tail;            /* records consumed: the next seq is tail + 1 */
	uint64_t lost;
};

/* One record, already copied out of guest memory: 0 to go on. */
typedef int (*tlblog_sink)(void *ctx, const struct tlblog_rec *r);

/*
 * Attach rd to the guest's log if it is not yet: 1 attached, 0 the guest
 * has not published a ring (no magic yet), -1 refused with the reason in
 * msg (bad version, recs not a power of two or too large, ring outside
 * RAM or over the host-reserved first megabyte).
 */
int tlblog_attach(struct tlblog_reader *rd, const struct gmem *g, char *msg, size_t len);

/*
 * Hand every record written since the last call to fn, in sequence order,
 * at most `max`: stops at the first record not written yet.  Records
 * overwritten before they were read are counted in rd->lost (and skipped).
 * Returns the records delivered, or -1 with msg if the ring holds what no
 * writer can have written (a seq ahead of the guest's head).
 */
long tlblog_read(struct tlblog_reader *rd, const struct gmem *g, tlblog_sink fn, void *ctx,
		 uint64_t max, char *msg, size_t len);

/* ---- model.c: the replay ---- */

struct tlb_model;

/* A model of up to `cap` stale entries (cap >= 1): NULL if out of memory. */
struct tlb_model *tlb_model_new(uint32_t cap);
void tlb_model_free(struct tlb_model *m);

/* Replay one record (in sequence order).  Always 0: a bad record makes the
 * verdict TLBV_REFUSED and later records are ignored. */
int tlb_model_feed(void *m, const struct tlblog_rec *r);

/* n events were lost: from now on nothing is proven. */
void tlb_model_lost(struct tlb_model *m, uint64_t n);

/* The log cannot be used (msg says why): nothing is proven. */
void tlb_model_refuse(struct tlb_model *m, const char *msg);

/* The verdict so far, its one-line message in msg ("" when clean) and the
 * counts. */
enum tlbcheck_verdict tlb_model_verdict(const struct tlb_model *m, char *msg, size_t len,
					struct tlbcheck_counts *c);

/* ---- tlbcheck.c: reader and model together ---- */

struct tlbcheck {
	struct tlblog_reader rd;
	struct tlb_model *m;
	bool seen;                /* the guest published a ring */
	bool refused;             /* the log is unusable: nothing more is read */
	uint64_t lost_told;       /* of rd.lost, what the model knows */
};

/* 0, or -ENOMEM. */
int tlbcheck_init(struct tlbcheck *tc, uint32_t cap);
void tlbcheck_fini(struct tlbcheck *tc);

/* Read and replay everything the guest has logged so far. */
void tlbcheck_drain(struct tlbcheck *tc, const struct gmem *g);

/* The verdict (TLBV_OFF until the guest published a ring). */
enum tlbcheck_verdict tlbcheck_verdict(const struct tlbcheck *tc, char *msg, size_t len,
				       struct tlbcheck_counts *c);

/* "clean", "violation", "lost", "capacity", "refused", "off". */
const char *tlbcheck_verdict_name(enum tlbcheck_verdict v);

/*
 * The verdict as the `tlbcheck` command prints it: one line
 *   tlbcheck -> VERDICT (N events, F frames and T page tables checked, S stale held, L lost)
 * then, unless clean or off, the message on its own line; or with json one
 * object {"verdict":...,"events":...,...,"message":...}.
 */
void tlbcheck_print(FILE *out, enum tlbcheck_verdict v, const char *msg,
		    const struct tlbcheck_counts *c, bool json);

#endif
