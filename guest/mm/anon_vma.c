/*
 * anon_vmas and their chains, as Linux 6.18's mm/rmap.c builds them (the
 * guest has no reverse map to walk, but the chains decide which VMAs may
 * merge, so their shape must be Linux's):
 *
 *  - anon_vma_prepare (first write fault): a neighbour's anon_vma when the
 *    neighbour is compatible and its chain is a single link, else a new
 *    root (its own parent: num_children 1); the VMA's chain is that one link;
 *  - anon_vma_clone (split, mremap copy, a merge taking over another VMA's
 *    anon_vma): the destination chains every anon_vma of the source's chain;
 *    a destination without anon_vma reuses one that has no VMA of its own
 *    and fewer than two children;
 *  - anon_vma_fork: the child VMA clones the parent VMA's chain and, unless
 *    it reused one, gets a new anon_vma whose parent is the parent VMA's;
 *  - unlink_anon_vmas: the VMA leaves every anon_vma of its chain; one left
 *    with no chain link is freed and its parent loses a child.
 *
 * A chain of more than one link marks a VMA cloned from a parent process
 * (vma_had_uncowed_parents): such a VMA neither lends its anon_vma to a
 * neighbour nor merges with a neighbour that lacks one.
 *
 * Locks (docs/locking.md): a VMA's anon_vma and chain change under its
 * mm's mmap_lock for writing, or for reading with the page_table_lock
 * (anon_vma_prepare in a fault).  The anon_vmas themselves are shared by
 * the mms of a fork, whose requests run at the same time: their counters
 * move by atomic operations, the CPU whose unlink takes a refcount to zero
 * frees it (no one else can reach it then), and taking over an unused one
 * is a compare-and-swap of num_active_vmas from 0.
 */
#include "guest/mm/vma.h"
#include "guest/mm/slab.h"

static struct kmem_cache anon_vma_cachep;
static struct kmem_cache avc_cachep;
static uint64_t anon_vma_serial;

/* In unlink_anon_vmas: this link took its anon_vma's refcount to zero. */
#define AVC_LAST ((uintptr_t)1)

void anon_vma_caches_init(void)
{
	kmem_cache_init(&anon_vma_cachep, "anon_vma", sizeof(struct anon_vma));
	kmem_cache_init(&avc_cachep, "anon_vma_chain", sizeof(struct anon_vma_chain));
}

static struct anon_vma *anon_vma_alloc(void)
{
	struct anon_vma *av = kmem_cache_alloc(&anon_vma_cachep);

	if (av) {
		av->refcount = 0;
		av->serial = __atomic_add_fetch(&anon_vma_serial, 1, __ATOMIC_RELAXED);
		av->parent = av;
		av->num_children = 0;
		av->num_active_vmas = 0;
	}
	return av;
}

/* A link for vma's chain: its own first link while the chain is empty, else
 * one from the slab; NULL when out of memory. */
static struct anon_vma_chain *avc_alloc(struct vm_area_struct *vma)
{
	return vma->anon_chain ? kmem_cache_alloc(&avc_cachep) : &vma->avc_first;
}

static void avc_free(struct vm_area_struct *vma, struct anon_vma_chain *avc)
{
	if (avc != &vma->avc_first)
		kmem_cache_free(&avc_cachep, avc);
}

/* Append a link to av at the end (newest) of vma's chain. */
static void chain_link(struct vm_area_struct *vma, struct anon_vma_chain *avc,
		       struct anon_vma *av)
{
	struct anon_vma_chain **pp = &vma->anon_chain;

	while (*pp)
		pp = &(*pp)->next;
	avc->anon_vma = av;
	avc->next = NULL;
	*pp = avc;
	__atomic_fetch_add(&av->refcount, 1, __ATOMIC_RELAXED);
}

bool vma_had_uncowed_parents(const struct vm_area_struct *vma)
{
	return vma && vma->anon_vma && vma->anon_chain && vma->anon_chain->next;
}

unsigned anon_chain_length(const struct vm_area_struct *vma)
{
	unsigned n = 0;

	for (const struct anon_vma_chain *c = vma->anon_chain; c; c = c->next)
		n++;
	return n;
}

void unlink_anon_vmas(struct vm_area_struct *vma)
{
	struct anon_vma_chain *c, *next;

	/* First every anon_vma loses the link (a parent may empty too); the
	 * link that took one to zero is tagged: this CPU frees it... */
	for (c = vma->anon_chain; c; c = c->next) {
		struct anon_vma *av = c->anon_vma;
		if (__atomic_sub_fetch(&av->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
			__atomic_fetch_sub(&av->parent->num_children, 1, __ATOMIC_RELAXED);
			c->anon_vma = (struct anon_vma *)((uintptr_t)av | AVC_LAST);
		}
	}
	if (vma->anon_vma)
		__atomic_fetch_sub(&vma->anon_vma->num_active_vmas, 1, __ATOMIC_RELAXED);
	vma->anon_vma = NULL;
	/* ...then the empty ones go. */
	for (c = vma->anon_chain; c; c = next) {
		uintptr_t tagged = (uintptr_t)c->anon_vma;
		next = c->next;
		if (tagged & AVC_LAST) {
			struct anon_vma *av = (struct anon_vma *)(tagged & ~AVC_LAST);
			if (av->num_children || av->num_active_vmas)
				panic("unlink_anon_vmas: anon_vma %lu freed while in use",
				      (unsigned long)av->serial);
			kmem_cache_free(&anon_vma_cachep, av);
		}
		avc_free(vma, c);
	}
	vma->anon_chain = NULL;
}

/* Take av as a VMA's own if no VMA has it: num_active_vmas 0 -> 1. */
static bool claim(struct anon_vma *av)
{
	uint32_t none = 0;

	return __atomic_compare_exchange_n(&av->num_active_vmas, &none, 1, false,
					   __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

int anon_vma_clone(struct vm_area_struct *dst, const struct vm_area_struct *src)
{
	if (dst->anon_vma)
		__atomic_fetch_add(&dst->anon_vma->num_active_vmas, 1, __ATOMIC_RELAXED);
	dst->anon_chain = NULL;
	for (const struct anon_vma_chain *p = src->anon_chain; p; p = p->next) {
		struct anon_vma_chain *avc = avc_alloc(dst);
		struct anon_vma *av = p->anon_vma;
		if (!avc) {
			if (dst->anon_vma)
				__atomic_fetch_sub(&dst->anon_vma->num_active_vmas, 1,
						   __ATOMIC_RELAXED);
			dst->anon_vma = NULL;
			unlink_anon_vmas(dst);
			return -ENOMEM;
		}
		chain_link(dst, avc, av);
		/* Reuse an anon_vma that no VMA holds and with one child at most;
		 * never a root (it counts itself and has a child).  Claimed by a
		 * compare-and-swap: a fork of another mm sharing it may try too. */
		if (!dst->anon_vma && src->anon_vma && av->num_children < 2 && claim(av))
			dst->anon_vma = av;
	}
	return 0;
}

int anon_vma_fork(struct vm_area_struct *vma, const struct vm_area_struct *pvma)
{
	struct anon_vma_chain *avc;
	struct anon_vma *av;

	vma->anon_chain = NULL;
	vma->anon_vma = NULL;
	if (!pvma->anon_vma)
		return 0;
	if (anon_vma_clone(vma, pvma))
		return -ENOMEM;
	if (vma->anon_vma)
		return 0;                 /* reused an old one */
	av = anon_vma_alloc();
	avc = av ? avc_alloc(vma) : NULL;
	if (!avc) {
		if (av)
			kmem_cache_free(&anon_vma_cachep, av);
		unlink_anon_vmas(vma);
		return -ENOMEM;
	}
	av->num_active_vmas++;
	av->parent = pvma->anon_vma;
	vma->anon_vma = av;
	chain_link(vma, avc, av);
	__atomic_fetch_add(&av->parent->num_children, 1, __ATOMIC_RELAXED);
	return 0;
}

/* Could a and b (a right below b) share an anon_vma: adjacent, the same
 * flags but for the access bits, continuous pgoff (Linux's anon_vma_compatible). */
static bool anon_vma_compatible(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start && !((a->vm_flags ^ b->vm_flags) & ~VM_ACCESS_FLAGS) &&
	       b->vm_pgoff == a->vm_pgoff + vma_pages(a);
}

/* A neighbour's anon_vma that vma may reuse, the next one first, as Linux's
 * find_mergeable_anon_vma(): only one whose chain is a single link
 * (reusable_anon_vma). */
static struct anon_vma *find_mergeable_anon_vma(const struct vm_area_struct *vma)
{
	const struct vm_area_struct *next = vma->vm_next, *prev = vma->vm_prev;

	if (next && next->anon_vma && anon_vma_compatible(vma, next) &&
	    !vma_had_uncowed_parents(next))
		return next->anon_vma;
	if (prev && prev->anon_vma && anon_vma_compatible(prev, vma) &&
	    !vma_had_uncowed_parents(prev))
		return prev->anon_vma;
	return NULL;
}

int anon_vma_prepare(struct vm_area_struct *vma)
{
	struct anon_vma_chain *avc;
	struct anon_vma *av;

	if (vma->anon_vma)
		return 0;
	avc = avc_alloc(vma);
	if (!avc)
		return -ENOMEM;
	av = find_mergeable_anon_vma(vma);
	if (!av) {
		av = anon_vma_alloc();
		if (!av) {
			avc_free(vma, avc);
			return -ENOMEM;
		}
		av->num_children++;       /* self-parent link of a new root */
	}
	vma->anon_vma = av;
	chain_link(vma, avc, av);
	__atomic_fetch_add(&av->num_active_vmas, 1, __ATOMIC_RELAXED);
	return 0;
}

int dup_anon_vma(struct vm_area_struct *dst, const struct vm_area_struct *src)
{
	if (src->anon_vma && !dst->anon_vma) {
		dst->anon_vma = src->anon_vma;
		return anon_vma_clone(dst, src);
	}
	return 0;
}
