/*
 * Slab pages carry their header at the start; objects follow.  Objects are
 * handed out first from the page's free list, then by bumping through the
 * never-used tail, so a fresh page needs no initialisation loop.
 *
 * Each cache has a lock (docs/locking.md): VMAs and chain links of
 * different mms, anon_vmas and shared objects are allocated and freed on
 * several CPUs at once.  It nests outside the frame allocator's.
 */
#include "guest/mm/slab.h"
#include "guest/mm/frame.h"

struct slab_page {
	struct slab_page *next, *prev;   /* in the cache's partial list */
	void *freelist;                  /* freed objects, linked through their first word */
	uint32_t inuse;                  /* objects allocated from this page */
	uint32_t bump;                   /* objects ever handed out by bumping */
};

#define SLAB_HEADER 64
_Static_assert(sizeof(struct slab_page) <= SLAB_HEADER, "slab header");

void kmem_cache_init(struct kmem_cache *c, const char *name, uint32_t size)
{
	size = (size + 7) & ~7u;
	if (size < sizeof(void *) || size > PAGE_SIZE / 4)
		panic("kmem_cache_init: %s: bad size %u", name, size);
	c->name = name;
	c->size = size;
	c->per_page = (uint32_t)((PAGE_SIZE - SLAB_HEADER) / size);
	c->partial = NULL;
	c->nr_pages = 0;
	c->lock.v = 0;
}

static void partial_add(struct kmem_cache *c, struct slab_page *sp)
{
	sp->prev = NULL;
	sp->next = c->partial;
	if (c->partial)
		c->partial->prev = sp;
	c->partial = sp;
}

static void partial_del(struct kmem_cache *c, struct slab_page *sp)
{
	if (sp->prev)
		sp->prev->next = sp->next;
	else
		c->partial = sp->next;
	if (sp->next)
		sp->next->prev = sp->prev;
}

void *kmem_cache_alloc(struct kmem_cache *c)
{
	struct slab_page *sp;
	void *obj;

	spin_lock(&c->lock);
	sp = c->partial;
	if (!sp) {
		uint64_t pa = frame_alloc(PAGE_T_KERNEL);
		if (!pa) {
			spin_unlock(&c->lock);
			return NULL;
		}
		sp = mm_va(pa);          /* reads zero: inuse = bump = 0, freelist NULL */
		partial_add(c, sp);
		c->nr_pages++;
	}
	if (sp->freelist) {
		obj = sp->freelist;
		sp->freelist = *(void **)obj;
	} else {
		obj = (char *)sp + SLAB_HEADER + (uint64_t)sp->bump * c->size;
		sp->bump++;
	}
	if (++sp->inuse == c->per_page)
		partial_del(c, sp);
	spin_unlock(&c->lock);
	return obj;
}

void kmem_cache_free(struct kmem_cache *c, void *obj)
{
	struct slab_page *sp = (struct slab_page *)((uintptr_t)obj & ~(uintptr_t)(PAGE_SIZE - 1));

	spin_lock(&c->lock);
	if (sp->inuse == 0 || (uintptr_t)obj < (uintptr_t)sp + SLAB_HEADER)
		panic("kmem_cache_free: %s: bad object %p", c->name, obj);
	if (sp->inuse == c->per_page)
		partial_add(c, sp);
	if (--sp->inuse == 0) {
		partial_del(c, sp);
		c->nr_pages--;
		frame_free_dirty(mm_pa(sp));
	} else {
		*(void **)obj = sp->freelist;
		sp->freelist = obj;
	}
	spin_unlock(&c->lock);
}
