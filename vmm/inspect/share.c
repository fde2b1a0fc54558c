/*
 * The host's count of who maps each frame: see share.h.  Nothing read from
 * the guest is trusted: frame numbers are bounds-checked before they index
 * the counts, the page array's address is validated once, and the walks
 * are the bounded walker's.
 */
#include <errno.h>
#include <stdlib.h>

#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/share.h"
#include "vmm/inspect/snapshot.h"

struct counter {
	struct frame_share *fs;
	bool cut;                 /* SHARE_MAX_LEAVES reached */
};

/* Count each frame of one leaf; stop the walk at the leaf bound. */
static int count_leaf(void *ctx, const struct ptw_leaf *l)
{
	struct counter *c = ctx;
	struct frame_share *fs = c->fs;
	uint64_t first = l->pa >> 12, frames = l->size >> 12;

	if (fs->leaves >= SHARE_MAX_LEAVES) {
		c->cut = true;
		return 1;
	}
	fs->leaves++;
	if (first >= fs->npages || frames > fs->npages - first)
		return 0;
	for (uint64_t f = first; f < first + frames; f++)
		if (fs->maps[f] < UINT32_MAX)
			fs->maps[f]++;
	return 0;
}

int frame_share_count(const struct gmem *g, const struct mm_table *t, struct frame_share *fs)
{
	uint64_t gpa;

	*fs = (struct frame_share){ .npages = g->size >> 12, .zero_frame = UINT64_MAX,
				    .pages_gpa = UINT64_MAX, .complete = true };
	fs->maps = calloc(fs->npages ? fs->npages : 1, sizeof *fs->maps);
	if (!fs->maps)
		return -ENOMEM;
	if (t->zero_page && !(t->zero_page & 0xfff) && (t->zero_page >> 12) < fs->npages)
		fs->zero_frame = t->zero_page >> 12;
	if (gmem_direct_to_gpa(g, t->pages, fs->npages * sizeof(struct abi_page), &gpa) == 0 &&
	    !(gpa & 7))
		fs->pages_gpa = gpa;
	for (unsigned i = 0; i < MM_MAX; i++) {
		struct counter c = { .fs = fs };
		struct ptw_visitor v = { .leaf = count_leaf, .ctx = &c, .protnone = true };

		if (t->mms[i].id == 0)
			continue;
		if (ptwalk(g, t->mms[i].pml4, 0, USER_HALF_LAST, &v) != 0 || c.cut)
			fs->complete = false;
	}
	return 0;
}

void frame_share_free(struct frame_share *fs)
{
	free(fs->maps);
	fs->maps = NULL;
}

enum frame_sharing frame_share_class(const struct frame_share *fs, uint64_t va, uint64_t pa,
				     uint64_t size)
{
	uint64_t first = pa >> 12, frames = size >> 12;

	if (va > USER_HALF_LAST || first >= fs->npages || frames > fs->npages - first)
		return FRAME_NOT_USER;
	if (frames == 1 && first == fs->zero_frame)
		return FRAME_ZERO;
	for (uint64_t f = first; f < first + frames; f++)
		if (fs->maps[f] >= 2)
			return FRAME_SHARED;
	return FRAME_EXCLUSIVE;
}

/* The guest's abi_page of frame f: 0, or -1 if it cannot be read. */
static int read_page(const struct gmem *g, const struct frame_share *fs, uint64_t f,
		     struct abi_page *p)
{
	if (fs->pages_gpa == UINT64_MAX || f >= fs->npages)
		return -1;
	return gmem_read(g, fs->pages_gpa + f * sizeof *p, p, sizeof *p);
}

int frame_share_refcount(const struct gmem *g, const struct frame_share *fs, uint64_t f,
			 uint32_t *refcount)
{
	struct abi_page p;

	if (read_page(g, fs, f, &p) != 0)
		return -1;
	*refcount = p.refcount;
	return 0;
}

bool frame_share_refcount_ok(const struct gmem *g, const struct frame_share *fs, uint64_t f)
{
	struct abi_page p;

	if (read_page(g, fs, f, &p) != 0)
		return false;
	switch (p.type) {
	case PAGE_T_USER:
		return p.refcount == fs->maps[f];
	case PAGE_T_ZERO:
		return f == fs->zero_frame && p.refcount == fs->maps[f];
	case PAGE_T_SHMEM:
		return (uint64_t)p.refcount == (uint64_t)fs->maps[f] + 1;
	default:
		return false;
	}
}

struct mm_counter {
	const struct gmem *g;
	const struct frame_share *fs;
	struct mm_share *out;
	uint64_t leaves;
	bool cut;
};

static int total_leaf(void *ctx, const struct ptw_leaf *l)
{
	struct mm_counter *c = ctx;
	const struct frame_share *fs = c->fs;
	uint64_t first = l->pa >> 12, frames = l->size >> 12;

	if (++c->leaves > SHARE_MAX_LEAVES) {
		c->cut = true;
		return 1;
	}
	if (first >= fs->npages || frames > fs->npages - first)
		return 0;
	if (frames == 1 && first == fs->zero_frame) {
		c->out->zero_ptes++;
		return 0;
	}
	for (uint64_t f = first; f < first + frames; f++) {
		c->out->rss++;
		if (fs->maps[f] >= 2)
			c->out->shared++;
		if (!frame_share_refcount_ok(c->g, fs, f))
			c->out->refcount_bad++;
	}
	return 0;
}

int mm_share_count(const struct gmem *g, const struct frame_share *fs, const struct mm_desc *d,
		   struct mm_share *out)
{
	struct mm_counter c = { .g = g, .fs = fs, .out = out };
	struct ptw_visitor v = { .leaf = total_leaf, .ctx = &c, .protnone = true };

	*out = (struct mm_share){ 0 };
	return ptwalk(g, d->pml4, 0, USER_HALF_LAST, &v) == 0 && !c.cut ? 0 : -E2BIG;
}

const char *frame_sharing_name(enum frame_sharing s)
{
	switch (s) {
	case FRAME_EXCLUSIVE: return "exclusive";
	case FRAME_SHARED:    return "shared";
	case FRAME_ZERO:      return "zero";
	case FRAME_NOT_USER:  break;
	}
	return "none";
}
