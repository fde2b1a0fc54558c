/*
 * x86-64 4-level page-table walker over guest RAM (a struct gmem), for
 * inspection from the host.  Every table address comes from the guest and
 * is validated before use; a bad entry is reported through the visitor's
 * error callback and skipped, never followed.  The walk is bounded: it
 * visits at most (RAM frames + PTW_TABLE_SLACK) table pages, so even
 * deliberately aliased tables cannot make it run away.
 *
 * The walker is ptwalk.c; ptdump.c prints what it finds (ptwalk_describe
 * and the dumps, whose formats are documented in docs/inspection.md).
 */
#ifndef VMM_INSPECT_PTWALK_H
#define VMM_INSPECT_PTWALK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/gmem.h"

#include "shared/pte.h"

/* Bits 13..20 of a 2 MiB PDE must be zero (bit 12 is PAT). */
#define PDE_2M_RSVD     0x00000000001fe000ULL
#define PDE_2M_ADDR     0x000fffffffe00000ULL

/* Effective attributes of a leaf (PTW_*). */
#define PTW_USER        (1u << 0)  /* U set at every level */
#define PTW_WRITE       (1u << 1)  /* W set at every level */
#define PTW_NX          (1u << 2)  /* NX set at some level */
#define PTW_ACCESSED    (1u << 3)  /* leaf A */
#define PTW_DIRTY       (1u << 4)  /* leaf D */
#define PTW_GLOBAL      (1u << 5)  /* leaf G */
#define PTW_PWT         (1u << 6)  /* leaf PWT */
#define PTW_PCD         (1u << 7)  /* leaf PCD */
#define PTW_PROTNONE    (1u << 8)  /* P clear, PTE_PROTNONE set (see ptw_visitor) */

/* Levels, numbered as the entry's table: 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT. */
#define PTW_LEVEL_PTE   1
#define PTW_LEVEL_PMD   2
#define PTW_LEVEL_PUD   3
#define PTW_LEVEL_PGD   4

/* Tables beyond the RAM's frame count a walk may visit (aliasing slack). */
#define PTW_TABLE_SLACK 64
/* And at most this many in any case: none here; the fuzz build sets a small
 * one so that aliased tables end a walk in less time (the same code path). */
#ifndef PTW_MAX_TABLES
#define PTW_MAX_TABLES  UINT64_MAX
#endif

struct ptw_leaf {
	uint64_t va;            /* canonical virtual address of the page */
	uint64_t pa;            /* guest-physical address of the page */
	uint64_t size;          /* 4 KiB or 2 MiB */
	uint64_t entry;         /* raw leaf entry */
	uint64_t entry_gpa;     /* where the leaf entry lives */
	uint32_t attrs;         /* PTW_* */
	uint8_t level;          /* PTW_LEVEL_PTE or PTW_LEVEL_PMD */
};

/* A page-table page below the PML4 (PDPT, PD or PT). */
struct ptw_table {
	uint64_t gpa;
	uint64_t va;            /* first address of the span it maps */
	uint64_t span;          /* bytes it maps: 512 GiB, 1 GiB or 2 MiB */
	uint64_t entry_gpa;     /* the entry that points to it */
	uint16_t used;          /* non-zero entries of the 512, as read for the
	                           walk (one read per table): 0 = empty, as
	                           Linux's pte_none()/pmd_none() see it */
	uint8_t level;          /* 3 = PDPT, 2 = PD, 1 = PT */
};

/* A bad entry (or a bad PML4 address): reported, then skipped. */
struct ptw_error {
	uint64_t va;            /* first address the bad entry maps */
	uint64_t entry;         /* its value (the PML4 address for level 5) */
	uint64_t entry_gpa;     /* where it lives (0 for level 5) */
	uint8_t level;          /* level of the entry; 5 = the PML4 pointer */
	const char *msg;        /* static text */
};

/* Callbacks; any may be NULL.  A nonzero return stops the walk and is
 * returned by ptwalk().  Leaves and tables come in ascending address order
 * (tables after their children). */
struct ptw_visitor {
	int (*leaf)(void *ctx, const struct ptw_leaf *leaf);
	int (*table)(void *ctx, const struct ptw_table *table);
	int (*error)(void *ctx, const struct ptw_error *err);
	void *ctx;
	/* Also report PROT_NONE leaves (P clear, PTE_PROTNONE set: the frame is
	 * still mapped as Linux's pte_present() sees it), with PTW_PROTNONE and
	 * PTW_NX set and PTW_USER, PTW_WRITE, PTW_GLOBAL clear (no access). */
	bool protnone;
};

/*
 * Walk the page tables rooted at pml4 (guest-physical, 4 KiB aligned) and
 * report every present leaf that intersects [first, last] (inclusive,
 * canonical addresses; non-canonical addresses map nothing).  Returns 0
 * after a complete walk (bad entries go to v->error), a callback's nonzero
 * value, or -E2BIG when the table budget ran out (also reported to
 * v->error).
 */
int ptwalk(const struct gmem *g, uint64_t pml4, uint64_t first, uint64_t last,
	   const struct ptw_visitor *v);

struct ptw_xlate {
	uint64_t gpa;           /* translated address (va's offset included) */
	uint64_t entry;         /* leaf entry */
	uint64_t size;          /* page size */
	uint32_t attrs;         /* PTW_* */
	uint8_t level;          /* PTW_LEVEL_PTE or PTW_LEVEL_PMD */
};

/*
 * Translate one virtual address as the CPU would.  Returns 0 and *x if
 * mapped, -ENOENT if some level is not present (a PROT_NONE leaf included)
 * or va is not canonical, -EFAULT if a table
 * address is outside RAM or an entry has reserved bits set.
 */
int ptwalk_translate(const struct gmem *g, uint64_t pml4, uint64_t va,
		     struct ptw_xlate *x);

/* ---- the walk of one address, level by level (ptwalk_steps.c) ---- */

enum ptw_outcome {
	PTW_WALK_MAPPED,             /* gpa, size, attrs (effective) */
	PTW_WALK_NOT_PRESENT,        /* the last step's entry is not present */
	PTW_WALK_PROTNONE,      /* a PROT_NONE leaf: gpa = the frame it holds */
	PTW_WALK_BAD_ENTRY,          /* the last step's entry cannot be followed: problem */
	PTW_WALK_NONCANONICAL,       /* no step */
	PTW_WALK_BAD_PML4,           /* the PML4 address is misaligned or outside RAM */
	PTW_WALK_UNREADABLE,         /* the next entry (at unreadable_gpa) lies outside RAM */
};

struct ptw_step {
	uint8_t level;          /* PTW_LEVEL_PGD .. PTW_LEVEL_PTE */
	uint16_t index;         /* 0..511 */
	uint64_t entry_gpa;
	uint64_t entry;
};

struct ptw_steps {
	uint64_t va;
	unsigned n;             /* entries read */
	struct ptw_step step[4];
	enum ptw_outcome outcome;
	uint64_t gpa;           /* MAPPED: va's address; PROTNONE: the frame */
	uint64_t size;          /* MAPPED: page size */
	uint32_t attrs;         /* MAPPED: effective PTW_USER, PTW_WRITE, PTW_NX */
	bool frame_outside_ram; /* MAPPED: the page is not inside RAM */
	uint8_t unreadable_level; /* UNREADABLE: the level of the entry */
	uint64_t unreadable_gpa;
	const char *problem;    /* BAD_ENTRY: static text */
};

/* Walk va from pml4 as the CPU would, keeping every entry read. */
void ptwalk_steps(const struct gmem *g, uint64_t pml4, uint64_t va, struct ptw_steps *w);

/*
 * Print the walk of one address: one line per level (entry name and index,
 * where the entry lives, its value and decoded bits), then a line "  -> "
 * with the outcome (gpa and effective permissions, or where it stopped).
 * No heading: the caller prints one.  For crash reports and `walk`.
 */
void ptwalk_describe(const struct gmem *g, uint64_t pml4, uint64_t va, FILE *out);

/* The walk as one JSON object (docs/inspection.md, `walk json`), with mm
 * and pml4, and a newline. */
void ptwalk_steps_json(FILE *out, const struct ptw_steps *w, uint32_t mm, uint64_t pml4);

/* The entry names of the levels: "pte", "pde", "pdpte", "pml4e". */
const char *ptw_entry_name(unsigned level);

/*
 * Why a present entry at level cannot be followed or used as a leaf
 * (reserved bits, PS where no page size allows it, a next table outside
 * RAM), as static text; NULL if it can.
 */
const char *ptw_entry_problem(const struct gmem *g, uint64_t entry, unsigned level);

/* Fold one entry's permission bits into the effective attributes eff
 * (PTW_USER and PTW_WRITE need every level, PTW_NX any). */
uint32_t ptw_fold_attrs(uint32_t eff, uint64_t entry);

/* "pte", "pmd", "pud", "pgd" for PTW_LEVEL_*. */
const char *ptw_level_name(unsigned level);

/* Canonical form of a 48-bit address. */
static inline uint64_t ptw_canonical(uint64_t va)
{
	return (va & (1ULL << 47)) ? (va | 0xffff000000000000ULL)
				   : (va & 0x0000ffffffffffffULL);
}

/* ---- dumps ---- */

enum ptdump_mode {
	PTDUMP_MERGED,          /* ptdump-style ranges of equal attributes */
	PTDUMP_LEAVES,          /* one line per leaf, like QEMU "info tlb" */
	PTDUMP_JSON,            /* merged ranges as one JSON object */
	PTDUMP_JSON_LEAVES,     /* leaves as one JSON object */
	PTDUMP_LINUX,           /* Linux's kernel_page_tables format (ptdump_linux.c) */
};

/* The dumps include PROT_NONE leaves (see ptw_visitor.protnone). */

/* Most bytes of ranges, leaves and bad-entry lines one dump prints; then
 * it says "truncated".  This bounds what a hostile guest (page tables that
 * point back at themselves) can make the host print, and keep in memory
 * when the answer is buffered (icmd.c, the control socket); about 150,000
 * text lines, 30,000 JSON leaves.  The fuzz build sets a smaller one
 * (tests/fuzz/CMakeLists.txt). */
#ifndef PTDUMP_MAX_BYTES
#define PTDUMP_MAX_BYTES (8u << 20)
#endif

struct frame_share;

struct ptdump_opts {
	enum ptdump_mode mode;
	/* Mark each user leaf's frames (not in PTDUMP_LINUX, which prints
	 * exactly Linux's columns): shared, zero page, or a guest refcount
	 * that disagrees with the host's count (share.h).  NULL: no marks. */
	const struct frame_share *share;
	uint64_t start;         /* report leaves intersecting [start, end) */
	uint64_t end;           /* exclusive; 0 = up to the top of the space */
};

/*
 * Dump the page tables rooted at pml4 to out in the chosen format.
 * Returns 0, -EINVAL for a bad range, -E2BIG if the walk budget ran out or
 * it reached PTDUMP_MAX_BYTES (the dump says so), or -EIO
 * if writing failed.
 */
int ptdump(const struct gmem *g, uint64_t pml4, const struct ptdump_opts *o, FILE *out);

/* The sharing marks of one leaf, as the dumps print them (ptdump_mark.c):
 * sharing is an enum frame_sharing, refcount_ok false when the guest's
 * refcount of some frame disagrees with the host's count. */
struct ptdump_mark {
	uint8_t sharing;
	bool refcount_ok;
	uint32_t maps;          /* host's count of the first frame */
	uint32_t refcount;      /* guest's, of the first frame */
	bool refcount_read;     /* refcount could be read */
};

void ptdump_mark_leaf(const struct gmem *g, const struct frame_share *fs,
		      const struct ptw_leaf *l, struct ptdump_mark *m);

/* The text marks: " shared" or " zero" (nothing for an exclusive or kernel
 * frame), then " refcount-mismatch" (merged ranges) or " refcount=R maps=N"
 * (leaf).  Returns the bytes written. */
int ptdump_mark_text(FILE *out, const struct ptdump_mark *m, bool leaf);

/* ,"sharing":"...","refcount_ok":B of a JSON range, and ,"maps":N,
 * "refcount":R|null of a leaf.  Returns the bytes written. */
int ptdump_mark_json(FILE *out, const struct ptdump_mark *m, bool leaf);

/*
 * The PTDUMP_LINUX dump: every entry of [start, end) (end 0 = to the top)
 * within Linux's two walked ranges (the user half, and the kernel half from
 * 0xffff880000000000), printed by the rules of Linux's x86-64 dumper, then
 * a "bad:" line per entry that could not be followed.  Returns 0, -E2BIG
 * (walk budget, PTDUMP_MAX_BYTES / 128 lines, or a bad PML4 address), -ENOMEM.
 */
int ptdump_linux(const struct gmem *g, uint64_t pml4, uint64_t start, uint64_t end, FILE *out);

/* Human size as ptdump prints it: exact, in the largest unit that divides
 * (4096 -> "4K", 0x600000 -> "6M").  buf needs 24 bytes. */
void ptw_format_size(uint64_t bytes, char *buf, size_t len);

#endif
