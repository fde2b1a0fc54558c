/*
 * A small slab for the mm's kernel objects (VMAs, anon_vmas, mm structs):
 * one frame per slab page, typed PAGE_T_KERNEL; an empty slab page goes
 * straight back to the frame allocator.
 */
#ifndef GUEST_MM_SLAB_H
#define GUEST_MM_SLAB_H

#include "guest/mm/mm_types.h"

struct slab_page;

struct kmem_cache {
	const char *name;
	uint32_t size;                /* object size, a multiple of 8 */
	uint32_t per_page;            /* objects in one slab page */
	struct slab_page *partial;    /* pages with a free object (doubly linked) */
	uint64_t nr_pages;            /* slab pages held */
	spinlock_t lock;              /* all of the above but name and sizes */
};

/* Set up a cache of objects of `size` bytes (<= a quarter page). */
void kmem_cache_init(struct kmem_cache *c, const char *name, uint32_t size);

/* An object of c->size bytes with unspecified contents (direct-map address),
 * or NULL when no frame is left. */
void *kmem_cache_alloc(struct kmem_cache *c);

/* Give back an object from kmem_cache_alloc(c). */
void kmem_cache_free(struct kmem_cache *c, void *obj);

#endif
