/*
 * Memory-manager trace: what the guest records, per CPU, for the host to
 * read and format (vmm/trace/, docs/trace.md).
 *
 * At TRACE_GPA (shared/layout.h) lies a control page, then one ring of
 * TRACE_RING_RECS fixed-size records per CPU (CPU i's ring at
 * TRACE_GPA + TRACE_RING_OFFSET + i * TRACE_RING_SIZE).  The host writes
 * `enabled`; the guest copies it into a kernel flag at the start of every
 * request, and every traced step costs one test of that flag while it is
 * off.  When it is on, a step stores one record at heads[cpu] (mod
 * TRACE_RING_RECS) and then publishes heads[cpu] + 1 (free-running): the
 * guest never formats anything, the host does.
 *
 * The host reads the records between its own tail and the head, never
 * trusting the head: at most TRACE_RING_RECS of them (older ones were
 * overwritten: lost), and each must carry seq == its index (low 32 bits)
 * or it is dropped.  Arguments are the guest's word: only printed.
 */
#ifndef SHARED_TRACE_H
#define SHARED_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "shared/layout.h"

#define TRACE_CPUS            4           /* CPUs with a ring; others record nothing */
#ifndef TRACE_RING_RECS                   /* (the fuzz build's is smaller: docs/fuzzing.md) */
#define TRACE_RING_RECS       1024        /* records per ring, a power of two */
#endif
#define TRACE_RING_OFFSET     0x1000u     /* first ring, after the control page */
#define TRACE_RING_SIZE       (TRACE_RING_RECS * 64u)

/* Event numbers: enter/exit pairs nest (function_graph's "{" and "}"),
 * the others are one step (a leaf).  a[] as listed; the host names them. */
enum trace_ev {
	TEV_NONE = 0,
	/* A request, around the mm call (guest/kernel/requests.c):
	 * a0 op (enum chan_op) | mm id << 16, a1..a4 the slot's first 4 words. */
	TEV_REQ_ENTER = 1,
	TEV_REQ_EXIT = 2,            /* a0 op, a1 result */
	/* find_vma_prev(addr): a0 addr, a1-a2 vma found [start, end) (0, 0:
	 * none), a3-a4 its predecessor (0, 0: none). */
	TEV_FIND_VMA_PREV = 3,
	/* split_vma at a0: a1 lower start, a2 upper end (halves [a1, a0), [a0, a2)),
	 * a3 the VMA count before. */
	TEV_SPLIT_VMA = 4,
	/* detach_vmas_to_be_unmapped: a0 first start, a1 last end, a2 VMAs,
	 * a3 map_count after, a4 1 if the lookup cache pointed at one of them. */
	TEV_DETACH = 5,
	/* unmap_region [a0, a1), page tables freed within [a2 floor, a3 ceiling). */
	TEV_UNMAP_REGION_ENTER = 6,
	TEV_UNMAP_REGION_EXIT = 7,   /* no arguments */
	/* PTEs cleared in one page-table page: a0-a1 [start, end) scanned,
	 * a2 entries cleared, a3 the page table's physical address. */
	TEV_ZAP_PTES = 8,
	/* A page-table page considered for freeing after its entries went:
	 * a0 its level (1 PT, 2 PD, 3 PDPT), a1 the base of its span,
	 * a2 floor, a3 ceiling, a4 entries still used.  Freed iff the span
	 * lies in [floor, ceiling) and a4 == 0. */
	TEV_FREE_PGTABLE = 9,
	/* flush_tlb_mm_range [a0, a1): a2 the mm's CPU mask, a3 this CPU,
	 * a4 TLB_SINGLE_PAGE_FLUSH_CEILING (invlpg per page up to it, else full). */
	TEV_TLB_FLUSH = 10,
	/* tlb_flush_mmu freeing what was gathered: a0 leaves cleared, a1 of
	 * them zero-page entries (not freed), a2 page-table pages. */
	TEV_FREE_GATHERED = 11,
	/* remove_vma_list: a0 VMAs freed, a1 first start, a2 last end. */
	TEV_REMOVE_VMA_LIST = 12,
	/* A merge decision for [a1, a2): a0 TRACE_MERGE_* taken, a3 why not
	 * prev, a4 why not next (TRACE_WHY_* bits, 0 when it merged). */
	TEV_VMA_MERGE = 13,
	/* A new VMA linked: a0 start, a1 end, a2 vm_flags. */
	TEV_VMA_LINK = 14,
	/* A VMA's flags set: a0 start, a1 end, a2 old flags, a3 new flags. */
	TEV_VMA_FLAGS = 15,
	/* change_prot_range [a0, a1) to a2 vm_flags. */
	TEV_CHANGE_PROT = 16,
	/* handle_mm_fault(a0 addr, a1 error code) { ... } = a0 result */
	TEV_FAULT_ENTER = 17,
	TEV_FAULT_EXIT = 18,
	/* The fault's outcome: a0 TRACE_FAULT_*, a1 page, a2 frame mapped. */
	TEV_FAULT_RESOLVE = 19,
	/* move_vma: a0 old address, a1 old length, a2 new address, a3 new length. */
	TEV_MOVE_VMA = 20,
	/* mm_populate [a0, a1): a2 1 for writes. */
	TEV_POPULATE = 21,
	/* Room for fork (copy_page_range, COW of shared frames) and the rest. */
	TEV_NR = 32
};

#define TRACE_MERGE_NONE      0
#define TRACE_MERGE_PREV      1
#define TRACE_MERGE_NEXT      2
#define TRACE_MERGE_BOTH      3

/* Why a neighbour did not merge (bits). */
#define TRACE_WHY_NONE        (1u << 0)   /* no such neighbour */
#define TRACE_WHY_GAP         (1u << 1)   /* not adjacent */
#define TRACE_WHY_FLAGS       (1u << 2)   /* vm_flags differ */
#define TRACE_WHY_PGOFF       (1u << 3)   /* pgoff not continuous */
#define TRACE_WHY_ANON        (1u << 4)   /* anon_vmas incompatible */
#define TRACE_WHY_EDGE        (1u << 5)   /* the change does not reach that edge */
#define TRACE_WHY_PREV_NEXT   (1u << 6)   /* prev and next anon_vmas differ: prev wins */

#define TRACE_FAULT_ZERO      1           /* read: the zero page mapped */
#define TRACE_FAULT_NEW       2           /* write: a new frame */
#define TRACE_FAULT_COW       3           /* write to a read-only shared page (the zero page, or one shared since fork): copied or reused */
#define TRACE_FAULT_FIX       4           /* a PTE was there: fixed up or spurious */

struct trace_rec {
	uint64_t tsc;             /* rdtsc when recorded */
	uint16_t ev;              /* enum trace_ev */
	uint16_t cpu;             /* the recording CPU */
	uint32_t seq;             /* low 32 bits of this record's index */
	uint64_t a[6];            /* arguments, see enum trace_ev */
};

struct trace_ctl {
	volatile uint32_t enabled;    /* host: nonzero = record */
	uint32_t pad0[15];
	/* guest: records written on CPU i (free-running), each on its own line */
	struct {
		volatile uint64_t head;
		uint64_t pad[7];
	} heads[TRACE_CPUS];
};

_Static_assert(sizeof(struct trace_rec) == 64, "trace_rec layout");
_Static_assert(offsetof(struct trace_rec, a) == 16, "trace_rec layout");
_Static_assert(offsetof(struct trace_ctl, heads) == 64, "trace_ctl layout");
_Static_assert(sizeof(struct trace_ctl) == 64 + 64 * TRACE_CPUS, "trace_ctl layout");
_Static_assert(sizeof(struct trace_ctl) <= TRACE_RING_OFFSET, "trace_ctl fits its page");
_Static_assert((TRACE_RING_RECS & (TRACE_RING_RECS - 1)) == 0, "ring size a power of two");
_Static_assert(TRACE_RING_OFFSET + TRACE_CPUS * TRACE_RING_SIZE <= TRACE_SIZE,
	       "trace rings fit the trace area");
_Static_assert(TRACE_GPA + TRACE_SIZE <= HOST_RESERVED_END, "trace area in the host's megabyte");

#endif
