/*
 * The memory manager's own types: VMAs, anon_vmas, address spaces, the
 * page-table entry bits it writes, and the little global state it keeps.
 */
#ifndef GUEST_MM_MM_TYPES_H
#define GUEST_MM_MM_TYPES_H

#include "guest/mm/locks.h"
#include "guest/mm/mm_internal.h"
#include "shared/pte.h"

#define PAGE_SHIFT            12
#define PAGE_SIZE             PAGE_SIZE_4K
#define PAGE_MASK             (~(PAGE_SIZE - 1))
#define PAGE_ALIGN(x)         (((x) + PAGE_SIZE - 1) & PAGE_MASK)
/* End of the user half: page tables below it belong to the mm. */
#define USER_PGTABLES_CEILING (1ULL << 47)
#define PTRS_PER_TABLE        512

/* x86-64 page-table entry bits: shared/pte.h. */
#define PTE_ADDR              PTE_ADDR_MASK
/* Entries pointing to a lower table: the leaf decides the permissions. */
#define PTE_TABLE             (PTE_P | PTE_W | PTE_U | PTE_A)

/* #PF error code bits. */
#define PF_PROT               (1u << 0)
#define PF_WRITE              (1u << 1)
#define PF_USER               (1u << 2)
#define PF_INSTR              (1u << 4)

#define VM_ACCESS_FLAGS       (VM_READ | VM_WRITE | VM_EXEC)
#define VM_MAY_ALL            (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

/*
 * Linux's anon_vma tree (guest/mm/anon_vma.c): VMAs that share one may merge;
 * split VMAs share theirs; a forked VMA gets a new one whose parent is the
 * forking VMA's, and a chain that holds its parent's chain plus its own.
 */
struct anon_vma {
	uint64_t refcount;        /* chain entries (avcs) pointing here: its "tree" */
	uint64_t serial;          /* for debugging output */
	struct anon_vma *parent;  /* itself for a root */
	uint32_t num_children;    /* live anon_vmas whose parent this is (a root counts itself) */
	uint32_t num_active_vmas; /* VMAs whose anon_vma this is */
};

/* One link of a VMA's anon_vma chain (Linux's anon_vma_chain), oldest first. */
struct anon_vma_chain {
	struct anon_vma *anon_vma;
	struct anon_vma_chain *next;
};

struct vm_area_struct {
	/* --- the published head: exactly struct abi_vma --- */
	uint64_t vm_start;
	uint64_t vm_end;                      /* exclusive */
	uint64_t vm_pgoff;                    /* pages; addr >> 12 for anonymous private */
	uint64_t vm_flags;                    /* VM_* */
	struct vm_area_struct *vm_next;       /* address order, NULL at the end */
	struct vm_area_struct *vm_prev;
	struct anon_vma *anon_vma;            /* set by the first write fault */
	/* --- private: AVL tree augmented with the largest gap --- */
	struct vm_area_struct *vm_left;       /* &vma_nil when empty */
	struct vm_area_struct *vm_right;
	struct vm_area_struct *vm_parent;     /* NULL at the root */
	uint64_t vm_gap;                      /* vm_start - previous VMA's end (or 0) */
	uint64_t vm_max_gap;                  /* largest vm_gap in this subtree */
	int32_t vm_height;                    /* leaf 1, vma_nil 0 */
	uint32_t vm_pad;
	struct anon_vma_chain *anon_chain;    /* oldest first; NULL without anon_vma */
	struct shmem_object *shm;             /* VM_SHARED: the object holding its pages */
	/* The chain's first link lives here (anon_vma.c): most chains have
	 * one, so a split or a merge allocates and frees no link. */
	struct anon_vma_chain avc_first;
};

_Static_assert(offsetof(struct vm_area_struct, vm_start) == offsetof(struct abi_vma, vm_start), "vma head");
_Static_assert(offsetof(struct vm_area_struct, vm_end) == offsetof(struct abi_vma, vm_end), "vma head");
_Static_assert(offsetof(struct vm_area_struct, vm_pgoff) == offsetof(struct abi_vma, vm_pgoff), "vma head");
_Static_assert(offsetof(struct vm_area_struct, vm_flags) == offsetof(struct abi_vma, vm_flags), "vma head");
_Static_assert(offsetof(struct vm_area_struct, vm_next) == offsetof(struct abi_vma, vm_next), "vma head");
_Static_assert(offsetof(struct vm_area_struct, vm_prev) == offsetof(struct abi_vma, vm_prev), "vma head");
_Static_assert(offsetof(struct vm_area_struct, anon_vma) == offsetof(struct abi_vma, anon_vma), "vma head");
_Static_assert(sizeof(void *) == 8, "pointers are published as uint64_t");

/*
 * An address space.  The structs live in a static array, one per mm table
 * slot, and are never freed: a CPU that looked an id up may wait for the
 * mmap_lock of a slot whose mm is being destroyed (or was, and the slot
 * reused), and finds out under the lock that the id is not there any more
 * (docs/locking.md).
 */
struct mm_struct {
	/* mmap_lock (locks.h): writers change VMAs and page tables (mmap,
	 * munmap, mprotect, mremap, madvise, mlock, fork, exit), readers are
	 * page faults.  page_table_lock: faults (readers) allocating tables and
	 * installing entries, anon_vma_prepare, the counters they move. */
	volatile uint32_t mmap_lock;
	spinlock_t page_table_lock;
	struct vm_area_struct *vma_root;      /* AVL root, &vma_nil if empty */
	struct vm_area_struct *mmap;          /* first VMA (list head) */
	struct vm_area_struct *mmap_last;     /* last VMA */
	struct vm_area_struct *mmap_cache;    /* last find_vma hit, NULL after a detach */
	uint64_t *pml4;                       /* direct-map address */
	uint64_t pml4_pa;
	/* Counters, published to desc at the end of every request (mm_publish). */
	uint64_t map_count;                   /* VMAs */
	uint64_t rss_pages;                   /* present user leaf PTEs to frames (private or shmem) */
	uint64_t zero_ptes;                   /* present user leaf PTEs to the zero page */
	uint64_t pt_pages;                    /* page-table pages below the PML4 */
	struct mm_desc *desc;                 /* where they are published (mm_table.mms[slot]) */
	uint64_t cpu_mask;                    /* CPUs that may cache this mm's translations
	                                         (atomic: several CPUs change it) */
	uint64_t tlb_gen;                     /* flushes asked for so far (Linux's tlb_gen) */
	uint32_t id;                          /* under mmap_lock; a free slot holds an id
	                                         that no lookup landing on it matches */
	uint32_t slot;
	uint32_t active;                      /* CPUs in ring 3 on it (atomic; taken under
	                                         mmap_lock for reading, exit refuses while > 0) */
	uint32_t used;                        /* the slot is taken (mm_table_lock) */
};

static inline uint64_t vma_pages(const struct vm_area_struct *vma)
{
	return (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;
}

/* State shared by the mm's files; set once by mm_init. */
struct mm_globals {
	struct mm_table *table;               /* at MM_TABLE_GPA */
	uint64_t dm_base;                     /* phys_to_virt(0) */
	uint64_t zero_pa;                     /* the shared zero page */
	struct abi_page *pages;               /* published, indexed by pfn */
	uint16_t *pt_used;                    /* page-table pages: non-empty entries, by pfn */
	const uint64_t *kernel_pml4;
	uint64_t kernel_pml4_pa;
	uint16_t kernel_slots[PTRS_PER_TABLE / 2]; /* non-zero kernel-half PML4 slots */
	unsigned nkernel_slots;
};

extern struct mm_globals mm_g;

/* One more unit of work for the host to see (mm_table.progress): a
 * plain store, not a locked add; any change tells the host the request
 * moves. */
static inline void mm_progress(void)
{
	uint64_t *p = (uint64_t *)(uintptr_t)&mm_g.table->progress;

	__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

/* Direct-map address of a guest-physical address, and back (linear map). */
static inline void *mm_va(uint64_t pa)
{
	return (void *)(uintptr_t)(mm_g.dm_base + pa);
}

static inline uint64_t mm_pa(const void *va)
{
	return (uint64_t)(uintptr_t)va - mm_g.dm_base;
}

#endif
