/*
 * TLB-coherence log: what the guest records, in one global order, so that
 * the host can prove by accounting that no CPU may still hold a
 * translation to a frame or a page-table page when it is freed
 * (vmm/tlbcheck/, docs/tlb.md).  On this platform a stale TLB entry cannot
 * be observed by an access (shadow paging), so the proof replays events.
 *
 * At TLBLOG_GPA (shared/layout.h) lies the control page.  The host writes
 * `enabled` before the guest boots; the guest reads it once at boot, and
 * if it is set, allocates a ring of `recs` records (a power of two) from
 * its RAM, writes `ring_gpa` and `recs`, then `magic` last.  Every event
 * takes the next sequence number with a locked add on `head`, fills record
 * ring[n & (recs - 1)] and then stores its `seq` = n + 1 (x86 keeps stores
 * in order): seq 0 means never written.  While logging is off, an event
 * costs one test of a byte flag.
 *
 * The host reads records in sequence order from its own tail: a record
 * whose seq is not tail + 1 is not written yet (stop and come back) or,
 * if head - tail > recs, lost (the checker then says so and proves
 * nothing).  It copies a record before using it and then reads head
 * again: a writer that reuses the slot took its sequence number (so head
 * passed tail + recs) before storing anything in it, whereas a second look
 * at seq alone would miss a writer that has begun the record but not yet
 * stored its seq.  Everything here is the guest's word: the host validates
 * ring_gpa and recs against guest RAM and bounds what it keeps.
 */
#ifndef SHARED_TLBLOG_H
#define SHARED_TLBLOG_H

#include <stddef.h>
#include <stdint.h>

#define TLBLOG_MAGIC          0x474c4254u /* "TBLG" */
#define TLBLOG_VERSION        1
#define TLBLOG_RECS_DEFAULT   (1u << 17)  /* 131,072 records: 4 MiB of guest RAM */

/*
 * Events.  Every record names the CPU it happened on (cpu) and, where one
 * is involved, the mm (its id, as in the mm table; 0: none / the kernel's
 * page tables).  a and b as listed.
 */
enum tlblog_ev {
	TLOG_NONE = 0,
	/* CR3 loaded on cpu with mm's page tables (mm 0: the kernel's own):
	 * every non-global translation of this CPU is gone. */
	TLOG_CR3_LOAD = 1,
	/* cpu stops using mm but keeps it loaded (Linux's lazy TLB mode). */
	TLOG_LAZY_ENTER = 2,
	/* cpu uses mm again without loading CR3; a = 1 if it flushed its whole
	 * TLB on the way (the mm's tlb_gen had moved), else 0. */
	TLOG_LAZY_EXIT = 3,
	/* invlpg of a on cpu (b unused). */
	TLOG_FLUSH_PAGE = 4,
	/* Page by page over [a, b) on cpu. */
	TLOG_FLUSH_RANGE = 5,
	/* Every non-global translation of cpu flushed (CR3 rewritten). */
	TLOG_FLUSH_ALL = 6,
	/* cpu asks CPU a to flush for mm; b = the flush's id (unique per
	 * initiator and flush, the same in the recv and ack records). */
	TLOG_IPI_SEND = 7,
	/* cpu took the flush request of initiator a, id b. */
	TLOG_IPI_RECV = 8,
	/* cpu acknowledged the flush request of initiator a, id b. */
	TLOG_IPI_ACK = 9,
	/* A present leaf PTE of mm at virtual address a, mapping the frame at
	 * physical address b, was cleared or pointed elsewhere. */
	TLOG_PTE_CLEAR = 10,
	/* A page-table page of mm was unlinked from its parent entry: it
	 * translated the span starting at a; b = its physical address | its
	 * level (1 PT, 2 PD, 3 PDPT) in the low bits. */
	TLOG_PT_UNLINK = 11,
	/* The data frame at physical address a went back to the allocator. */
	TLOG_FRAME_FREE = 12,
	/* The page-table page at physical address a went back to the allocator. */
	TLOG_PT_FREE = 13,
	TLOG_NR
};

struct tlblog_rec {
	uint64_t seq;             /* n + 1 for the n-th event; stored last */
	uint16_t ev;              /* enum tlblog_ev */
	uint16_t cpu;
	uint32_t mm;
	uint64_t a, b;
};

struct tlblog_ctl {
	uint32_t magic;           /* guest: TLBLOG_MAGIC once the ring is set up */
	uint32_t version;         /* guest: TLBLOG_VERSION */
	uint32_t enabled;         /* host, before boot: nonzero to log */
	uint32_t recs;            /* guest: records in the ring, a power of two */
	uint64_t ring_gpa;        /* guest: the ring's guest-physical address */
	uint64_t pad0[5];
	volatile uint64_t head;   /* guest: sequence numbers handed out */
	uint64_t pad1[7];
};

_Static_assert(sizeof(struct tlblog_rec) == 32, "tlblog_rec layout");
_Static_assert(offsetof(struct tlblog_rec, a) == 16, "tlblog_rec layout");
_Static_assert(offsetof(struct tlblog_ctl, ring_gpa) == 16, "tlblog_ctl layout");
_Static_assert(offsetof(struct tlblog_ctl, head) == 64, "tlblog_ctl layout");
_Static_assert(sizeof(struct tlblog_ctl) == 128, "tlblog_ctl layout");

#endif
