/*
 * What the guest publishes about its memory manager, so that the host can
 * inspect it from guest memory alone (vmm inspection, invariant checks).
 *
 * The guest keeps struct mm_table at MM_TABLE_GPA.  Pointers inside it and
 * inside VMAs are guest-virtual addresses in the direct map
 * (DIRECT_MAP_BASE + guest-physical); the host validates every one.
 *
 * Consistency: requests for different mms change published state at the
 * same time on several CPUs, so mm_table.seq counts them: its low byte
 * (MM_SEQ_WRITERS) is the number of changes in progress, its upper bits a
 * generation.  A change begins by adding 1 (one locked add) and ends by
 * adding MM_SEQ_END (one locked add: writers - 1, generation + 1).  A
 * reader copies what it needs while the low byte is zero and retries if it
 * was not zero or seq changed: the copy then saw no change in progress
 * and none that began or ended during it.
 */
#ifndef SHARED_MM_ABI_H
#define SHARED_MM_ABI_H

#include <stdint.h>
#include <stddef.h>

#define MM_TABLE_MAGIC        0x4c4241544d4dULL /* "MMTABL" */
#define MM_TABLE_VERSION      3   /* 2: per-CPU TLB state (cpus[]); 3: seq counts
                                     writers, per-CPU lock counters */
#define MM_CPUS_MAX           8   /* = CHANNEL_MAX_CPUS */
#define MM_MAX                64

/* mm_table.seq: changes in progress (low byte) and the generation above. */
#define MM_SEQ_WRITERS        0xffu
#define MM_SEQ_END            0xffu   /* + 0x100 - 1: generation + 1, writers - 1 */

/* VMA flags, Linux's values. */
#define VM_READ               0x00000001ULL
#define VM_WRITE              0x00000002ULL
#define VM_EXEC               0x00000004ULL
#define VM_SHARED             0x00000008ULL
#define VM_MAYREAD            0x00000010ULL
#define VM_MAYWRITE           0x00000020ULL
#define VM_MAYEXEC            0x00000040ULL
#define VM_MAYSHARE           0x00000080ULL
#define VM_GROWSDOWN          0x00000100ULL
#define VM_LOCKED             0x00002000ULL
#define VM_SEQ_READ           0x00008000ULL
#define VM_RAND_READ          0x00010000ULL
#define VM_DONTCOPY           0x00020000ULL
#define VM_LOCKONFAULT        0x00080000ULL
#define VM_ACCOUNT            0x00100000ULL
#define VM_NORESERVE          0x00200000ULL
#define VM_WIPEONFORK         0x02000000ULL

#define MAX_MAP_COUNT         65530       /* Linux's default vm.max_map_count */

struct mm_desc {
	uint32_t id;              /* 0: slot unused */
	uint32_t parent;          /* the mm it was forked from (it may have exited since), 0 if none */
	uint64_t pml4;            /* guest-physical address of the PML4 */
	uint64_t vma_head;        /* first VMA in address order (struct abi_vma), 0 if none */
	uint64_t map_count;       /* VMAs */
	uint64_t rss_pages;       /* present user leaf PTEs to frames other than the zero page */
	uint64_t zero_ptes;       /* present user leaf PTEs to the zero page */
	uint64_t pt_pages;        /* page-table pages below the PML4 in the user half */
	uint64_t reserved;
};

/* Per-frame metadata, one per 4 KiB frame of RAM, indexed by gpa >> 12. */
struct abi_page {
	uint32_t refcount;        /* mappings (user frames; shmem: mappings + 1), 1 for other used frames, 0 free */
	uint32_t type;            /* PAGE_T_* */
};

/* PAGE_T_FREE is 0 so that metadata the host handed over zeroed already says
 * "free": boot needs no loop over every frame (ring-0 instructions are
 * emulated here, ~250 ns each; a loop over 32,768 frames would cost ~40 ms).
 * The allocator likewise hands out never-used frames from a bump range. */
#define PAGE_T_FREE           0
#define PAGE_T_RESERVED       1 /* host area, kernel image, allocator metadata */
#define PAGE_T_USER           2 /* anonymous user frame */
#define PAGE_T_ZERO           3 /* the shared zero page */
#define PAGE_T_PGTABLE        4
#define PAGE_T_KERNEL         5 /* kernel heap: VMAs, mm structs */
#define PAGE_T_SHMEM          6 /* page of a shared anonymous object: refcount = PTEs + 1 */

/*
 * One CPU's TLB state and shootdown counters (docs/tlb.md).  Only that CPU
 * writes its entry, field by field, outside the seqcount: a reader sees
 * each field whole, never a consistent set.
 */
struct mm_cpu_tlb {
	uint32_t loaded_mm;       /* id of the mm in its CR3, 0: the kernel's tables */
	uint32_t lazy;            /* 1: lazy TLB mode (loaded, not in use) */
	uint64_t flushes;         /* local flushes done (page ranges and full) */
	uint64_t ipis_sent;       /* flush requests sent to other CPUs */
	uint64_t ipis_recv;       /* flush requests taken from other CPUs */
	uint64_t cr3_loads;       /* CR3 loads */
	uint64_t lazy_skips;      /* CPUs not sent a request because lazy */
	uint64_t lock_waits;      /* times it waited for a memory-manager lock */
	uint32_t lock_hold;       /* test-only: id of the mm whose mmap_lock it holds on
	                             purpose (INJECT_HOLD_MMAP_LOCK), 0 none */
	uint32_t shootdown_tsc;   /* its last shootdown that had other CPUs to ask:
				     TSC ticks from the request's set-up to the
				     last acknowledgement, modulo 2^32 (0: none yet) */
};

struct mm_table {
	uint64_t magic;           /* MM_TABLE_MAGIC once initialised */
	uint32_t version;         /* MM_TABLE_VERSION */
	volatile uint32_t seq;    /* changes in progress (low byte), generation */
	uint64_t frames_total;    /* frames the allocator manages */
	uint64_t frames_free;     /* of those, free */
	uint64_t frames_zero;     /* of the free ones, known to be zero */
	uint64_t pages;           /* struct abi_page[ram_size >> 12] (guest-virtual) */
	uint64_t zero_page;       /* guest-physical address of the shared zero page */
	uint64_t requests;        /* requests completed since boot */
	/* Work done since boot (faults handled, page tables zapped or copied),
	 * bumped inside long requests: the host's sign that a slow request is
	 * still moving (docs/architecture.md, "Long requests"). */
	volatile uint64_t progress;
	uint64_t reserved[7];
	struct mm_desc mms[MM_MAX];
	struct mm_cpu_tlb cpus[MM_CPUS_MAX];
};

/*
 * The head of the guest's struct vm_area_struct.  The guest's own struct
 * starts with exactly these fields (checked with _Static_assert) and may
 * carry private tree fields after them.
 */
struct abi_vma {
	uint64_t vm_start;
	uint64_t vm_end;          /* exclusive */
	uint64_t vm_pgoff;        /* in pages */
	uint64_t vm_flags;        /* VM_* */
	uint64_t vm_next;         /* next VMA in address order, 0 at the end */
	uint64_t vm_prev;
	uint64_t anon_vma;        /* 0 if none */
};

_Static_assert(sizeof(struct mm_desc) == 64, "mm_desc layout");
_Static_assert(sizeof(struct abi_page) == 8, "abi_page layout");
_Static_assert(sizeof(struct mm_cpu_tlb) == 64, "mm_cpu_tlb layout");
_Static_assert(offsetof(struct mm_table, cpus) == 128 + 64 * MM_MAX, "mm_table layout");
_Static_assert(offsetof(struct mm_table, mms) == 128, "mm_table layout");
_Static_assert(sizeof(struct mm_table) <= 0x10000, "mm_table size");
_Static_assert(sizeof(struct abi_vma) == 56, "abi_vma layout");

#endif
