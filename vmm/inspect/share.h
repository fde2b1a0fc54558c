/*
 * Who maps each frame, as the host counts it: every PTE of the user half of
 * every used mm (PROT_NONE entries included: they hold their frame), walked
 * from guest memory, next to the guest's own word for it (abi_page.refcount).
 * A frame is shared when two or more PTEs map it (copy-on-write after fork,
 * or shared memory mapped more than once); the zero page is a class of its
 * own.  The host's count decides; the guest's refcount is only compared
 * with it (a user frame's must equal it, a shmem frame's be one more, as
 * the checker's frame-refcount rule).  Used by `mm list`, `stats` and the
 * ptdump marks (docs/inspection.md).
 *
 * Bounds: one uint32_t per RAM frame (the RAM the host gave the guest), and
 * at most SHARE_MAX_LEAVES leaves counted over all mms, after which the
 * counts are lower bounds and `complete` is false (only page tables that
 * point back at themselves get there).
 */
#ifndef VMM_INSPECT_SHARE_H
#define VMM_INSPECT_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#include "shared/mm_abi.h"
#include "vmm/gmem.h"

#ifndef SHARE_MAX_LEAVES
#define SHARE_MAX_LEAVES      (1u << 24)
#endif

enum frame_sharing {
	FRAME_NOT_USER,           /* kernel half, or a frame outside RAM */
	FRAME_EXCLUSIVE,          /* one PTE maps it */
	FRAME_SHARED,             /* two or more PTEs, over all mms */
	FRAME_ZERO,               /* the zero page (mm_table.zero_page) */
};

struct frame_share {
	uint64_t npages;          /* RAM frames */
	uint32_t *maps;           /* PTEs that map each frame (saturating) */
	uint64_t zero_frame;      /* UINT64_MAX: zero_page unusable */
	uint64_t pages_gpa;       /* the guest's page array; UINT64_MAX: unusable */
	uint64_t leaves;          /* leaves counted */
	bool complete;            /* every walk complete, within SHARE_MAX_LEAVES */
};

/* What one mm's leaves hold (its walk), for mm list and stats. */
struct mm_share {
	uint64_t rss;             /* frames its leaves map, the zero page excluded */
	uint64_t shared;          /* of those, frames mapped by two or more PTEs */
	uint64_t zero_ptes;       /* leaves that map the zero page */
	uint64_t refcount_bad;    /* of its frames, those whose refcount disagrees */
};

/*
 * Count the PTEs of every used mm of t (a copy of the mm table read from g)
 * per frame into *fs (free with frame_share_free).  Returns 0 or -ENOMEM.
 * Reads a moving target when the guest runs: call it inside a snapshot
 * window (snapshot_run).
 */
int frame_share_count(const struct gmem *g, const struct mm_table *t, struct frame_share *fs);

void frame_share_free(struct frame_share *fs);

/* The class of the leaf [pa, pa + size) at va: shared if any of its frames
 * is, FRAME_NOT_USER in the kernel half or outside RAM. */
enum frame_sharing frame_share_class(const struct frame_share *fs, uint64_t va, uint64_t pa,
				     uint64_t size);

/* The guest's refcount of frame f into *refcount: 0, or -1 if its page
 * array is unusable or f is outside RAM. */
int frame_share_refcount(const struct gmem *g, const struct frame_share *fs, uint64_t f,
			 uint32_t *refcount);

/* Does the guest's refcount of frame f agree with the host's count (by its
 * type: user and zero equal, shmem one more)?  False also when it cannot be
 * read or the type maps nothing. */
bool frame_share_refcount_ok(const struct gmem *g, const struct frame_share *fs, uint64_t f);

/* Walk mm d (used by fs's count) and total what its leaves hold.  Returns 0,
 * or -E2BIG if its walk was cut short (the totals are then lower bounds). */
int mm_share_count(const struct gmem *g, const struct frame_share *fs, const struct mm_desc *d,
		   struct mm_share *out);

/* "exclusive", "shared", "zero" or "none". */
const char *frame_sharing_name(enum frame_sharing s);

#endif
