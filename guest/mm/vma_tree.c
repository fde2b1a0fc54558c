/*
 * The VMA set: an AVL tree ordered by address, each node augmented with
 * vm_max_gap (the largest vm_gap = vm_start - previous vm_end in its
 * subtree) so that the top-down free-area search is O(log n), threaded by
 * the vm_next/vm_prev list that the host also reads.
 *
 * Upward walks stop as soon as a node's height and max gap come out
 * unchanged (and any node whose own gap changed has been passed): most
 * updates touch a few nodes, not the whole path to the root.
 */
#include "guest/mm/vma.h"

struct vm_area_struct vma_nil;

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline void node_update(struct vm_area_struct *n)
{
	int32_t hl = n->vm_left->vm_height, hr = n->vm_right->vm_height;

	n->vm_height = (hl > hr ? hl : hr) + 1;
	n->vm_max_gap = max_u64(n->vm_gap, max_u64(n->vm_left->vm_max_gap, n->vm_right->vm_max_gap));
}

static inline void replace_child(struct mm_struct *mm, struct vm_area_struct *parent,
				 struct vm_area_struct *old, struct vm_area_struct *new)
{
	if (!parent)
		mm->vma_root = new;
	else if (parent->vm_left == old)
		parent->vm_left = new;
	else
		parent->vm_right = new;
}

/* x's right child takes x's place. */
static struct vm_area_struct *rotate_left(struct mm_struct *mm, struct vm_area_struct *x)
{
	struct vm_area_struct *y = x->vm_right, *b = y->vm_left;

	x->vm_right = b;
	if (b != VMA_NIL)
		b->vm_parent = x;
	y->vm_parent = x->vm_parent;
	replace_child(mm, x->vm_parent, x, y);
	y->vm_left = x;
	x->vm_parent = y;
	node_update(x);
	node_update(y);
	return y;
}

/* x's left child takes x's place. */
static struct vm_area_struct *rotate_right(struct mm_struct *mm, struct vm_area_struct *x)
{
	struct vm_area_struct *y = x->vm_left, *b = y->vm_right;

	x->vm_left = b;
	if (b != VMA_NIL)
		b->vm_parent = x;
	y->vm_parent = x->vm_parent;
	replace_child(mm, x->vm_parent, x, y);
	y->vm_right = x;
	x->vm_parent = y;
	node_update(x);
	node_update(y);
	return y;
}

/* Restore the AVL balance at n (children balanced); returns the subtree's root. */
static struct vm_area_struct *rebalance(struct mm_struct *mm, struct vm_area_struct *n)
{
	int32_t bal = n->vm_left->vm_height - n->vm_right->vm_height;

	if (bal > 1) {
		struct vm_area_struct *l = n->vm_left;
		if (l->vm_left->vm_height < l->vm_right->vm_height)
			rotate_left(mm, l);
		return rotate_right(mm, n);
	}
	if (bal < -1) {
		struct vm_area_struct *r = n->vm_right;
		if (r->vm_right->vm_height < r->vm_left->vm_height)
			rotate_right(mm, r);
		return rotate_left(mm, n);
	}
	node_update(n);
	return n;
}

/* Fix heights, balance and max gaps from n up; `must` (an ancestor of n
 * whose own gap or stored values are stale, or NULL) has to be passed
 * before the walk may stop early. */
static void rebalance_up(struct mm_struct *mm, struct vm_area_struct *n, struct vm_area_struct *must)
{
	while (n) {
		struct vm_area_struct *parent = n->vm_parent;
		int32_t old_height = n->vm_height;
		uint64_t old_gap = n->vm_max_gap;

		if (n == must)
			must = NULL;
		n = rebalance(mm, n);
		if (!must && n->vm_height == old_height && n->vm_max_gap == old_gap)
			return;
		n = parent;
	}
}

/* n's own gap changed: fix the max gaps above it. */
static void set_gap(struct vm_area_struct *n, uint64_t gap)
{
	uint64_t old = n->vm_gap;

	if (gap == old)
		return;
	n->vm_gap = gap;
	if (gap > old) {
		/* Growing: every ancestor's max is at least gap from here on. */
		for (; n && n->vm_max_gap < gap; n = n->vm_parent)
			n->vm_max_gap = gap;
		return;
	}
	for (; n; n = n->vm_parent) {
		uint64_t m = max_u64(n->vm_gap, max_u64(n->vm_left->vm_max_gap, n->vm_right->vm_max_gap));
		if (m == n->vm_max_gap)
			return;
		n->vm_max_gap = m;
	}
}

void vma_tree_init(struct mm_struct *mm)
{
	mm->vma_root = VMA_NIL;
	mm->mmap = mm->mmap_last = mm->mmap_cache = NULL;
}

struct vm_area_struct *find_vma(struct mm_struct *mm, uint64_t addr)
{
	/* Faults of the mm (mmap_lock for reading) look it up and set it on
	 * several CPUs at once: a pointer to a VMA of the mm either way. */
	struct vm_area_struct *v = __atomic_load_n(&mm->mmap_cache, __ATOMIC_RELAXED), *n, *res = NULL;

	if (v && addr >= v->vm_start && addr < v->vm_end)
		return v;
	for (n = mm->vma_root; n != VMA_NIL;) {
		if (addr < n->vm_end) {
			res = n;
			if (addr >= n->vm_start)
				break;
			n = n->vm_left;
		} else {
			n = n->vm_right;
		}
	}
	if (res)
		__atomic_store_n(&mm->mmap_cache, res, __ATOMIC_RELAXED);
	return res;
}

struct vm_area_struct *find_vma_prev(struct mm_struct *mm, uint64_t addr,
				     struct vm_area_struct **pprev)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	*pprev = vma ? vma->vm_prev : mm->mmap_last;
	return vma;
}

struct vm_area_struct *find_vma_intersection(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	struct vm_area_struct *vma = find_vma(mm, start);

	return vma && vma->vm_start < end ? vma : NULL;
}

void vma_link(struct mm_struct *mm, struct vm_area_struct *vma, struct vm_area_struct *prev)
{
	struct vm_area_struct *next = prev ? prev->vm_next : mm->mmap;

	vma->vm_prev = prev;
	vma->vm_next = next;
	if (prev)
		prev->vm_next = vma;
	else
		mm->mmap = vma;
	if (next)
		next->vm_prev = vma;
	else
		mm->mmap_last = vma;
	mm->map_count++;

	vma->vm_left = vma->vm_right = VMA_NIL;
	vma->vm_height = 1;
	vma->vm_gap = vma->vm_max_gap = vma->vm_start - (prev ? prev->vm_end : 0);
	if (mm->vma_root == VMA_NIL) {
		vma->vm_parent = NULL;
		mm->vma_root = vma;
		return;
	}
	/* In order, vma goes right below prev or left below next, whichever is free. */
	if (prev && prev->vm_right == VMA_NIL) {
		prev->vm_right = vma;
		vma->vm_parent = prev;
	} else {
		if (!next || next->vm_left != VMA_NIL)
			panic("vma_link: no slot for %lx-%lx", (unsigned long)vma->vm_start,
			      (unsigned long)vma->vm_end);
		next->vm_left = vma;
		vma->vm_parent = next;
	}
	rebalance_up(mm, vma->vm_parent, NULL);
	/* next's own gap shrank: its own walk, stopping where nothing changes. */
	if (next)
		set_gap(next, next->vm_start - vma->vm_end);
}

/* Take x out of the tree (not the list); the gaps of other nodes are unchanged. */
static void tree_erase(struct mm_struct *mm, struct vm_area_struct *x)
{
	struct vm_area_struct *parent = x->vm_parent, *start, *must = NULL;

	if (x->vm_left == VMA_NIL || x->vm_right == VMA_NIL) {
		struct vm_area_struct *child = x->vm_left != VMA_NIL ? x->vm_left : x->vm_right;
		replace_child(mm, parent, x, child);
		if (child != VMA_NIL)
			child->vm_parent = parent;
		start = parent;
	} else {
		/* The in-order successor s takes x's place, x's old height and gap. */
		struct vm_area_struct *s = x->vm_right;
		while (s->vm_left != VMA_NIL)
			s = s->vm_left;
		if (s == x->vm_right) {
			start = s;
		} else {
			struct vm_area_struct *sp = s->vm_parent;
			sp->vm_left = s->vm_right;
			if (s->vm_right != VMA_NIL)
				s->vm_right->vm_parent = sp;
			s->vm_right = x->vm_right;
			x->vm_right->vm_parent = s;
			start = sp;
		}
		s->vm_left = x->vm_left;
		x->vm_left->vm_parent = s;
		s->vm_parent = parent;
		replace_child(mm, parent, x, s);
		s->vm_height = x->vm_height;
		s->vm_max_gap = x->vm_max_gap;   /* stale until the walk passes s */
		must = s;
	}
	rebalance_up(mm, start, must);
}

unsigned vma_unlink_range(struct mm_struct *mm, struct vm_area_struct *first,
			  struct vm_area_struct *last)
{
	struct vm_area_struct *prev = first->vm_prev, *next = last->vm_next, *v;
	unsigned n = 0;

	if (prev)
		prev->vm_next = next;
	else
		mm->mmap = next;
	if (next)
		next->vm_prev = prev;
	else
		mm->mmap_last = prev;
	last->vm_next = NULL;
	for (v = first; v; v = v->vm_next) {
		tree_erase(mm, v);
		if (mm->mmap_cache == v)
			mm->mmap_cache = NULL;
		n++;
	}
	if (next)
		set_gap(next, next->vm_start - (prev ? prev->vm_end : 0));
	mm->map_count -= n;
	return n;
}

void vma_set_range(struct vm_area_struct *vma, uint64_t start, uint64_t end, uint64_t pgoff)
{
	struct vm_area_struct *prev = vma->vm_prev, *next = vma->vm_next;

	vma->vm_start = start;
	vma->vm_end = end;
	vma->vm_pgoff = pgoff;
	set_gap(vma, start - (prev ? prev->vm_end : 0));
	if (next)
		set_gap(next, next->vm_start - end);
}

long unmapped_area_topdown(struct mm_struct *mm, uint64_t len, uint64_t low, uint64_t high,
			   struct vm_area_struct **pnext)
{
	struct vm_area_struct *n, *child;
	uint64_t high_limit, low_limit, gap_start, gap_end;

	if (len > high || high - len < low)
		return -ENOMEM;
	high_limit = high - len;        /* highest usable start */
	low_limit = low + len;          /* lowest usable gap end */
	*pnext = NULL;
	gap_start = mm->mmap_last ? mm->mmap_last->vm_end : 0;
	if (gap_start <= high_limit)
		return (long)high_limit;   /* above every VMA */

	n = mm->vma_root;
	if (n->vm_max_gap < len)
		return -ENOMEM;
	for (;;) {
		/* Highest addresses first: the right subtree if it may fit. */
		gap_start = n->vm_start - n->vm_gap;
		if (gap_start <= high_limit && n->vm_right->vm_max_gap >= len) {
			n = n->vm_right;
			continue;
		}
check_current:
		gap_end = n->vm_start;
		if (gap_end < low_limit)
			return -ENOMEM;    /* every gap left to visit lies lower */
		if (gap_start <= high_limit && n->vm_gap >= len) {
			*pnext = n;
			return (long)((gap_end < high ? gap_end : high) - len);
		}
		if (n->vm_left->vm_max_gap >= len) {
			n = n->vm_left;
			continue;
		}
		/* Climb to the first ancestor reached from its right subtree. */
		for (;;) {
			child = n;
			n = n->vm_parent;
			if (!n)
				return -ENOMEM;
			if (child == n->vm_right) {
				gap_start = n->vm_start - n->vm_gap;
				goto check_current;
			}
		}
	}
}
