/*
 * Shared anonymous memory objects (shmem.h).  The pages of an object are
 * found by offset through a radix tree of 512-entry nodes (frames typed
 * PAGE_T_KERNEL, zero when allocated), four levels: offsets below 2^36
 * pages, more than the user half holds.  A page is typed PAGE_T_SHMEM and
 * its refcount is the PTEs that map it plus one for the object, so its map
 * count is refcount - 1 (frame_mapcount) and unmapping it never frees it;
 * the object's end frees every page no PTE maps any more.
 *
 * An object is shared by the mms of a fork, whose faults run at the same
 * time on several CPUs: its lock guards the tree and nr_pages; its
 * refcount and its pages' refcounts move by atomic operations (the last
 * VMA's shmem_put frees it, when no one else can reach it).
 */
#include "guest/mm/shmem.h"
#include "guest/mm/frame.h"
#include "guest/mm/mm.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/slab.h"

#define SHMEM_LEVELS 4
#define FAULT_AROUND_PAGES 16    /* Linux's fault_around_bytes: 64 KiB */

static struct kmem_cache shmem_cachep;

void shmem_init(void)
{
	kmem_cache_init(&shmem_cachep, "shmem_object", sizeof(struct shmem_object));
}

struct shmem_object *shmem_create(uint64_t npages)
{
	struct shmem_object *shm = kmem_cache_alloc(&shmem_cachep);

	if (shm)
		*shm = (struct shmem_object){ .refcount = 1, .size = npages };
	return shm;
}

void shmem_get(struct shmem_object *shm)
{
	if (shm)
		__atomic_fetch_add(&shm->refcount, 1, __ATOMIC_RELAXED);
}

/* Drop the object's hold on the pages below node (level 1: page addresses)
 * and free the node. */
static void free_node(uint64_t node, unsigned level)
{
	uint64_t *slot = mm_va(node);

	for (unsigned i = 0; i < PTRS_PER_TABLE; i++) {
		uint64_t pa = slot[i];
		if (!pa)
			continue;
		if (level > 1) {
			free_node(pa, level - 1);
		} else if (__atomic_sub_fetch(&frame_page(pa)->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
			frame_free_dirty(pa);      /* logs TLOG_FRAME_FREE */
		}
	}
	frame_free_dirty(node);
}

void shmem_put(struct shmem_object *shm)
{
	if (!shm || __atomic_sub_fetch(&shm->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	if (shm->root)
		free_node(shm->root, SHMEM_LEVELS);
	kmem_cache_free(&shmem_cachep, shm);
}

/* The slot of offset pgoff, allocating nodes if alloc; NULL if absent (or
 * out of memory when alloc). */
static uint64_t *shmem_slot(struct shmem_object *shm, uint64_t pgoff, bool alloc)
{
	uint64_t *slot = &shm->root;

	for (unsigned level = SHMEM_LEVELS; level > 0; level--) {
		if (!*slot) {
			if (!alloc || !(*slot = frame_alloc(PAGE_T_KERNEL)))
				return NULL;
		}
		slot = (uint64_t *)mm_va(*slot) + ((pgoff >> (9 * (level - 1))) & 511);
	}
	return slot;
}

/* The object's page at pgoff, 0 if it has none. */
static uint64_t shmem_find(struct shmem_object *shm, uint64_t pgoff)
{
	uint64_t *slot = shmem_slot(shm, pgoff, false);

	return slot ? *slot : 0;
}

/* Map the object's page pa at *pte. */
static void map_page(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t *pte,
		     uint64_t pt_pa, uint64_t pa)
{
	*pte = pa | pte_prot(vma->vm_flags, false);
	__atomic_fetch_add(&frame_page(pa)->refcount, 1, __ATOMIC_RELAXED);
	mm->rss_pages++;
	mm_g.pt_used[pt_pa >> PAGE_SHIFT]++;
}

/* Linux's do_fault_around: map the pages the object already holds in the
 * aligned window of addr, clamped to the VMA and to the PT page. */
static void fault_around(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr,
			 uint64_t *pte, uint64_t pt_pa)
{
	uint64_t win = FAULT_AROUND_PAGES * PAGE_SIZE;
	uint64_t from = addr & ~(win - 1), to = from + win;
	uint64_t pt_base = addr & ~((1ULL << 21) - 1);
	uint64_t *first = pte - ((addr - pt_base) >> PAGE_SHIFT);

	if (from < vma->vm_start)
		from = vma->vm_start;
	if (to > vma->vm_end)
		to = vma->vm_end;
	if (to > pt_base + (1ULL << 21))
		to = pt_base + (1ULL << 21);
	for (uint64_t a = from; a < to; a += PAGE_SIZE) {
		uint64_t *p = first + ((a - pt_base) >> PAGE_SHIFT);
		uint64_t pgoff = vma->vm_pgoff + ((a - vma->vm_start) >> PAGE_SHIFT), pa;
		if (*p || pgoff >= vma->shm->size || !(pa = shmem_find(vma->shm, pgoff)))
			continue;
		map_page(mm, vma, p, pt_pa, pa);
	}
}

int shmem_fault(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr, uint64_t *pte,
		uint64_t pt_pa, bool write)
{
	struct shmem_object *shm = vma->shm;
	uint64_t pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT), *slot;

	if (pgoff >= shm->size)
		return MM_FAULT_SIGBUS;
	spin_lock(&shm->lock);
	if (!write) {
		fault_around(mm, vma, addr, pte, pt_pa);
		if (*pte) {
			spin_unlock(&shm->lock);
			return MM_FAULT_RESOLVED;
		}
	}
	slot = shmem_slot(shm, pgoff, true);
	if (slot && !*slot) {
		uint64_t pa = frame_alloc(PAGE_T_SHMEM);
		if (pa)
			shm->nr_pages++;
		*slot = pa;                   /* refcount 1: the object's */
	}
	if (!slot || !*slot) {
		spin_unlock(&shm->lock);
		return -ENOMEM;
	}
	map_page(mm, vma, pte, pt_pa, *slot);
	spin_unlock(&shm->lock);
	return MM_FAULT_RESOLVED;
}

int shmem_populate(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t start,
		   uint64_t end, bool write)
{
	for (uint64_t addr = start; addr < end; addr += PAGE_SIZE) {
		uint64_t pt_pa, *pte = pte_alloc_walk(mm, addr, &pt_pa);
		int r;

		if (!pte)
			return -ENOMEM;
		if (*pte)
			continue;
		r = shmem_fault(mm, vma, addr, pte, pt_pa, write);
		if (r == MM_FAULT_SIGBUS)
			return -EFAULT;
		if (r < 0)
			return r;
	}
	return 0;
}
