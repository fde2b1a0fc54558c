/*
 * The checker every unit test runs: it recomputes from scratch what the mm
 * keeps incrementally (tree heights and gaps, list, counters, page-table
 * use counts, leaf bits, frame accounting, the zero pool) and fails the
 * test on any difference.
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"

/* The assertions of the loops over every entry and frame, run after every
 * step of every test: they fail as cr_assert does, but a passing one costs
 * a comparison, where cr_assert counts it in memory shared with the runner
 * (that count was a quarter of test_mm's time). */
#define check(cond, ...) do { if (!(cond)) cr_assert_fail(__VA_ARGS__); } while (0)
#define check_eq(a, b, ...) check((a) == (b), __VA_ARGS__)

static int check_node(struct mm_struct *mm, struct vm_area_struct *n, struct vm_area_struct *parent,
		      struct vm_area_struct **inorder, uint64_t *max_gap)
{
	int hl, hr;
	uint64_t gl = 0, gr = 0;

	if (n == VMA_NIL) {
		*max_gap = 0;
		return 0;
	}
	cr_assert_eq(n->vm_parent, parent, "parent pointer of %lx", (unsigned long)n->vm_start);
	hl = check_node(mm, n->vm_left, n, inorder, &gl);
	/* in-order position must equal the list */
	cr_assert_eq(n, *inorder, "tree order differs from the list at %lx", (unsigned long)n->vm_start);
	*inorder = n->vm_next;
	hr = check_node(mm, n->vm_right, n, inorder, &gr);
	cr_assert(hl - hr <= 1 && hr - hl <= 1, "AVL balance at %lx: %d/%d", (unsigned long)n->vm_start,
		  hl, hr);
	cr_assert_eq(n->vm_height, (hl > hr ? hl : hr) + 1, "height at %lx", (unsigned long)n->vm_start);
	cr_assert_eq(n->vm_gap, n->vm_start - (n->vm_prev ? n->vm_prev->vm_end : 0), "gap at %lx",
		     (unsigned long)n->vm_start);
	*max_gap = n->vm_gap;
	if (gl > *max_gap)
		*max_gap = gl;
	if (gr > *max_gap)
		*max_gap = gr;
	cr_assert_eq(n->vm_max_gap, *max_gap, "max gap at %lx: %lx, brute force %lx",
		     (unsigned long)n->vm_start, (unsigned long)n->vm_max_gap, (unsigned long)*max_gap);
	return n->vm_height;
}

void check_tree(struct mm_struct *mm)
{
	struct vm_area_struct *inorder = mm->mmap, *prev = NULL, *v;
	uint64_t gap, count = 0;
	bool cache_seen = mm->mmap_cache == NULL;

	cr_assert(mm->vma_root == VMA_NIL || mm->vma_root->vm_parent == NULL);
	check_node(mm, mm->vma_root, NULL, &inorder, &gap);
	cr_assert_null(inorder, "list longer than the tree");
	cr_assert_eq(vma_nil.vm_height, 0);
	cr_assert_eq(vma_nil.vm_max_gap, 0);
	for (v = mm->mmap; v; prev = v, v = v->vm_next) {
		cr_assert_eq(v->vm_prev, prev);
		cr_assert(v->vm_start < v->vm_end && v->vm_end <= TASK_SIZE);
		cr_assert(!(v->vm_start & 0xfff) && !(v->vm_end & 0xfff));
		cr_assert(!prev || prev->vm_end <= v->vm_start, "overlap at %lx", (unsigned long)v->vm_start);
		/* vm_pgoff is not checked: mremap moves it away from the address. */
		cr_assert(!(v->vm_flags & VM_WRITE) ||
			  (v->vm_flags & (VM_ACCOUNT | VM_NORESERVE | VM_SHARED)),
			  "writable private without VM_ACCOUNT or VM_NORESERVE");
		cr_assert(!(v->vm_flags & VM_SHARED) == !v->shm, "VM_SHARED without object or back");
		cr_assert(!((v->vm_flags & VM_SHARED) && v->anon_vma), "shared VMA with an anon_vma");
		cr_assert(!((v->vm_flags & VM_ACCOUNT) && (v->vm_flags & VM_NORESERVE)),
			  "VM_ACCOUNT with VM_NORESERVE");
		cr_assert(!v->anon_vma || v->anon_vma->refcount > 0);
		cr_assert(!v->anon_vma == !v->anon_chain, "anon_vma without chain or chain without");
		if (v->anon_vma) {
			/* Its own anon_vma is the newest link of its chain. */
			const struct anon_vma_chain *c = v->anon_chain;
			bool found = false;
			for (; c; c = c->next)
				found |= c->anon_vma == v->anon_vma;
			cr_assert(found, "anon_vma not in its VMA's chain");
			cr_assert(v->anon_vma->num_active_vmas > 0);
		}
		if (v == mm->mmap_cache)
			cache_seen = true;
		count++;
	}
	cr_assert_eq(mm->mmap_last, prev);
	cr_assert(cache_seen, "mmap_cache points to a detached VMA");
	cr_assert_eq(count, mm->map_count, "map_count %lu, list %lu",
		     (unsigned long)mm->map_count, (unsigned long)count);
}

/* What the host sees of mm after a request: its counters, published. */
static void check_published(struct mm_struct *mm, const struct mm_desc *d)
{
	uint32_t seq = mm_g.table->seq;

	cr_assert_eq(mm_request_begin(mm->id), mm);
	cr_assert_eq(mm_g.table->seq, seq + 1);
	cr_assert_eq(mm->mmap_lock, MMAP_LOCK_WRITER);
	mm_request_end(mm);
	cr_assert_eq(mm_g.table->seq, seq + 1 + MM_SEQ_END);
	cr_assert_eq(mm->mmap_lock, 0);
	cr_assert_eq(d->vma_head, (uint64_t)(uintptr_t)mm->mmap);
	cr_assert_eq(d->map_count, mm->map_count);
	cr_assert_eq(d->rss_pages, mm->rss_pages);
	cr_assert_eq(d->zero_ptes, mm->zero_ptes);
	cr_assert_eq(d->pt_pages, mm->pt_pages);
}

struct walk_totals {
	uint64_t rss, zeros, tables;
};

/* find_vma() without touching mmap_cache. */
static struct vm_area_struct *first_ending_above(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *n = mm->vma_root, *res = NULL;

	while (n != VMA_NIL) {
		if (addr < n->vm_end) {
			res = n;
			if (n->vm_start <= addr)
				break;
			n = n->vm_left;
		} else {
			n = n->vm_right;
		}
	}
	return res;
}

static struct vm_area_struct *vma_covering(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *v = first_ending_above(mm, addr);

	return v && v->vm_start <= addr ? v : NULL;
}

static bool span_overlaps_vma(struct mm_struct *mm, uint64_t base, uint64_t span)
{
	struct vm_area_struct *v = first_ending_above(mm, base);

	return v && v->vm_start < base + span;
}

/* PTEs seen per frame in this check_all, across every mm. */
static uint32_t mapped[FAKE_RAM_SIZE >> 12];

static void check_leaf(struct mm_struct *mm, uint64_t va, uint64_t e, struct walk_totals *t)
{
	uint64_t pa = e & PTE_ADDR;
	bool zero = pa == mm_g.zero_pa;
	struct vm_area_struct *v = vma_covering(mm, va);

	check(e & (PTE_P | PTE_PROTNONE), "garbage leaf %#lx at %lx", (unsigned long)e,
		  (unsigned long)va);
	if (zero) {
		t->zeros++;
		check(!(e & PTE_W), "writable zero page at %lx", (unsigned long)va);
	} else {
		t->rss++;
		check(mm_g.pages[pa >> 12].type == PAGE_T_USER ||
			  mm_g.pages[pa >> 12].type == PAGE_T_SHMEM, "leaf frame type at %lx",
			  (unsigned long)va);
		check_eq(mm_g.pages[pa >> 12].type == PAGE_T_SHMEM, v && (v->vm_flags & VM_SHARED),
			     "shmem page outside a shared VMA or private page in one at %lx",
			     (unsigned long)va);
		mapped[pa >> 12]++;
	}
	if (!v)
		return;   /* stray (injected): the host checker's business */
	if (!zero && (e & ~PTE_ADDR) == (pte_prot(v->vm_flags, false) & ~PTE_W) &&
	    !(v->vm_flags & VM_SHARED))
		return;   /* write-protected private page (shared after fork, or was) */
	check_eq(e & ~PTE_ADDR, pte_prot(v->vm_flags, zero), "leaf bits %#lx at %lx for flags %lx",
		     (unsigned long)e, (unsigned long)va, (unsigned long)v->vm_flags);
	check(zero || !(e & PTE_W) || mm_g.pages[pa >> 12].refcount == 1 ||
		  (v->vm_flags & VM_SHARED), "writable COW-shared page at %lx", (unsigned long)va);
}

static void check_table(struct mm_struct *mm, uint64_t pa, unsigned level, uint64_t base,
			struct walk_totals *t)
{
	uint64_t *tab = phys_to_virt(pa);
	unsigned shift = 12 + 9 * (level - 1), used = 0, n = level == 4 ? 256 : 512;
	uint64_t span = 1ULL << shift;

	for (unsigned i = 0; i < n; i++) {
		uint64_t e = tab[i], va = base + i * span;
		if (!e)
			continue;
		used++;
		if (level == 1) {
			check_leaf(mm, va, e, t);
			continue;
		}
		check_eq(e & ~PTE_ADDR, PTE_TABLE, "table entry bits at level %u", level);
		check_eq(mm_g.pages[(e & PTE_ADDR) >> 12].type, PAGE_T_PGTABLE,
			 "table type at level %u", level);
		t->tables++;
		check_table(mm, e & PTE_ADDR, level - 1, va, t);
	}
	check_eq(mm_g.pt_used[pa >> 12], used, "pt_used of table %#lx: %u, counted %u",
		     (unsigned long)pa, mm_g.pt_used[pa >> 12], used);
	/* The host checker's pgtable-empty-gap rule. */
	if (level < 4 && used == 0)
		check(span_overlaps_vma(mm, base, span << 9),
			  "empty level-%u table at %lx lies in a gap", level, (unsigned long)base);
}

void check_all(void)
{
	struct mm_table *t = mm_g.table;
	uint64_t zeros = 0, nfree = 0, used = 0;

	cr_assert_eq(t->magic, MM_TABLE_MAGIC);
	memset(mapped, 0, sizeof(mapped));
	for (unsigned i = 0; i < MM_MAX; i++) {
		struct mm_desc *d = &t->mms[i];
		struct mm_struct *mm;
		struct walk_totals w = { 0 };

		if (!d->id)
			continue;
		mm = mm_lookup(d->id);
		cr_assert_not_null(mm);
		cr_assert_eq(mm->desc, d);
		check_tree(mm);
		cr_assert_eq(mm_g.pages[d->pml4 >> 12].type, PAGE_T_PGTABLE);
		check_table(mm, d->pml4, 4, 0, &w);
		cr_assert_eq(mm->rss_pages, w.rss, "rss_pages %lu, walk %lu",
			     (unsigned long)mm->rss_pages, (unsigned long)w.rss);
		cr_assert_eq(mm->zero_ptes, w.zeros);
		cr_assert_eq(mm->pt_pages, w.tables, "pt_pages %lu, walk %lu",
			     (unsigned long)mm->pt_pages, (unsigned long)w.tables);
		check_published(mm, d);
		zeros += w.zeros;
	}
	cr_assert_eq(mm_g.pages[t->zero_page >> 12].type, PAGE_T_ZERO);
	cr_assert_eq(mm_g.pages[t->zero_page >> 12].refcount, zeros, "zero page refcount");
	for (uint64_t f = 0; f < FAKE_RAM_SIZE >> 12; f++) {
		struct abi_page *p = &mm_g.pages[f];
		if (f < frames.base_pfn) {
			check_eq(p->type, PAGE_T_RESERVED, "frame %#lx below the pool is not reserved",
				 (unsigned long)(f << 12));
			continue;
		}
		if (p->type == PAGE_T_SHMEM)
			check(p->refcount == mapped[f] + 1, "shmem frame %#lx: refcount %u, %u PTEs",
				  (unsigned long)(f << 12), p->refcount, mapped[f]);
		if (p->type == PAGE_T_USER)
			check(p->refcount == mapped[f] && p->refcount > 0, "frame %#lx: refcount %u, %u PTEs map it",
				     (unsigned long)(f << 12), p->refcount, mapped[f]);
		if (p->type == PAGE_T_FREE) {
			check_eq(p->refcount, 0, "free frame %#lx: refcount %u", (unsigned long)(f << 12),
				 p->refcount);
			nfree++;
		} else {
			check(p->type == PAGE_T_USER || p->type == PAGE_T_ZERO ||
			      p->type == PAGE_T_SHMEM ||
			      p->type == PAGE_T_PGTABLE || p->type == PAGE_T_KERNEL,
			      "frame %#lx: type %u", (unsigned long)(f << 12), p->type);
			used++;
		}
	}
	cr_assert_eq(nfree, t->frames_free, "frames_free %lu, typed free %lu",
		     (unsigned long)t->frames_free, (unsigned long)nfree);
	cr_assert_eq(nfree + used, t->frames_total);
	cr_assert_eq(t->frames_zero, frames.zero_top + (frames.end_pfn - frames.bump_pfn));
	cr_assert_eq(t->frames_free, t->frames_zero + frames.ndirty);
	/* Frames the pool calls zero read zero (the most recent ones: the
	 * top of the stack holds every frame freed or discarded lately). */
	for (uint64_t i = frames.zero_top > 128 ? frames.zero_top - 128 : 0; i < frames.zero_top; i++) {
		uint64_t pa = frames.zero_stack[i];
		static const uint8_t zero_page[4096];
		check_eq(mm_g.pages[pa >> 12].type, PAGE_T_FREE, "zero-pool frame %#lx not free",
			 (unsigned long)pa);
		check(!memcmp(fake_ram + pa, zero_page, 4096), "zero-pool frame %#lx dirty",
		      (unsigned long)pa);
	}
	for (unsigned i = 0; i < frames.ndirty; i++)
		check_eq(mm_g.pages[frames.dirty[i] >> 12].type, PAGE_T_FREE, "dirty frame %#lx not free",
			 (unsigned long)frames.dirty[i]);
}
