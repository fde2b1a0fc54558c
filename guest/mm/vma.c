/*
 * VMA helpers: allocation, anon_vma identity, split and the two merge
 * cases of Linux 6.18 (mm/vma.c) for anonymous private mappings:
 *
 *  - neighbours merge when their vm_flags and shared object are equal,
 *    their vm_pgoff is continuous and their anon_vmas are compatible
 *    (is_mergeable_anon_vma: the same one, or one side has none and the
 *    other's chain is a single link: not a VMA cloned by fork);
 *  - a new range between two mergeable neighbours whose anon_vmas differ
 *    merges with the previous one only ("prev wins");
 *  - the merged VMA inherits an anon_vma from whichever part had one.
 */
#include "guest/mm/vma.h"
#include "guest/mm/mm_trace.h"
#include "guest/mm/shmem.h"
#include "guest/mm/slab.h"

static struct kmem_cache vma_cachep;

void vma_caches_init(void)
{
	kmem_cache_init(&vma_cachep, "vm_area_struct", sizeof(struct vm_area_struct));
	anon_vma_caches_init();
	shmem_init();
}

struct vm_area_struct *vma_cache_alloc(void)
{
	struct vm_area_struct *vma = kmem_cache_alloc(&vma_cachep);

	if (vma) {
		vma->anon_chain = NULL;
		vma->shm = NULL;
	}
	return vma;
}

struct vm_area_struct *vma_dup(const struct vm_area_struct *orig)
{
	struct vm_area_struct *vma = kmem_cache_alloc(&vma_cachep);

	if (!vma)
		return NULL;
	*vma = *orig;
	vma->vm_next = vma->vm_prev = NULL;
	if (anon_vma_clone(vma, orig)) {
		kmem_cache_free(&vma_cachep, vma);
		return NULL;
	}
	shmem_get(vma->shm);
	return vma;
}

void vma_free(struct vm_area_struct *vma)
{
	unlink_anon_vmas(vma);
	shmem_put(vma->shm);
	kmem_cache_free(&vma_cachep, vma);
}

void unlink_anon_vma(struct vm_area_struct *vma)
{
	unlink_anon_vmas(vma);
}

/* Linux's is_mergeable_anon_vma: may tgt (prev or next) merge with a range
 * holding src_anon (that of src, the existing VMA being merged, or NULL)? */
static bool is_mergeable_anon_vma(const struct vm_area_struct *tgt,
				  const struct vm_area_struct *src, const struct anon_vma *src_anon)
{
	const struct anon_vma *tgt_anon = tgt->anon_vma;

	if (!tgt_anon && src_anon)
		return !vma_had_uncowed_parents(src);   /* tgt would take src's */
	if (tgt_anon && !src_anon)
		return !vma_had_uncowed_parents(tgt);   /* the range would take tgt's */
	return src_anon == tgt_anon;
}

static bool anon_compatible(const struct anon_vma *a, const struct anon_vma *b)
{
	return !a || !b || a == b;
}

static void vma_remove(struct mm_struct *mm, struct vm_area_struct *vma)
{
	vma_unlink_range(mm, vma, vma);
	vma_free(vma);
}

struct vm_area_struct *split_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr,
				 struct vm_area_struct *new)
{
	if (addr <= vma->vm_start || addr >= vma->vm_end || (addr & ~PAGE_MASK))
		panic("split_vma: %lx outside %lx-%lx", (unsigned long)addr,
		      (unsigned long)vma->vm_start, (unsigned long)vma->vm_end);
	TRACE(TEV_SPLIT_VMA, addr, vma->vm_start, vma->vm_end, mm->map_count);
	new->vm_start = addr;
	new->vm_end = vma->vm_end;
	new->vm_pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	vma->vm_end = addr;             /* vma's own gap is unchanged, new's is 0 */
	vma_link(mm, new, vma);
	return new;
}

/* Merge the empty range [start, end) (pgoff, flags, shm, and src: the VMA
 * being copied by mremap, or NULL) into prev and/or next as Linux's
 * vma_merge_new_range.  The VMA that grows takes an anon_vma from what it
 * absorbs, or from src, if it has none. */
static struct vm_area_struct *merge_new(struct mm_struct *mm, struct vm_area_struct *prev,
					struct vm_area_struct *next, uint64_t start, uint64_t end,
					uint64_t pgoff, uint64_t flags,
					const struct vm_area_struct *src)
{
	uint64_t pglen = (end - start) >> PAGE_SHIFT;
	struct anon_vma *anon = src ? src->anon_vma : NULL;
	struct shmem_object *shm = src ? src->shm : NULL;
	bool left, right;

	left = prev && prev->vm_end == start && prev->vm_flags == flags && prev->shm == shm &&
	       prev->vm_pgoff + vma_pages(prev) == pgoff &&
	       is_mergeable_anon_vma(prev, NULL, anon);
	right = next && next->vm_start == end && next->vm_flags == flags && next->shm == shm &&
		next->vm_pgoff == pgoff + pglen && is_mergeable_anon_vma(next, NULL, anon) &&
		(!left || anon_compatible(prev->anon_vma, next->anon_vma));
	TRACE_FN(mm_trace_merge, (&(struct mm_trace_merge){ prev, next, start, end, flags, pgoff,
								 anon, left, right, -1 }));

	if (left && right) {
		uint64_t new_end = next->vm_end;
		if (dup_anon_vma(prev, next))
			return NULL;
		vma_remove(mm, next);
		vma_set_range(prev, prev->vm_start, new_end, prev->vm_pgoff);
	} else if (left) {
		vma_set_range(prev, prev->vm_start, end, prev->vm_pgoff);
	} else if (right) {
		vma_set_range(next, start, next->vm_end, pgoff);
		prev = next;
	} else {
		return NULL;
	}
	if (src && dup_anon_vma(prev, src))
		return NULL;      /* out of memory: the range stays unmerged-in-anon */
	return prev;
}

struct vm_area_struct *vma_merge_new_range(struct mm_struct *mm, struct vm_area_struct *prev,
					   struct vm_area_struct *next, uint64_t start,
					   uint64_t end, uint64_t flags)
{
	/* A new anonymous range: pgoff = its address, no anon_vma yet. */
	return merge_new(mm, prev, next, start, end, start >> PAGE_SHIFT, flags, NULL);
}

struct vm_area_struct *vma_merge_copied_range(struct mm_struct *mm, struct vm_area_struct *prev,
					      struct vm_area_struct *next, uint64_t start,
					      uint64_t end, uint64_t pgoff,
					      const struct vm_area_struct *src)
{
	return merge_new(mm, prev, next, start, end, pgoff, src->vm_flags, src);
}

struct vm_area_struct *vma_merge_existing_range(struct mm_struct *mm, struct vm_area_struct *prev,
						struct vm_area_struct *middle, uint64_t start,
						uint64_t end, uint64_t flags)
{
	bool left_side = start == middle->vm_start, right_side = end == middle->vm_end;
	struct anon_vma *anon = middle->anon_vma;
	uint64_t pgoff = middle->vm_pgoff + ((start - middle->vm_start) >> PAGE_SHIFT);
	uint64_t pglen = (end - start) >> PAGE_SHIFT;
	struct vm_area_struct *next = right_side ? middle->vm_next : NULL;
	bool left, right;

	/* Only a change reaching an edge of middle can merge with that side. */
	left = left_side && prev && prev != middle && prev->vm_end == start &&
	       prev->vm_flags == flags && prev->shm == middle->shm &&
	       is_mergeable_anon_vma(prev, middle, anon) &&
	       prev->vm_pgoff + vma_pages(prev) == pgoff;
	right = next && next->vm_start == end && next->vm_flags == flags &&
		next->shm == middle->shm && is_mergeable_anon_vma(next, middle, anon) &&
		next->vm_pgoff == pgoff + pglen &&
		(!left || anon_compatible(prev->anon_vma, next->anon_vma));
	TRACE_FN(mm_trace_merge, (&(struct mm_trace_merge){ prev, middle->vm_next, start, end, flags,
		 pgoff, anon, left, right, left_side | right_side << 1 }));
	if (!left && !right)
		return NULL;

	if (left && right) {
		/* prev absorbs middle and next */
		uint64_t new_end = next->vm_end;
		if (dup_anon_vma(prev, next->anon_vma ? next : middle))
			return NULL;
		vma_unlink_range(mm, middle, next);
		vma_free(middle);
		vma_free(next);
		vma_set_range(prev, prev->vm_start, new_end, prev->vm_pgoff);
		return prev;
	}
	if (left) {
		/* prev grows over [start, end); middle shrinks or goes */
		if (dup_anon_vma(prev, middle))
			return NULL;
		if (right_side)
			vma_remove(mm, middle);
		else
			vma_set_range(middle, end, middle->vm_end, pgoff + pglen);
		vma_set_range(prev, prev->vm_start, end, prev->vm_pgoff);
		return prev;
	}
	/* next grows down over [start, end); middle shrinks or goes */
	if (dup_anon_vma(next, middle))
		return NULL;
	if (left_side)
		vma_remove(mm, middle);
	else
		vma_set_range(middle, middle->vm_start, start, middle->vm_pgoff);
	vma_set_range(next, start, next->vm_end, pgoff);
	return next;
}

/* split_vma() with Linux's map_count check; allocates the new struct. */
static int split_vma_checked(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr,
			     struct vm_area_struct **upper)
{
	struct vm_area_struct *new;

	if (mm->map_count >= MAX_MAP_COUNT)
		return -ENOMEM;
	new = vma_dup(vma);
	if (!new)
		return -ENOMEM;
	*upper = split_vma(mm, vma, addr, new);
	return 0;
}

int vma_modify_flags(struct mm_struct *mm, struct vm_area_struct *prev, struct vm_area_struct *vma,
		     uint64_t start, uint64_t end, uint64_t flags, struct vm_area_struct **result)
{
	struct vm_area_struct *merged, *upper;
	int err;

	merged = vma_merge_existing_range(mm, prev, vma, start, end, flags);
	if (merged) {
		*result = merged;
		return 0;
	}
	if (vma->vm_start < start) {
		err = split_vma_checked(mm, vma, start, &upper);
		if (err)
			return err;
		vma = upper;
	}
	if (vma->vm_end > end) {
		err = split_vma_checked(mm, vma, end, &upper);
		if (err)
			return err;
	}
	TRACE(TEV_VMA_FLAGS, vma->vm_start, vma->vm_end, vma->vm_flags, flags);
	vma->vm_flags = flags;
	*result = vma;
	return 0;
}
