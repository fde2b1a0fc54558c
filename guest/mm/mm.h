/*
 * The memory manager's public API: what the rest of the guest kernel
 * (boot, request dispatch, the page-fault trap) calls.  Linux's anonymous
 * private memory is the model; errors are negative Linux errno values.
 *
 * The mm speaks its own types, not the request channel's: the request
 * decoder (guest/kernel/requests.c) converts, and asserts that the values
 * it passes through unchanged (protections, placement flags, fault kinds,
 * injection kinds) equal the ABI's.
 */
#ifndef GUEST_MM_MM_H
#define GUEST_MM_MM_H

#include <stdbool.h>
#include <stdint.h>

struct mm_struct;

/* mmap/mprotect protections: Linux's PROT_* values, which are also the
 * VM_READ/VM_WRITE/VM_EXEC bits (asserted in mmap.c). */
#define MM_PROT_NONE          0x0u
#define MM_PROT_READ          0x1u
#define MM_PROT_WRITE         0x2u
#define MM_PROT_EXEC          0x4u
#define MM_PROT_SEM           0x8u    /* accepted by Linux on x86, no effect */

/* do_mmap placement; neither: the kernel chooses (top-down below MMAP_BASE). */
#define MM_MAP_FIXED          (1u << 0)   /* MAP_FIXED: replace what is there */
#define MM_MAP_NOREPLACE      (1u << 1)   /* MAP_FIXED_NOREPLACE: EEXIST on overlap */
#define MM_MAP_SHARED         (1u << 2)   /* MAP_SHARED: a new shared anonymous object */
#define MM_MAP_NORESERVE      (1u << 3)   /* MAP_NORESERVE: VM_NORESERVE, no VM_ACCOUNT */
#define MM_MAP_POPULATE       (1u << 4)   /* MAP_POPULATE: fault the range in, errors ignored */
#define MM_MAP_LOCKED         (1u << 5)   /* MAP_LOCKED: VM_LOCKED, populated */
#define MM_MAP_GROWSDOWN      (1u << 6)   /* MAP_GROWSDOWN: VM_GROWSDOWN */

/* do_mremap flags: Linux's MREMAP_* values. */
#define MM_MREMAP_MAYMOVE     1u
#define MM_MREMAP_FIXED       2u
#define MM_MREMAP_DONTUNMAP   4u

/* do_madvise advice: Linux's MADV_* values (the ones the mm implements). */
#define MM_MADV_NORMAL        0
#define MM_MADV_RANDOM        1
#define MM_MADV_SEQUENTIAL    2
#define MM_MADV_WILLNEED      3           /* accepted, nothing to do for anonymous memory */
#define MM_MADV_DONTNEED      4
#define MM_MADV_DONTFORK      10
#define MM_MADV_DOFORK        11
#define MM_MADV_WIPEONFORK    18
#define MM_MADV_KEEPONFORK    19
#define MM_MADV_POPULATE_READ 22
#define MM_MADV_POPULATE_WRITE 23

/* do_mlock flags: Linux's MLOCK_ONFAULT. */
#define MM_MLOCK_ONFAULT      1u

/* The stack limits a VM_GROWSDOWN mapping grows within (Linux's defaults). */
#define MM_RLIMIT_STACK       (8ULL << 20)
#define MM_STACK_GUARD_GAP    (256ULL << 12)

/* What handle_mm_fault() made of a fault (or -ENOMEM). */
enum mm_fault {
	MM_FAULT_RESOLVED = 0,        /* retry the access */
	MM_FAULT_MAPERR = 1,          /* no VMA there: SEGV_MAPERR */
	MM_FAULT_ACCERR = 2,          /* the VMA forbids it: SEGV_ACCERR */
	MM_FAULT_SIGBUS = 3,          /* beyond a shared mapping's object: SIGBUS */
};

/* mm_inject() kinds. */
enum mm_inject {
	MM_INJECT_STRAY_PTE = 1,      /* a present user PTE at addr outside every VMA */
	MM_INJECT_WRITABLE_ZERO = 2,  /* make the PTE at addr writable */
	MM_INJECT_REFCOUNT = 3,       /* one reference too many on the frame at addr */
	/* Break the next TLB shootdown (mm_inject_tlb, one-shot knobs): */
	MM_INJECT_TLB_SKIP_IPI = 4,   /* no request to CPU cpu */
	MM_INJECT_TLB_ACK_EARLY = 5,  /* targets acknowledge before they flush */
	MM_INJECT_TLB_FREE_EARLY = 6, /* frames freed before the acknowledgements */
	MM_INJECT_TLB_SKIP_LAZY = 7,  /* lazy CPUs skipped although page tables are freed */
	MM_INJECT_TLB_SHORT_RANGE = 8, /* the local range flush stops a page short */
	/* Locks: */
	MM_INJECT_HOLD_MMAP_LOCK = 9, /* keep mm's mmap_lock until MM_INJECT_RELEASE_HOLD */
	MM_INJECT_RELEASE_HOLD = 10,  /* end that hold (on any mm) */
};

/* One VMA as mm_vma_list() reports it. */
struct mm_vma_info {
	uint64_t start;
	uint64_t end;                 /* exclusive */
	uint64_t pgoff;               /* in pages */
	uint64_t flags;               /* VM_* (shared/mm_abi.h) */
	bool anon;                    /* has an anon_vma */
};

/* Boot: manage frames [free_start, ram_size) (guest-physical, 4 KiB aligned; everything
 * in that range reads as zero at boot); kernel_pml4 = virtual address of the master PML4 whose
 * entries 256..511 (kernel half) are copied into every new mm's PML4. Publishes struct mm_table
 * at phys_to_virt(MM_TABLE_GPA). Allocates the shared zero page. */
void mm_init(uint64_t free_start, uint64_t ram_size, const uint64_t *kernel_pml4);
int mm_create(void);                          /* new mm id >= 1, or -ENOMEM */
/* A new mm with its mmap_lock held for writing, or NULL (-ENOMEM). */
struct mm_struct *mm_create_locked(void);
/* exit_mmap: everything freed; 0 or -ESRCH, -EBUSY while ring 3 runs on it. */
int mm_destroy(uint32_t id);
/* The same for mm, whose mmap_lock the caller holds for writing: on success
 * the lock is released (the mm is gone), on -EBUSY it is still held. */
int mm_exit_locked(struct mm_struct *mm);
/* fork: a new mm that is a copy of mm id as Linux's dup_mmap makes it
 * (guest/mm/fork.c): its id, or -ESRCH / -ENOMEM.  The caller holds mm id's
 * mmap_lock for writing (or runs alone: unit tests); the child's is held
 * meanwhile. */
int mm_fork(uint32_t id);
/* mm id without taking its lock, NULL if no such mm: for a caller that
 * holds the lock already or runs alone (unit tests, benchmarks). */
struct mm_struct *mm_lookup(uint32_t id);
/* mm id with its mmap_lock taken for writing (write) or reading, or NULL
 * (no such mm: nothing held). */
struct mm_struct *mm_get(uint32_t id, bool write);
/* Use mm on this CPU (NULL: the master PML4): load its PML4 (arch_load_cr3) unless loaded,
 * mark the CPU in mm's cpu mask (and take it out of the old one's); back from lazy mode,
 * flush everything if mm's tlb_gen moved meanwhile (guest/mm/tlb_smp.c, docs/tlb.md). */
void switch_mm(struct mm_struct *mm);
/* After a request: keep the mm loaded but stop using it (Linux's lazy TLB mode). */
void mm_lazy_enter(void);
/* CPU cpu is coming up (before it serves requests). */
void mm_cpu_online(unsigned cpu);
/* The flush IPI's handler: guest/mm/tlb_ipi.h (mm_tlb_ipi_fast, mm_tlb_ipi_slow). */
/* Test-only: arm one TLB shootdown knob (MM_INJECT_TLB_*; cpu for SKIP_IPI). 0 or -EINVAL. */
int mm_inject_tlb(int kind, unsigned cpu);
long do_mmap(struct mm_struct *mm, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags); /* address or -errno; prot MM_PROT_*, flags MM_MAP_* */
int do_munmap(struct mm_struct *mm, uint64_t start, uint64_t len);
int do_mprotect(struct mm_struct *mm, uint64_t start, uint64_t len, uint32_t prot);
/* mremap(2) of anonymous private memory: the address afterwards or -errno (Linux 6.18's
 * checks and results, guest/mm/mremap.c).  flags MM_MREMAP_*. */
long do_mremap(struct mm_struct *mm, uint64_t addr, uint64_t old_len, uint64_t new_len,
	       uint32_t flags, uint64_t new_addr);
/* madvise(2) with one of the MM_MADV_* advice values: 0 or -errno. */
int do_madvise(struct mm_struct *mm, uint64_t start, uint64_t len, int advice);
/* mlock2(2) (flags 0 or MM_MLOCK_ONFAULT) and munlock(2): 0 or -errno. */
int do_mlock(struct mm_struct *mm, uint64_t start, uint64_t len, uint32_t flags);
int do_munlock(struct mm_struct *mm, uint64_t start, uint64_t len);
/* A ring-3 access fault at addr with the x86 #PF error code (bit0 P, bit1 W, bit2 U, bit4 I):
 * an enum mm_fault, or -ENOMEM when no frame or page-table page could be had (Linux would
 * OOM-kill).  The caller holds mm's mmap_lock (or runs alone); the fault takes the
 * page_table_lock.  -EAGAIN: a VM_GROWSDOWN VMA must grow, which needs the mmap_lock
 * for writing, and the caller holds it for reading. */
int handle_mm_fault(struct mm_struct *mm, uint64_t addr, uint32_t error_code);
/* The page-fault trap's entry: handle_mm_fault under mm's mmap_lock (for reading, for
 * writing when the stack grows) inside the published state's bracket, the counters
 * published. */
int mm_user_fault(struct mm_struct *mm, uint64_t addr, uint32_t error_code);
/* Call fn(ctx, i, info) for the i-th of the first max VMAs with vm_end > from, in address
 * order; returns how many were reported. */
unsigned mm_vma_list(struct mm_struct *mm, uint64_t from, unsigned max,
		     void (*fn)(void *ctx, unsigned i, const struct mm_vma_info *info), void *ctx);
uint64_t mm_map_count(const struct mm_struct *mm);  /* VMAs */
/* Leaf PTE for addr (0 if none) and its level (1 = 4 KiB). Returns 0. */
int mm_pte_lookup(struct mm_struct *mm, uint64_t addr, uint64_t *pte, int *level);
/* The id of mm. */
uint32_t mm_id(const struct mm_struct *mm);
/* What `expect shared/exclusive` sees of the n pages from addr (page aligned):
 * out[i] = MM_PAGE_*; pages at or above TASK_SIZE are MM_PAGE_NONE.  0 or -EINVAL
 * (addr not page aligned). */
#define MM_PAGE_NONE          0   /* no present leaf entry (PROT_NONE with a page counts) */
#define MM_PAGE_EXCLUSIVE     1   /* its page mapped by this entry alone */
#define MM_PAGE_SHARED        2   /* mapped more than once, in any mm, or the zero page */
int mm_page_share(struct mm_struct *mm, uint64_t addr, uint64_t n, uint8_t *out);
/* Test-only: break an invariant on purpose (enum mm_inject), or hold mm's mmap_lock
 * (held for writing by the caller) until released.  0 or -EINVAL. */
int mm_inject(struct mm_struct *mm, int kind, uint64_t addr);

/*
 * The published state (struct mm_table) changes only between a begin and an
 * end (a writer counted in mm_table.seq meanwhile; several CPUs may be
 * inside at once), and an mm's counters reach its mm_desc only at the end.
 */
/* A request on mm id: the mm with its mmap_lock held for writing and a writer counted;
 * NULL (nothing held, seq untouched) if there is none. */
struct mm_struct *mm_request_begin(uint32_t id);
/* End of a request begun with mm_request_begin(): publish mm's counters, count the
 * request in mm_table.requests, end the bracket, release the mmap_lock. */
void mm_request_end(struct mm_struct *mm);
/* Publish mm's counters now (mmap_lock held for writing, or for reading with the
 * page_table_lock). */
void mm_publish(const struct mm_struct *mm);
/* One more request in mm_table.requests (inside a bracket). */
void mm_count_request(void);
/* Bracket a change that is not a request on an mm (create, destroy, the end of a ring-3
 * run). */
void mm_seq_begin(void);
void mm_seq_end(void);

#endif
