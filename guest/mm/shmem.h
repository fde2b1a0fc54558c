/*
 * Shared anonymous memory (MAP_SHARED | MAP_ANONYMOUS), as Linux's shmem
 * object behind such a mapping (guest/mm/shmem.c): one object per mmap,
 * of the size first mapped, holding its pages by offset; every VMA made
 * from the mapping (split, moved, forked) refers to it, and it goes with
 * the last of them.
 */
#ifndef GUEST_MM_SHMEM_H
#define GUEST_MM_SHMEM_H

#include "guest/mm/mm_types.h"

struct shmem_object {
	uint64_t refcount;        /* VMAs referring to it (atomic) */
	spinlock_t lock;          /* the tree and nr_pages (docs/locking.md) */
	uint32_t pad;
	uint64_t size;            /* pages; an access at or beyond is SIGBUS */
	uint64_t root;            /* radix tree of page addresses by offset (0: empty) */
	uint64_t nr_pages;        /* pages it holds */
};

void shmem_init(void);
/* A new object of npages pages, refcount 1, or NULL when out of memory. */
struct shmem_object *shmem_create(uint64_t npages);
/* Another VMA refers to shm (NULL: nothing). */
void shmem_get(struct shmem_object *shm);
/* A VMA referring to shm went; the last one frees the object and drops
 * its hold on every page (a page no PTE maps is freed). */
void shmem_put(struct shmem_object *shm);

/* The fault of a shared VMA at addr (page aligned) whose entry *pte (in the
 * PT page pt_pa) is empty: the object's page at that offset, allocated if
 * it has none, mapped.  A read also maps the object's pages already there
 * in the 16-page aligned window around addr, within the VMA and the PT
 * page (Linux's fault-around).  MM_FAULT_RESOLVED, MM_FAULT_SIGBUS (offset
 * beyond the object) or -ENOMEM. */
int shmem_fault(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr, uint64_t *pte,
		uint64_t pt_pa, bool write);

/* Populate [start, end) of a shared VMA as GUP would, page by page, with
 * read or write faults: 0, -EFAULT (SIGBUS beyond the object, the pages
 * before it populated) or -ENOMEM. */
int shmem_populate(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t start,
		   uint64_t end, bool write);

#endif
