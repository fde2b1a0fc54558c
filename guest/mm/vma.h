/*
 * The VMA set of an mm (vma_tree.c: an AVL tree augmented with the largest
 * gap below each node, threaded by the vm_next/vm_prev list) and the VMA
 * helpers built on it (vma.c: allocation, anon_vma, split, merge).
 */
#ifndef GUEST_MM_VMA_H
#define GUEST_MM_VMA_H

#include "guest/mm/mm_types.h"

/* The empty child of every tree node (height 0, no gap). */
extern struct vm_area_struct vma_nil;
#define VMA_NIL (&vma_nil)

/* ---- vma_tree.c ---- */

/* An empty VMA set. */
void vma_tree_init(struct mm_struct *mm);

/* The first VMA with vm_end > addr (it may start above addr), or NULL.
 * Checks and refreshes mm->mmap_cache. */
struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr);

/* find_vma(), and in *pprev the VMA before it (the last VMA if none). */
struct vm_area_struct *find_vma_prev(struct mm_struct *mm, uint64_t addr,
				     struct vm_area_struct **pprev);

/* The first VMA overlapping [start, end), or NULL. */
struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, uint64_t start, uint64_t end);

/* Insert vma (vm_start/vm_end set, not overlapping anything) right after
 * prev (NULL: first) in list and tree; map_count++. */
void vma_link(struct mm_struct *mm, struct vm_area_struct *vma, struct vm_area_struct *prev);

/* Remove the consecutive VMAs first..last from list and tree.  They stay
 * chained first -> ... -> last -> NULL through vm_next; mmap_cache is
 * dropped if it was one of them; map_count drops.  Returns how many. */
unsigned vma_unlink_range(struct mm_struct *mm, struct vm_area_struct *first,
			  struct vm_area_struct *last);

/* Move vma's bounds (no overlap with its neighbours, same neighbours) and
 * keep the gaps right.  When moving two neighbours, shrink one before
 * growing the other. */
void vma_set_range(struct vm_area_struct *vma, uint64_t start, uint64_t end, uint64_t pgoff);

/* Highest addr with [addr, addr + len) unmapped, low <= addr and
 * addr + len <= high, or -ENOMEM; *pnext = the VMA right above it (NULL
 * if none).  O(log n) over the gap-augmented tree. */
long unmapped_area_topdown(struct mm_struct *mm, uint64_t len, uint64_t low, uint64_t high,
			   struct vm_area_struct **pnext);

/* ---- vma.c ---- */

/* Set up the VMA and anon_vma slab caches (mm_init). */
void vma_caches_init(void);

/* A VMA struct with unspecified contents, or NULL: for vma_alloc() only. */
struct vm_area_struct *vma_cache_alloc(void);

/* A new detached VMA (as Linux's vm_area_alloc): [start, end) with pgoff and
 * flags, no anon_vma, in no list or tree (vma_link() sets the links); NULL
 * when out of memory.  Inline: the caller has the values in registers. */
static inline struct vm_area_struct *vma_alloc(uint64_t start, uint64_t end, uint64_t pgoff,
					       uint64_t flags)
{
	struct vm_area_struct *vma = vma_cache_alloc();

	if (vma) {
		vma->vm_start = start;
		vma->vm_end = end;
		vma->vm_pgoff = pgoff;
		vma->vm_flags = flags;
		vma->vm_next = vma->vm_prev = NULL;
		vma->anon_vma = NULL;
	}
	return vma;
}

/* A detached copy of orig (as Linux's vm_area_dup) holding its own reference
 * to orig's anon_vma, for split_vma(); NULL when out of memory. */
struct vm_area_struct *vma_dup(const struct vm_area_struct *orig);

/* Free a VMA that is in no list or tree; drops its anon_vma reference. */
void vma_free(struct vm_area_struct *vma);

/* ---- anon_vma.c ---- */

void anon_vma_caches_init(void);
/* Does vma's chain hold more than its own anon_vma (cloned by fork)? */
bool vma_had_uncowed_parents(const struct vm_area_struct *vma);
unsigned anon_chain_length(const struct vm_area_struct *vma);
/* Leave every anon_vma of vma's chain (freeing emptied ones); anon_vma NULL. */
void unlink_anon_vmas(struct vm_area_struct *vma);
/* dst's chain := src's (dst->anon_vma kept, or a reusable one): 0 or -ENOMEM
 * (dst then has no chain and no anon_vma). */
int anon_vma_clone(struct vm_area_struct *dst, const struct vm_area_struct *src);
/* A forked VMA's anon_vma and chain from its parent's pvma: 0 or -ENOMEM. */
int anon_vma_fork(struct vm_area_struct *vma, const struct vm_area_struct *pvma);
/* dst without anon_vma takes src's and clones its chain: 0 or -ENOMEM. */
int dup_anon_vma(struct vm_area_struct *dst, const struct vm_area_struct *src);

/* Drop vma's anon_vma (mremap dontunmap of a whole VMA: its pages left). */
void unlink_anon_vma(struct vm_area_struct *vma);

/* Give vma an anon_vma if it has none (first write fault): a compatible
 * neighbour's (find_mergeable_anon_vma) or a new one.  0 or -ENOMEM. */
int anon_vma_prepare(struct vm_area_struct *vma);

/* Split vma at addr (strictly inside it, page aligned) using new, a
 * vma_dup() of vma (or of a VMA with the same flags and anon_vma): vma keeps
 * [vm_start, addr) and its vm_pgoff, new gets [addr, vm_end) with vm_pgoff
 * advanced.
 * No map_count check: callers apply Linux's rule first.  Returns new. */
struct vm_area_struct *split_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr,
				 struct vm_area_struct *new);

/* mmap: merge the new range [start, end) (empty, between prev and next)
 * with flags into prev and/or next as Linux's vma_merge_new_range.
 * Returns the VMA now covering the range, or NULL (no merge). */
struct vm_area_struct *vma_merge_new_range(struct mm_struct *mm, struct vm_area_struct *prev,
					   struct vm_area_struct *next, uint64_t start,
					   uint64_t end, uint64_t flags);

/* mremap: merge the range [start, end) (empty, between prev and next) that
 * src is being copied to, with pgoff, into prev and/or next as Linux's
 * copy_vma (src's flags and anon_vma; the VMA that grows takes src's
 * anon_vma if it has none).  Returns the VMA now covering the range, or NULL. */
struct vm_area_struct *vma_merge_copied_range(struct mm_struct *mm, struct vm_area_struct *prev,
					      struct vm_area_struct *next, uint64_t start,
					      uint64_t end, uint64_t pgoff,
					      const struct vm_area_struct *src);

/* mprotect: [start, end) of middle gets flags; merge it into prev and/or
 * the next VMA as Linux's vma_merge_existing_range.  prev is middle's
 * predecessor (or middle itself when start > middle->vm_start).  Returns
 * the VMA now covering [start, end), or NULL (no merge, nothing changed). */
struct vm_area_struct *vma_merge_existing_range(struct mm_struct *mm, struct vm_area_struct *prev,
						struct vm_area_struct *middle, uint64_t start,
						uint64_t end, uint64_t flags);

/* Give [start, end) of vma (prev: the VMA before start, or vma itself when
 * start is inside it) the flags: merged into a neighbour if possible, else
 * split off (each split refused with -ENOMEM at the map_count limit, what
 * was done staying, as Linux's vma_modify_flags).  *result: the VMA now
 * covering [start, end). */
int vma_modify_flags(struct mm_struct *mm, struct vm_area_struct *prev, struct vm_area_struct *vma,
		     uint64_t start, uint64_t end, uint64_t flags, struct vm_area_struct **result);

#endif
