/*
 * `ptdump linux`: the page tables printed by the rules of Linux's x86-64
 * dumper (arch/x86/mm/dump_pagetables.c, walked as mm/ptdump.c and
 * mm/pagewalk.c walk), so that a dump of the guest reads, line for line,
 * like /sys/kernel/debug/page_tables/current_kernel of a Linux 6.18 host in
 * 4-level mode.  The rules (docs/inspection.md has them with an example):
 *
 *  - every entry of the two walked ranges is noted, holes included: a zero
 *    PML4 entry as a hole at level "pgd" (the p4d level is folded), a zero
 *    PDPT entry at "pud", a zero PDE at "pmd", every PTE (zero or not) at
 *    "pte"; leaves at their own level;
 *  - a run ends when the entry's flags (bits 0-11 and 52-63, so A and D
 *    count), its effective permissions, its level or the address marker
 *    change; the run is printed as START-END, its size in the largest unit
 *    that divides it, the flags of its first entry and its level;
 *  - a marker line "---[ NAME ]---" follows the run during which the
 *    walk passed the marker's address;
 *  - the last run ends at 0x0000000000000000 (2^64 wrapped), as Linux's
 *    final flush prints it; with a range (our addition), at its end.
 *
 * Unlike Linux, the host trusts no entry: one that cannot be followed is
 * noted nowhere (the run goes on over it, as Linux does for a non-present
 * table entry) and listed after the dump as a "bad:" line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "shared/layout.h"
#include "vmm/inspect/ptwalk.h"

/* Lines of a Linux-format dump are at most ~100 bytes: this many keep it
 * under PTDUMP_MAX_BYTES, the bound on what one dump may print. */
#define LX_MAX_LINES ((unsigned)(PTDUMP_MAX_BYTES / 128))

/* Linux's pte_flags() mask on x86-64: everything but the frame number. */
#define LX_FLAGS_MASK     0xfff0000000000fffULL
#define LX_PAT_LARGE      (1ULL << 12)
#define LX_LEVEL_PGD      0
#define LX_LEVEL_PUD      2
#define LX_LEVEL_PMD      3
#define LX_LEVEL_PTE      4
/* The second walked range starts after the guard hole, as Linux's. */
#define LX_GUARD_HOLE_END 0xffff880000000000ULL
#define LX_MAX_ERRORS     256

struct lx_marker {
	uint64_t start;
	const char *name;
	unsigned long max_lines;   /* 0: no limit */
};

/*
 * Linux's x86-64 markers, in its order, at the addresses of a 4-level
 * kernel without KASLR (the guest's own where it has the area: the direct
 * map, the kernel image).  FIXADDR_START depends on Linux's configuration;
 * this is a typical distribution kernel's.
 */
static const struct lx_marker lx_markers[] = {
	{ 0, "User Space", 0 },
	{ 1ULL << 63, "Kernel Space", 0 },
	{ 0xffff880000000000ULL, "LDT remap", 0 },
	{ DIRECT_MAP_BASE, "Low Kernel Mapping", 0 },
	{ 0xffffc90000000000ULL, "vmalloc() Area", 0 },
	{ 0xffffea0000000000ULL, "Vmemmap", 0 },
	{ 0xfffffe0000000000ULL, "CPU entry Area", 0 },
	{ 0xffffff0000000000ULL, "ESPfix Area", 16 },
	{ 0xffffffef00000000ULL, "EFI Runtime Services", 0 },
	{ KERNEL_VIRT_BASE, "High Kernel Mapping", 0 },
	{ 0xffffffffc0000000ULL, "Modules", 0 },
	{ 0xffffffffff000000ULL, "End Modules", 0 },
	{ 0xffffffffff579000ULL, "Fixmap Area", 0 },
	{ UINT64_MAX, NULL, 0 },
};

struct lx_state {
	FILE *out;
	const struct gmem *g;
	int level;                 /* of the open run; -1 before the first entry */
	uint64_t cur, eff;         /* the run's flags and effective permissions */
	uint64_t prot_levels[5];   /* effective permissions per level */
	uint64_t start;
	const struct lx_marker *marker;
	unsigned long lines;
	unsigned long printed;     /* run lines written (bounded) */
	bool truncated;
	uint64_t tables_left;      /* walk budget */
	struct ptw_error errors[LX_MAX_ERRORS];
	unsigned nerrors;
	unsigned long dropped;
};

static void lx_prot(FILE *out, uint64_t pr, int level)
{
	static const char *const names[] = { "pgd", "p4d", "pud", "pmd", "pte" };

	if (!(pr & PTE_P)) {
		fprintf(out, "%30s", "");
	} else {
		bool pat = (level == LX_LEVEL_PTE && (pr & PTE_PS)) ||
			   ((level == LX_LEVEL_PMD || level == LX_LEVEL_PUD) && (pr & LX_PAT_LARGE));

		fprintf(out, "%s%s%s%s%s%s%s%s", (pr & PTE_U) ? "USR " : "    ",
			(pr & PTE_W) ? "RW " : "ro ", (pr & PTE_PWT) ? "PWT " : "    ",
			(pr & PTE_PCD) ? "PCD " : "    ",
			(level <= LX_LEVEL_PMD && (pr & PTE_PS)) ? "PSE " : "    ",
			pat ? "PAT " : "    ", (pr & PTE_G) ? "GLB " : "    ",
			(pr & PTE_NX) ? "NX " : "x  ");
	}
	fprintf(out, "%s\n", names[level]);
}

static void lx_print_run(struct lx_state *st, uint64_t addr)
{
	static const char units[] = "BKMGTPE";
	const char *unit = units;
	uint64_t delta = addr - st->start;   /* mod 2^64, as Linux's unsigned long */

	if (st->printed >= LX_MAX_LINES) {
		st->truncated = true;
		return;
	}
	st->printed++;
	fprintf(st->out, "0x%016" PRIx64 "-0x%016" PRIx64 "   ", st->start, addr);
	while (!(delta & 1023) && unit[1]) {
		delta >>= 10;
		unit++;
	}
	fprintf(st->out, "%9" PRIu64 "%c ", delta, *unit);
	lx_prot(st->out, st->cur, st->level);
}

/* One entry (or hole) at addr: continue the run or end it. */
static void lx_note(struct lx_state *st, uint64_t addr, int level, uint64_t val)
{
	uint64_t prot = val & LX_FLAGS_MASK;
	uint64_t eff = val ? st->prot_levels[level < 0 ? 0 : level] : 0;

	if (st->level == -1) {
		/* Linux's first run starts at 0, where its walk starts; ours may
		 * start at a range's start. */
		st->start = addr;
		st->cur = prot;
		st->eff = eff;
		st->level = level;
		st->marker = lx_markers;
		st->lines = 0;
		fprintf(st->out, "---[ %s ]---\n", st->marker->name);
		return;
	}
	if (prot == st->cur && eff == st->eff && level == st->level &&
	    addr < st->marker[1].start)
		return;
	if (!st->marker->max_lines || st->lines < st->marker->max_lines)
		lx_print_run(st, addr);
	st->lines++;
	if (addr >= st->marker[1].start) {
		if (st->marker->max_lines && st->lines > st->marker->max_lines) {
			unsigned long skipped = st->lines - st->marker->max_lines;

			fprintf(st->out, "... %lu entr%s skipped ... \n", skipped,
				skipped == 1 ? "y" : "ies");
		}
		st->marker++;
		st->lines = 0;
		fprintf(st->out, "---[ %s ]---\n", st->marker->name);
	}
	st->start = addr;
	st->cur = prot;
	st->eff = eff;
	st->level = level;
}

/* Linux's effective permissions: U and RW need every level, NX any; the
 * first real level (the PML4 entry, as p4d) keeps all its flags. */
static void lx_effective(struct lx_state *st, int level, uint64_t val)
{
	uint64_t prot = val & LX_FLAGS_MASK, higher;

	if (level == 1) {
		st->prot_levels[1] = prot;
		return;
	}
	higher = st->prot_levels[level - 1];
	st->prot_levels[level] = (higher & prot & (PTE_U | PTE_W)) | ((higher | prot) & PTE_NX);
}

static void lx_error(struct lx_state *st, uint64_t va, uint64_t e, uint64_t egpa,
		     unsigned level, const char *msg)
{
	if (st->nerrors < LX_MAX_ERRORS)
		st->errors[st->nerrors++] = (struct ptw_error){ va, e, egpa, (uint8_t)level, msg };
	else
		st->dropped++;
}

/* The next boundary of a span of size (a power of two) after addr, capped
 * at end (0 = 2^64), as Linux's *_addr_end(). */
static uint64_t span_end(uint64_t addr, uint64_t size, uint64_t end)
{
	uint64_t b = (addr + size) & ~(size - 1);

	return (b - 1 < end - 1) ? b : end;
}

/* Read one table entry; a table outside RAM was refused before. */
static uint64_t entry_at(const struct lx_state *st, uint64_t table, uint64_t va, unsigned shift)
{
	uint64_t e = 0;

	gmem_read_u64(st->g, table + 8 * ((va >> shift) & 511), &e);
	return e;
}

/* Take one table page from the budget: false when it is spent. */
static bool lx_budget(struct lx_state *st, uint64_t va)
{
	if (st->tables_left == 0) {
		lx_error(st, va, 0, 0, PTW_LEVEL_PGD + 1, "walk budget exhausted");
		return false;
	}
	st->tables_left--;
	return true;
}

static void lx_pte_range(struct lx_state *st, uint64_t table, uint64_t addr, uint64_t end)
{
	if (!lx_budget(st, addr))
		return;
	do {
		uint64_t e = entry_at(st, table, addr, 12);

		lx_effective(st, LX_LEVEL_PTE, e);
		lx_note(st, addr, LX_LEVEL_PTE, e);
		addr += PAGE_SIZE_4K;
	} while (addr != end && !st->truncated);
}

static void lx_pmd_range(struct lx_state *st, uint64_t table, uint64_t addr, uint64_t end)
{
	if (!lx_budget(st, addr))
		return;
	uint64_t next;

	do {
		uint64_t e = entry_at(st, table, addr, 21);

		next = span_end(addr, 1ULL << 21, end);
		const char *bad;

		if (e == 0) {
			lx_note(st, addr, LX_LEVEL_PMD, 0);
			continue;
		}
		lx_effective(st, LX_LEVEL_PMD, e);
		bad = (e & PTE_P) ? ptw_entry_problem(st->g, e, PTW_LEVEL_PMD) : NULL;
		if (bad)
			lx_error(st, addr, e, table + 8 * ((addr >> 21) & 511), PTW_LEVEL_PMD, bad);
		else if (e & PTE_PS)
			lx_note(st, addr, LX_LEVEL_PMD, e);
		else if (e & PTE_P)
			lx_pte_range(st, e & PTE_ADDR_MASK, addr, next);
	} while (addr = next, addr != end && !st->truncated);
}

static void lx_pud_range(struct lx_state *st, uint64_t table, uint64_t addr, uint64_t end)
{
	if (!lx_budget(st, addr))
		return;
	uint64_t next;

	do {
		uint64_t e = entry_at(st, table, addr, 30);

		next = span_end(addr, 1ULL << 30, end);
		const char *bad;

		if (e == 0) {
			lx_note(st, addr, LX_LEVEL_PUD, 0);
			continue;
		}
		lx_effective(st, LX_LEVEL_PUD, e);
		bad = (e & PTE_P) ? ptw_entry_problem(st->g, e, PTW_LEVEL_PUD) : NULL;
		if (bad)
			lx_error(st, addr, e, table + 8 * ((addr >> 30) & 511), PTW_LEVEL_PUD, bad);
		else if (e & PTE_P)
			lx_pmd_range(st, e & PTE_ADDR_MASK, addr, next);
	} while (addr = next, addr != end && !st->truncated);
}

/* [addr, end) (end 0 = 2^64), both inside one walked range. */
static void lx_pgd_range(struct lx_state *st, uint64_t pml4, uint64_t addr, uint64_t end)
{
	uint64_t next;

	do {
		uint64_t e = entry_at(st, pml4, addr, 39);
		const char *bad = (e & PTE_P) ? ptw_entry_problem(st->g, e, PTW_LEVEL_PGD) : NULL;

		next = span_end(addr, 1ULL << 39, end);

		if (!(e & PTE_P)) {
			lx_note(st, addr, LX_LEVEL_PGD, 0);
		} else if (bad) {
			lx_error(st, addr, e, pml4 + 8 * ((addr >> 39) & 511), PTW_LEVEL_PGD, bad);
		} else {
			lx_effective(st, 1, e);
			lx_pud_range(st, e & PTE_ADDR_MASK, addr, next);
		}
	} while (addr = next, addr != end && !st->truncated);
}

static void lx_print_errors(const struct lx_state *st)
{
	for (unsigned i = 0; i < st->nerrors; i++) {
		const struct ptw_error *e = &st->errors[i];

		if (e->level > PTW_LEVEL_PGD)
			fprintf(st->out, "bad: %s at va %016" PRIx64 "\n", e->msg, e->va);
		else
			fprintf(st->out, "bad: va %016" PRIx64 " %s entry 0x%016" PRIx64 " at 0x%"
				PRIx64 ": %s\n", e->va, ptw_level_name(e->level), e->entry,
				e->entry_gpa, e->msg);
	}
	if (st->dropped)
		fprintf(st->out, "bad: ... and %lu more\n", st->dropped);
	if (st->truncated)
		fprintf(st->out, "truncated: more than %u ranges\n", LX_MAX_LINES);
}

int ptdump_linux(const struct gmem *g, uint64_t pml4, uint64_t start, uint64_t end, FILE *out)
{
	/* Linux walks the user half, then everything above the guard hole. */
	const uint64_t ranges[2][2] = { { 0, 1ULL << 47 }, { LX_GUARD_HOLE_END, 0 } };
	struct lx_state *st;
	uint64_t flush_at = 0;
	int r = 0;

	if ((pml4 & (PAGE_SIZE_4K - 1)) || !gmem_range_ok(g, pml4, PAGE_SIZE_4K)) {
		fprintf(out, "bad: pml4 0x%" PRIx64 ": PML4 address misaligned or outside RAM\n", pml4);
		return -E2BIG;
	}
	st = calloc(1, sizeof *st);
	if (!st)
		return -ENOMEM;
	*st = (struct lx_state){ .out = out, .g = g, .level = -1,
				 .tables_left = (g->size >> 12) + PTW_TABLE_SLACK };
	for (unsigned i = 0; i < 2 && !st->truncated; i++) {
		/* Inclusive last addresses, so that 2^64 (end 0) needs no special case. */
		uint64_t lo = ranges[i][0] > start ? ranges[i][0] : start;
		uint64_t last = ranges[i][1] - 1 < end - 1 ? ranges[i][1] - 1 : end - 1;

		if (lo <= last) {
			lx_pgd_range(st, pml4, lo, last + 1);
			flush_at = last + 1;
		}
	}
	/* Flush the last run at the end of the walk: 0 (2^64) for the whole
	 * space, as Linux does; the end of the range asked for otherwise. */
	if (!st->truncated)
		lx_note(st, flush_at, -1, 0);
	lx_print_errors(st);
	if (st->truncated || st->tables_left == 0)
		r = -E2BIG;
	free(st);
	return r;
}
