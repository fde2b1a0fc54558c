/*
 * Frame allocator: every frame of [free_start, ram_size) not used for the
 * allocator's own metadata, with a pool of frames known to read zero and a
 * short list of dirty freed frames that the host zeroes in batches.
 */
#ifndef GUEST_MM_FRAME_H
#define GUEST_MM_FRAME_H

#include "guest/mm/mm_types.h"

/* The allocator's state is guarded by lock (docs/locking.md); the abi_page
 * refcount of a frame in use moves by atomic operations instead (frames
 * shared between mms after fork, the zero page, shared objects' pages). */
struct frame_state {
	spinlock_t lock;
	uint64_t base_pfn;        /* first managed frame (after the metadata) */
	uint64_t end_pfn;         /* ram_size >> 12 */
	uint64_t bump_pfn;        /* [bump_pfn, end_pfn) never handed out: zero */
	uint64_t *zero_stack;     /* addresses of freed frames known to read zero */
	uint64_t zero_top;
	uint64_t *dirty;          /* freed frames awaiting HC_DISCARD (one direct-map page) */
	unsigned ndirty;
	uint64_t discards;        /* HC_DISCARD calls made */
};

extern struct frame_state frames;

/* Carve the metadata (abi_page array, page-table use counts, zero stack,
 * discard batch) from the start of [free_start, ram_size), type the frames
 * below it reserved and publish the counters in mm_g.table.  Panics if RAM
 * is too small. */
void frame_init(uint64_t free_start, uint64_t ram_size);

/* frame_alloc_locked() once the zero stack and the bump range are empty:
 * discards the dirty list and retries; 0 if nothing is free at all. */
uint64_t frame_alloc_slow(uint32_t type);

static inline void frame_lock(void)
{
	spin_lock(&frames.lock);
}

static inline void frame_unlock(void)
{
	spin_unlock(&frames.lock);
}

/* frame_alloc() with frames.lock held. */
static inline uint64_t frame_alloc_locked(uint32_t type)
{
	uint64_t pa;

	if (frames.zero_top)
		pa = frames.zero_stack[--frames.zero_top];
	else if (frames.bump_pfn < frames.end_pfn)
		pa = frames.bump_pfn++ << PAGE_SHIFT;
	else
		return frame_alloc_slow(type);
	mm_g.pages[pa >> PAGE_SHIFT] = (struct abi_page){ .refcount = 1, .type = type };
	mm_g.table->frames_free--;
	mm_g.table->frames_zero--;
	return pa;
}

/* A frame that reads zero, typed `type` with refcount 1; 0 if none is left. */
static inline uint64_t frame_alloc(uint32_t type)
{
	uint64_t pa;

	frame_lock();
	pa = frame_alloc_locked(type);
	frame_unlock();
	return pa;
}

/* n physically contiguous frames that read zero, typed `type` with refcount
 * 1, from the never-used range: the first one's address, or 0 if the range
 * is too short.  For boot-time buffers (the TLB-coherence log's ring);
 * they are never given back. */
uint64_t frame_alloc_contig(uint64_t n, uint32_t type);

/* Give back a frame whose contents are zero (an emptied page table). */
void frame_free_zero(uint64_t pa);
/* The same with frames.lock held. */
void frame_free_zero_locked(uint64_t pa);

/* Give back a frame with data in it; the host zeroes it before reuse. */
void frame_free_dirty(uint64_t pa);

/* The frames of n leaf PTEs just unmapped (and flushed): each user frame
 * loses a mapping and is freed as dirty with its last one, entries for the
 * zero page are skipped.  Returns how many
 * were the zero page.  Panics on any other frame.  frames.lock held (the
 * gather takes it once for its batch). */
unsigned frame_free_unmapped(const uint64_t *pas, unsigned n);

/* Hand every dirty frame to the host (HC_DISCARD) and move them to the zero pool
 * (frames.lock held). */
void frame_discard_dirty(void);

static inline struct abi_page *frame_page(uint64_t pa)
{
	return &mm_g.pages[pa >> PAGE_SHIFT];
}

/* The page-table entries that map the user or shmem frame at pa. */
static inline uint32_t frame_mapcount(uint64_t pa)
{
	const struct abi_page *p = frame_page(pa);

	return p->type == PAGE_T_SHMEM ? p->refcount - 1 : p->refcount;
}

#endif
