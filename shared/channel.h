/*
 * Host -> guest request channel.
 *
 * A ring of CHANNEL_SLOTS slots at CHANNEL_GPA.  Each slot carries one
 * request: a small header (op, flags, mm), the result, and the operation's
 * own struct in a union, one struct per operation as Solo5's hvt_abi.h has
 * one per hypercall.  Fields marked IN are written by the host, OUT by the
 * guest, in place.  The guest writes every OUT field of the operation it
 * handles; the host treats all of them as the guest's word.
 *
 * One ring per CPU (CHANNEL_MAX_CPUS of them; the guest serves the first
 * `ncpus`): ring c has its own header (channel.ring[c]), its own
 * CHANNEL_SLOTS slots at CHANNEL_RING_SLOTS(c) and its own data window at
 * CHANNEL_RING_DATA(c), and every request posted there runs on CPU c.
 * Ring 0 lies where the single ring of version 5 lay.
 *
 * Protocol, per ring: the host fills slots [req_prod, req_prod + n) (mod
 * CHANNEL_SLOTS), publishes req_prod += n (a store after the slot stores)
 * and rings the CPU's doorbell (raises DOORBELL_GSI + c, which the guest
 * routes to CPU c).  CPU c, idling in `hlt`, wakes, handles every slot from
 * resp_prod up to req_prod in order, writing each response in place, and
 * publishes resp_prod once for the batch (at least once per wake-up).  The
 * host never has more than CHANNEL_SLOTS requests outstanding on a ring and
 * never trusts resp_prod beyond what it posted.  Requests on different
 * rings run at the same time.
 *
 * Results: a value (an address, an id, a count, ACCESS_*), 0, or -errno with
 * errno in [1, CHAN_ERRNO_MAX]: anything below -CHAN_ERRNO_MAX is a protocol
 * error, never an errno.
 *
 * Requests that return bulk data (OP_VMA_LIST, OP_PAGE_SHARE) write into
 * their ring's data window at [CHANNEL_RING_DATA(c) + data_offset, + max
 * entries) given by the host: CHANNEL_DATA_SIZE bytes per CPU, so that CPUs
 * running at once never share one.
 */
#ifndef SHARED_CHANNEL_H
#define SHARED_CHANNEL_H

#include <stdint.h>
#include <stddef.h>

#define CHANNEL_MAGIC         0x4e414843u /* "CHAN" */
#define CHANNEL_VERSION       6   /* 4: trace area (shared/trace.h); 5: fork, page share;
                                     6: a ring, a doorbell and a data window per CPU */
#define CHANNEL_MAX_CPUS      8           /* rings in the header */
#define CHANNEL_SLOTS         256         /* per ring; power of two */
#define CHANNEL_SLOTS_OFFSET  0x1000u     /* ring 0's slots */
#define CHANNEL_DATA_OFFSET   0x21000u    /* CPU 0's data window */
#define CHANNEL_DATA_SIZE     0x3e00u     /* bytes of each CPU's data window */
#define CHANNEL_RING_SLOTS(c) (CHANNEL_SLOTS_OFFSET + (uint32_t)(c) * CHANNEL_SLOTS * 64u)
#define CHANNEL_RING_DATA(c)  (CHANNEL_DATA_OFFSET + (uint32_t)(c) * CHANNEL_DATA_SIZE)

/* Largest errno a result may carry (Linux's MAX_ERRNO). */
#define CHAN_ERRNO_MAX        4095

/* Operations; the union member each one uses is named after it. */
enum chan_op {
	OP_NOP        = 0,  /* no fields; result 0 */
	OP_MM_CREATE  = 1,  /* mm_create; result 0 or -ENOMEM */
	OP_MM_DESTROY = 2,  /* header mm; result 0 or -ESRCH */
	OP_MMAP       = 3,  /* mmap; result: the address or -errno */
	OP_MUNMAP     = 4,  /* munmap; result 0 or -errno */
	OP_MPROTECT   = 5,  /* mprotect; result 0 or -errno */
	OP_TOUCH      = 6,  /* touch; result ACCESS_* or -errno */
	OP_FILL       = 7,  /* fill; result ACCESS_* or -errno */
	OP_CHECK      = 8,  /* check; result ACCESS_* or -errno */
	OP_VMA_LIST   = 9,  /* vma_list; result: entries written or -errno */
	OP_PTE        = 10, /* pte; result 0 (the guest's own view of a PTE: the host
	                       reads page tables itself; tests compare the two) */
	OP_STATS      = 11, /* stats; result 0 */
	OP_INJECT     = 12, /* inject (tests only); result 0 or -errno */
	OP_MREMAP     = 13, /* mremap; result: the address afterwards or -errno */
	OP_MADVISE    = 14, /* madvise; result 0 or -errno */
	OP_MLOCK      = 15, /* mlock (mlock2); result 0 or -errno */
	OP_MUNLOCK    = 16, /* munlock; result 0 or -errno */
	OP_MM_FORK    = 17, /* mm_fork (header mm: the parent); result 0 or -errno */
	OP_PAGE_SHARE = 18, /* page_share; result 0 or -errno */
	OP_NR
};

/* PROT_* as Linux.  The guest's mm and the scenario engine have their own
 * names for these, asserted equal where they meet this ABI. */
#define PROT_NONE_ABI         0x0
#define PROT_READ_ABI         0x1
#define PROT_WRITE_ABI        0x2
#define PROT_EXEC_ABI         0x4

#define MMAP_F_FIXED          (1u << 0)   /* MAP_FIXED: replace what is there */
#define MMAP_F_NOREPLACE      (1u << 1)   /* MAP_FIXED_NOREPLACE: EEXIST on overlap */
/* Neither flag: the kernel chooses the address (addr is ignored). */
#define MMAP_F_SHARED         (1u << 2)   /* MAP_SHARED: a new shared anonymous object */
#define MMAP_F_NORESERVE      (1u << 3)   /* MAP_NORESERVE */
#define MMAP_F_POPULATE       (1u << 4)   /* MAP_POPULATE */
#define MMAP_F_LOCKED         (1u << 5)   /* MAP_LOCKED */
#define MMAP_F_GROWSDOWN      (1u << 6)   /* MAP_GROWSDOWN */
/* Any other bit: -EINVAL. */

/* OP_MREMAP flags: Linux's MREMAP_* values. */
#define MREMAP_F_MAYMOVE      1u
#define MREMAP_F_FIXED        2u
#define MREMAP_F_DONTUNMAP    4u

/* OP_MADVISE advice: Linux's MADV_* values; the guest implements these
 * (any other value: -EINVAL). */
#define MADV_NORMAL_ABI       0
#define MADV_RANDOM_ABI       1
#define MADV_SEQUENTIAL_ABI   2
#define MADV_WILLNEED_ABI     3           /* accepted, does nothing */
#define MADV_DONTNEED_ABI     4
#define MADV_DONTFORK_ABI     10
#define MADV_DOFORK_ABI       11
#define MADV_WIPEONFORK_ABI   18
#define MADV_KEEPONFORK_ABI   19
#define MADV_POPULATE_READ_ABI  22
#define MADV_POPULATE_WRITE_ABI 23

/* OP_MLOCK flags: Linux's MLOCK_ONFAULT. */
#define MLOCK_F_ONFAULT       1u

#define TOUCH_READ            0
#define TOUCH_WRITE           1

/* Results of OP_TOUCH / OP_FILL / OP_CHECK (negative: -errno). */
#define ACCESS_OK             0
#define ACCESS_FAULT          1           /* access.addr = faulting page, access.fault = FAULT_* */
#define ACCESS_MISMATCH       2           /* access.addr = address, access.found = byte found */
#define FAULT_MAPERR          1
#define FAULT_ACCERR          2
#define FAULT_SIGBUS          3           /* beyond a shared mapping's object */

/* OP_PAGE_SHARE: one byte per page in the data area. */
#define PAGE_SHARE_NONE       0           /* no present leaf entry */
#define PAGE_SHARE_EXCLUSIVE  1           /* its page mapped by this entry alone */
#define PAGE_SHARE_SHARED     2           /* mapped more than once (any mm), or the zero page */

/* OP_INJECT kinds: break an invariant on purpose so that checkers can be tested. */
#define INJECT_STRAY_PTE      1           /* a present user PTE at addr outside every VMA */
#define INJECT_WRITABLE_ZERO  2           /* make the PTE at addr writable */
#define INJECT_REFCOUNT       3           /* one reference too many on the frame at addr */
/* Break the next TLB shootdown on purpose (a one-shot knob; the TLB-coherence
 * checker must catch it, docs/tlb.md).  addr: the CPU for SKIP_IPI, else 0. */
#define INJECT_TLB_SKIP_IPI   4           /* no flush request to CPU addr */
#define INJECT_TLB_ACK_EARLY  5           /* targets acknowledge before they flush */
#define INJECT_TLB_FREE_EARLY 6           /* frames freed before the acknowledgements */
#define INJECT_TLB_SKIP_LAZY  7           /* lazy CPUs skipped although page tables are freed */
#define INJECT_TLB_SHORT_RANGE 8          /* the initiator's range flush stops a page short */
/* Hold the mm's mmap_lock (taken for writing by the request) until an
 * INJECT_RELEASE_HOLD request on another mm: meanwhile the CPU publishes the
 * mm's id in its mm_cpu_tlb.lock_hold and waits with interrupts let in.
 * Shows that requests for other mms run meanwhile (docs/locking.md). */
#define INJECT_HOLD_MMAP_LOCK 9
#define INJECT_RELEASE_HOLD   10          /* ends the hold (on any mm) */

struct chan_mm_create {
	uint32_t id;              /* OUT: the new mm's id, >= 1 (0 on error) */
	uint32_t pad;
};

struct chan_mmap {
	uint64_t addr;            /* IN: ignored unless MMAP_F_FIXED or MMAP_F_NOREPLACE */
	uint64_t len;             /* IN */
	uint32_t prot;            /* IN: PROT_*_ABI */
	uint32_t flags;           /* IN: MMAP_F_* */
};

struct chan_munmap {
	uint64_t addr;            /* IN */
	uint64_t len;             /* IN */
};

struct chan_mprotect {
	uint64_t addr;            /* IN */
	uint64_t len;             /* IN */
	uint32_t prot;            /* IN: PROT_*_ABI */
	uint32_t pad;
};

/* What a ring-3 access run found (OUT of touch, fill and check); all zero
 * for ACCESS_OK. */
struct chan_access {
	uint64_t addr;            /* OUT: ACCESS_FAULT: the faulting page;
	                             ACCESS_MISMATCH: the first differing byte;
	                             -ENOMEM: the page whose fault found no memory */
	uint32_t fault;           /* OUT: ACCESS_FAULT: FAULT_MAPERR or FAULT_ACCERR */
	uint32_t found;           /* OUT: ACCESS_MISMATCH: the byte found there */
};

struct chan_touch {
	uint64_t addr;            /* IN */
	uint64_t len;             /* IN */
	uint32_t mode;            /* IN: TOUCH_READ or TOUCH_WRITE */
	uint32_t pad;
	struct chan_access access;
};

struct chan_fill {
	uint64_t addr;            /* IN */
	uint64_t len;             /* IN */
	uint32_t byte;            /* IN: the value stored, 0..255 */
	uint32_t pad;
	struct chan_access access;
};

struct chan_check {
	uint64_t addr;            /* IN */
	uint64_t len;             /* IN */
	uint32_t byte;            /* IN: the value expected, 0..255 */
	uint32_t pad;
	struct chan_access access;
};

/* Lists the VMAs ending above `from`, in address order, as struct chan_vma
 * entries at data_offset in the data area. */
struct chan_vma_list {
	uint64_t from;            /* IN */
	uint32_t data_offset;     /* IN: 8-byte aligned, inside the data area */
	uint32_t max;             /* IN: entries that fit there */
	uint64_t map_count;       /* OUT: the mm's VMA count */
};

struct chan_pte {
	uint64_t addr;            /* IN */
	uint64_t pte;             /* OUT: the leaf PTE (shared/pte.h), 0 if none */
	uint32_t level;           /* OUT: 1 (4 KiB) if there is one, else 0 */
	uint32_t pad;
};

struct chan_stats {
	uint64_t map_count;       /* OUT: VMAs (every other counter is published
	                             in the mm table, shared/mm_abi.h) */
};

struct chan_inject {
	uint32_t kind;            /* IN: INJECT_* */
	uint32_t pad;
	uint64_t addr;            /* IN */
};

struct chan_mremap {
	uint64_t addr;            /* IN */
	uint64_t old_len;         /* IN */
	uint64_t new_len;         /* IN */
	uint64_t new_addr;        /* IN: used with MREMAP_F_FIXED (or DONTUNMAP, as a hint) */
	uint32_t flags;           /* IN: MREMAP_F_* */
	uint32_t pad;
};

struct chan_madvise {
	uint64_t addr;            /* IN */
	uint64_t len;             /* IN */
	uint32_t advice;          /* IN: MADV_*_ABI */
	uint32_t pad;
};

struct chan_mlock {
	uint64_t addr;            /* IN */
	uint64_t len;             /* IN */
	uint32_t flags;           /* IN: 0 or MLOCK_F_ONFAULT */
	uint32_t pad;
};

struct chan_munlock {
	uint64_t addr;            /* IN */
	uint64_t len;             /* IN */
};

/* OP_MM_FORK: the child's id in a struct chan_mm_create (member mm_fork). */

struct chan_page_share {
	uint64_t addr;            /* IN: page aligned */
	uint64_t npages;          /* IN: PAGE_SHARE_* bytes written at data_offset */
	uint32_t data_offset;     /* IN: in the data area */
	uint32_t pad;
};

struct chan_slot {
	uint16_t op;              /* IN: enum chan_op */
	uint16_t flags;           /* IN: 0 */
	uint32_t mm;              /* IN: address-space id, for mm operations */
	int64_t  result;          /* OUT: see "Results" above */
	union {                   /* the op's own fields */
		struct chan_mm_create mm_create;
		struct chan_mmap mmap;
		struct chan_munmap munmap;
		struct chan_mprotect mprotect;
		struct chan_touch touch;
		struct chan_fill fill;
		struct chan_check check;
		struct chan_vma_list vma_list;
		struct chan_pte pte;
		struct chan_stats stats;
		struct chan_inject inject;
		struct chan_mremap mremap;
		struct chan_madvise madvise;
		struct chan_mlock mlock;
		struct chan_munlock munlock;
		struct chan_mm_create mm_fork;
		struct chan_page_share page_share;
		uint64_t raw[6];  /* the whole union, untyped (copies, tests) */
	};
};

/* One OP_VMA_LIST entry in the data area. */
struct chan_vma {
	uint64_t start;
	uint64_t end;
	uint64_t pgoff;
	uint32_t flags;           /* VM_* (shared/mm_abi.h), low 32 bits */
	uint32_t anon;            /* nonzero if the VMA has an anon_vma */
};

/* One CPU's ring header, 128 bytes: the producers on lines of their own. */
struct chan_ring {
	volatile uint32_t req_prod;   /* host: requests posted (free-running) */
	uint32_t pad1[15];
	volatile uint32_t resp_prod;  /* guest: requests completed (free-running) */
	/* host: nonzero while a host thread sleeps until resp_prod moves.  The
	 * guest, after publishing resp_prod, does a full barrier and, if this
	 * is set, writes the ring's CPU number to CHANNEL_NOTIFY_PORT (outl)
	 * once; the host sets it, does a full barrier and looks at resp_prod
	 * again before sleeping. */
	volatile uint32_t host_waiting;
	uint32_t pad2[14];
};

struct channel {
	uint32_t magic;           /* guest writes CHANNEL_MAGIC once live */
	uint32_t version;         /* guest writes CHANNEL_VERSION */
	uint32_t nslots;          /* guest writes CHANNEL_SLOTS */
	uint32_t ncpus;           /* guest writes the CPUs (rings) it serves */
	uint32_t pad0[12];
	struct chan_ring ring[CHANNEL_MAX_CPUS];
};

_Static_assert(sizeof(struct chan_slot) == 64, "chan_slot layout");
_Static_assert(offsetof(struct chan_slot, mm) == 4, "chan_slot layout");
_Static_assert(offsetof(struct chan_slot, result) == 8, "chan_slot layout");
_Static_assert(offsetof(struct chan_slot, raw) == 16, "chan_slot layout");
_Static_assert(sizeof(((struct chan_slot *)0)->raw) == 48, "chan_slot union size");
_Static_assert(sizeof(struct chan_mm_create) == 8, "chan_mm_create layout");
_Static_assert(sizeof(struct chan_mmap) == 24, "chan_mmap layout");
_Static_assert(sizeof(struct chan_munmap) == 16, "chan_munmap layout");
_Static_assert(sizeof(struct chan_mprotect) == 24, "chan_mprotect layout");
_Static_assert(sizeof(struct chan_access) == 16, "chan_access layout");
_Static_assert(sizeof(struct chan_touch) == 40, "chan_touch layout");
_Static_assert(offsetof(struct chan_touch, access) == 24, "chan_touch layout");
_Static_assert(sizeof(struct chan_fill) == 40, "chan_fill layout");
_Static_assert(offsetof(struct chan_fill, access) == 24, "chan_fill layout");
_Static_assert(sizeof(struct chan_check) == 40, "chan_check layout");
_Static_assert(offsetof(struct chan_check, access) == 24, "chan_check layout");
_Static_assert(sizeof(struct chan_vma_list) == 24, "chan_vma_list layout");
_Static_assert(offsetof(struct chan_vma_list, map_count) == 16, "chan_vma_list layout");
_Static_assert(sizeof(struct chan_pte) == 24, "chan_pte layout");
_Static_assert(sizeof(struct chan_stats) == 8, "chan_stats layout");
_Static_assert(sizeof(struct chan_inject) == 16, "chan_inject layout");
_Static_assert(sizeof(struct chan_vma) == 32, "chan_vma layout");
_Static_assert(sizeof(struct chan_mremap) == 40, "chan_mremap layout");
_Static_assert(offsetof(struct chan_mremap, flags) == 32, "chan_mremap layout");
_Static_assert(sizeof(struct chan_madvise) == 24, "chan_madvise layout");
_Static_assert(sizeof(struct chan_mlock) == 24, "chan_mlock layout");
_Static_assert(sizeof(struct chan_munlock) == 16, "chan_munlock layout");
_Static_assert(offsetof(struct channel, ring[0].req_prod) == 64, "channel layout");
_Static_assert(offsetof(struct channel, ring[0].resp_prod) == 128, "channel layout");
_Static_assert(offsetof(struct channel, ring[0].host_waiting) == 132, "channel layout");
_Static_assert(sizeof(struct chan_ring) == 128, "chan_ring layout");
_Static_assert(sizeof(struct channel) <= CHANNEL_SLOTS_OFFSET, "channel header size");
_Static_assert(CHANNEL_RING_SLOTS(CHANNEL_MAX_CPUS) <= CHANNEL_DATA_OFFSET,
	       "channel slots overlap data");
_Static_assert(CHANNEL_RING_DATA(CHANNEL_MAX_CPUS) <= 0x40000u, "channel data beyond CHANNEL_SIZE");

#endif
