/*
 * Consistent snapshots of the guest's memory-manager state, read while the
 * guest may be running.  The guest counts in mm_table.seq's low byte the
 * changes of published structures (VMA lists, page tables, counters, the
 * page array) in progress on its CPUs, and moves seq's generation when
 * each ends (shared/mm_abi.h): the reader copies what it needs between two
 * reads of an unchanged seq with no change in progress, and retries
 * otherwise (a seqlock with several writers).  A snapshot therefore never
 * shows a half-done operation; if the guest keeps the state changing for
 * longer than the timeout the answer is -EBUSY ("busy").
 *
 * The reader never stops the vCPU.  Accessed/dirty bits are written by the
 * CPU without touching seq, so they may be newer than the rest.
 */
#ifndef VMM_INSPECT_SNAPSHOT_H
#define VMM_INSPECT_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/mm_abi.h"
#include "vmm/gmem.h"
#include "vmm/inspect/budget.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/vmas.h"

#define SNAP_TIMEOUT_MS       1000
/* Most host memory one snapshot may hold, whatever the guest wrote: its
 * leaves, tables, bad entries and VMA lists of every mm, the copy of the
 * page array and the per-mm records together (about a million leaves).
 * A snapshot that would need more fails with -E2BIG.  With the checker's
 * own arrays (5 bytes per RAM frame) and its report, a check stays under
 * 64 MiB (docs/inspection.md, "Trust").  The fuzz build sets a smaller
 * one, to reach it in less time (tests/fuzz/CMakeLists.txt). */
#ifndef SNAP_MAX_BYTES
#define SNAP_MAX_BYTES        (48u << 20)
#endif
/* The user half: PML4 entries 0..255. */
#define USER_HALF_LAST        0x00007fffffffffffULL

/*
 * Run fn(g, ctx) until it has run entirely inside one window of an
 * unchanged seq with no change in progress.  fn must start from scratch each time (it may be called several
 * times) and must tolerate garbage (it reads a moving target).  Returns fn's
 * result from the consistent run, -EBUSY after timeout_ms (0: default),
 * or -EFAULT if the mm table is outside RAM.  *attempts (may be NULL) gets
 * the number of calls of fn.
 */
int snapshot_run(const struct gmem *g, unsigned timeout_ms,
		 int (*fn)(const struct gmem *g, void *ctx), void *ctx, unsigned *attempts);

struct snap_opts {
	uint32_t mm;             /* 0: every used mm slot */
	bool walk;               /* collect leaves, tables and walk errors (user half) */
	bool pages;              /* copy the abi_page array */
	unsigned timeout_ms;     /* 0: SNAP_TIMEOUT_MS */
};

struct mm_snap {
	struct mm_desc desc;
	struct vma_list vmas;
	int vmas_err;            /* 0, or vmas_read's error (vmas_msg says why) */
	char vmas_msg[256];
	struct ptw_leaf *leaves; /* user half, ascending, PROT_NONE leaves included */
	size_t nleaves, leaves_cap;
	struct ptw_table *tables;/* user-half tables below the PML4 */
	size_t ntables, tables_cap;
	struct ptw_error *errors;
	size_t nerrors, errors_cap;
	int walk_err;            /* 0, or -E2BIG: the walk's table budget ran out */
};

struct snapshot {
	struct snap_opts opts;   /* what was asked for */
	struct mm_table table;   /* copy, magic and version checked */
	struct abi_page *pages;  /* copy of the page array (opts.pages) */
	uint64_t npages;         /* RAM frames */
	int pages_err;           /* 0 or -EFAULT: mm_table.pages unusable */
	char pages_msg[160];
	struct mm_snap *mms;     /* the chosen used slots, in slot order */
	unsigned nmms;
	unsigned attempts;       /* reads until consistent */
	uint64_t elapsed_ns;     /* wall time taken */
	struct host_budget mem;  /* what it holds, at most SNAP_MAX_BYTES */
};

/*
 * Take a consistent snapshot.  Returns 0 and *s (free with snapshot_free),
 * or -EBUSY / -EFAULT / -EPROTO (mm table unusable) / -ESRCH (opts.mm not
 * found) / -E2BIG (it would hold more than SNAP_MAX_BYTES) / -ENOMEM with a
 * message in err.  Problems inside the guest's structures (a bad VMA list,
 * bad page-table entries) are not errors here: they are recorded in the
 * snapshot for the checker.
 */
int snapshot_take(const struct gmem *g, const struct snap_opts *o, struct snapshot *s,
		  char *err, size_t errlen);

void snapshot_free(struct snapshot *s);

/* The snapshot of mm id, or NULL. */
const struct mm_snap *snapshot_mm(const struct snapshot *s, uint32_t id);

#endif
