/*
 * Page-table walker: see ptwalk.h (the dumps and the description of one
 * walk are in ptdump.c).  The tables live in guest RAM and are written by
 * the guest, so every entry is treated as hostile: the next table's address
 * must be a whole 4 KiB page inside RAM, reserved bits are refused, the
 * number of tables visited is capped, and each table is read once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "vmm/inspect/ptwalk.h"

struct walk {
	const struct gmem *g;
	const struct ptw_visitor *v;
	uint64_t first, last;    /* inclusive filter */
	uint64_t budget;         /* tables left to visit */
	/* The entries of the table being walked at each level, each read once:
	 * what is followed and what ptw_table.used counts are the same values
	 * even while the guest changes the table. */
	uint64_t tab[PTW_LEVEL_PGD + 1][512];
};

const char *ptw_level_name(unsigned level)
{
	switch (level) {
	case PTW_LEVEL_PTE: return "pte";
	case PTW_LEVEL_PMD: return "pmd";
	case PTW_LEVEL_PUD: return "pud";
	case PTW_LEVEL_PGD: return "pgd";
	default:            return "pml4-pointer";
	}
}

static unsigned level_shift(unsigned level)
{
	return 12 + 9 * (level - 1);
}

static bool is_leaf(uint64_t e, unsigned level)
{
	return level == PTW_LEVEL_PTE || (level == PTW_LEVEL_PMD && (e & PTE_PS));
}

static int walk_error(struct walk *w, uint64_t va, uint64_t entry, uint64_t egpa,
		      unsigned level, const char *msg)
{
	if (!w->v->error)
		return 0;
	struct ptw_error e = { .va = va, .entry = entry, .entry_gpa = egpa,
			       .level = (uint8_t)level, .msg = msg };
	return w->v->error(w->v->ctx, &e);
}

uint32_t ptw_fold_attrs(uint32_t eff, uint64_t entry)
{
	if (!(entry & PTE_U))
		eff &= ~PTW_USER;
	if (!(entry & PTE_W))
		eff &= ~PTW_WRITE;
	if (entry & PTE_NX)
		eff |= PTW_NX;
	return eff;
}

static uint32_t leaf_attrs(uint32_t eff, uint64_t entry)
{
	if (entry & PTE_A)
		eff |= PTW_ACCESSED;
	if (entry & PTE_D)
		eff |= PTW_DIRTY;
	if (entry & PTE_G)
		eff |= PTW_GLOBAL;
	if (entry & PTE_PWT)
		eff |= PTW_PWT;
	if (entry & PTE_PCD)
		eff |= PTW_PCD;
	return eff;
}

static int protnone_leaf(struct walk *w, uint64_t va, uint64_t span, uint64_t e,
			 uint64_t egpa, unsigned level, uint32_t eff)
{
	if (level == PTW_LEVEL_PMD && (e & PDE_2M_RSVD))
		return walk_error(w, va, e, egpa, level, "reserved bits 13-20 set in a 2 MiB PDE");
	struct ptw_leaf l = {
		.va = va, .size = span, .entry = e, .entry_gpa = egpa, .level = (uint8_t)level,
		/* No access at all, whatever the entry's other bits say. */
		.attrs = (leaf_attrs(ptw_fold_attrs(eff, e), e) & ~(PTW_GLOBAL | PTW_USER | PTW_WRITE)) |
			 PTW_NX | PTW_PROTNONE,
		.pa = e & (level == PTW_LEVEL_PTE ? PTE_ADDR_MASK : PDE_2M_ADDR),
	};
	return w->v->leaf(w->v->ctx, &l);
}

const char *ptw_entry_problem(const struct gmem *g, uint64_t entry, unsigned level)
{
	if (level == PTW_LEVEL_PGD && (entry & PTE_PS))
		return "PS set in a PML4 entry (reserved bit)";
	if (level == PTW_LEVEL_PUD && (entry & PTE_PS))
		return "PS set in a PDPT entry: 1 GiB pages are not supported";
	if (level == PTW_LEVEL_PMD && (entry & PTE_PS))
		return (entry & PDE_2M_RSVD) ? "reserved bits 13-20 set in a 2 MiB PDE" : NULL;
	if (level > PTW_LEVEL_PTE && !gmem_range_ok(g, entry & PTE_ADDR_MASK, PAGE_SIZE_4K))
		return "next table outside RAM";
	return NULL;
}

/* Copy entries [lo, hi] of the table at tgpa (validated: inside RAM) into
 * ent[], each with one atomic read. */
static void read_table(const struct gmem *g, uint64_t tgpa, uint64_t *ent, unsigned lo,
		       unsigned hi)
{
	for (unsigned i = lo; i <= hi; i++)
		if (gmem_read_u64(g, tgpa + 8ULL * i, &ent[i]) != 0)
			ent[i] = 0;
}

/* The non-zero entries of a table read whole: 0 = empty, as Linux's
 * pte_none()/pmd_none() see it. */
static uint16_t count_used(const uint64_t *ent)
{
	uint16_t n = 0;

	for (unsigned i = 0; i < 512; i++)
		n += ent[i] != 0;
	return n;
}

static int walk_table(struct walk *w, uint64_t tgpa, unsigned level, uint64_t base,
		      uint32_t eff, uint64_t parent_egpa);

/* Report or follow one present entry e (index i of a table at level). */
static int walk_entry(struct walk *w, uint64_t e, uint64_t egpa, unsigned level, uint64_t va,
		      uint64_t span, uint32_t eff)
{
	const char *bad = ptw_entry_problem(w->g, e, level);

	if (bad)
		return walk_error(w, va, e, egpa, level, bad);
	eff = ptw_fold_attrs(eff, e);
	if (is_leaf(e, level)) {
		if (!w->v->leaf)
			return 0;
		struct ptw_leaf l = {
			.va = va, .size = span, .entry = e, .entry_gpa = egpa,
			.attrs = leaf_attrs(eff, e), .level = (uint8_t)level,
			.pa = e & (level == PTW_LEVEL_PTE ? PTE_ADDR_MASK : PDE_2M_ADDR),
		};
		return w->v->leaf(w->v->ctx, &l);
	}
	if (w->budget == 0) {
		walk_error(w, va, e, egpa, level, "walk budget exhausted (aliased page tables?)");
		return -E2BIG;
	}
	w->budget--;
	return walk_table(w, e & PTE_ADDR_MASK, level - 1, va, eff, egpa);
}

/* Walk one table (already validated: 4 KiB aligned, inside RAM) whose span
 * starts at base; eff carries the attributes folded from the levels above. */
static int walk_table(struct walk *w, uint64_t tgpa, unsigned level, uint64_t base,
		      uint32_t eff, uint64_t parent_egpa)
{
	unsigned shift = level_shift(level);
	uint64_t span = 1ULL << shift, *ent = w->tab[level];
	bool whole = level < PTW_LEVEL_PGD && w->v->table;   /* used counts all 512 */
	unsigned lo = 0, hi = 511;
	int r;

	if (level < PTW_LEVEL_PGD) {
		uint64_t top = base + (span << 9) - 1;   /* cannot wrap: spans are aligned */
		if (w->first > base)
			lo = (unsigned)((w->first - base) >> shift);
		if (w->last < top)
			hi = (unsigned)((w->last - base) >> shift);
	}
	read_table(w->g, tgpa, ent, whole ? 0 : lo, whole ? 511 : hi);

	for (unsigned i = lo; i <= hi; i++) {
		uint64_t va = level == PTW_LEVEL_PGD ? ptw_canonical((uint64_t)i << 39)
						     : base + (uint64_t)i * span;
		uint64_t egpa = tgpa + 8ULL * i, e = ent[i];

		if (va > w->last || va + (span - 1) < w->first)
			continue;
		if (e & PTE_P)
			r = walk_entry(w, e, egpa, level, va, span, eff);
		else if (w->v->protnone && w->v->leaf && (e & PTE_PROTNONE) && is_leaf(e, level))
			r = protnone_leaf(w, va, span, e, egpa, level, eff);
		else
			r = 0;
		if (r != 0)
			return r;
	}

	if (whole) {
		struct ptw_table t = {
			.gpa = tgpa, .va = base, .span = span << 9, .entry_gpa = parent_egpa,
			.used = count_used(ent), .level = (uint8_t)level,
		};
		return w->v->table(w->v->ctx, &t);
	}
	return 0;
}

int ptwalk(const struct gmem *g, uint64_t pml4, uint64_t first, uint64_t last,
	   const struct ptw_visitor *v)
{
	struct walk w = { .g = g, .v = v, .first = first, .last = last,
			  .budget = (g->size >> 12) + PTW_TABLE_SLACK };

	if (w.budget > PTW_MAX_TABLES)
		w.budget = PTW_MAX_TABLES;

	if (first > last)
		return 0;
	if ((pml4 & (PAGE_SIZE_4K - 1)) || !gmem_range_ok(g, pml4, PAGE_SIZE_4K))
		return walk_error(&w, 0, pml4, 0, PTW_LEVEL_PGD + 1,
				  "PML4 address misaligned or outside RAM");
	return walk_table(&w, pml4, PTW_LEVEL_PGD, 0, PTW_USER | PTW_WRITE, 0);
}

int ptwalk_translate(const struct gmem *g, uint64_t pml4, uint64_t va,
		     struct ptw_xlate *x)
{
	uint32_t eff = PTW_USER | PTW_WRITE;
	uint64_t table = pml4;

	if (ptw_canonical(va) != va)
		return -ENOENT;
	if ((pml4 & (PAGE_SIZE_4K - 1)) || !gmem_range_ok(g, pml4, PAGE_SIZE_4K))
		return -EFAULT;
	for (unsigned level = PTW_LEVEL_PGD; level >= PTW_LEVEL_PTE; level--) {
		unsigned shift = level_shift(level);
		uint64_t e;
		if (gmem_read_u64(g, table + 8 * ((va >> shift) & 511), &e) != 0)
			return -EFAULT;
		if (!(e & PTE_P))
			return -ENOENT;
		if (ptw_entry_problem(g, e, level))
			return -EFAULT;
		eff = ptw_fold_attrs(eff, e);
		if (is_leaf(e, level)) {
			uint64_t size = 1ULL << shift;
			uint64_t base = e & (level == PTW_LEVEL_PTE ? PTE_ADDR_MASK : PDE_2M_ADDR);
			x->gpa = base + (va & (size - 1));
			x->entry = e;
			x->size = size;
			x->attrs = leaf_attrs(eff, e);
			x->level = (uint8_t)level;
			return 0;
		}
		table = e & PTE_ADDR_MASK;
	}
	return -ENOENT;   /* not reached: level 1 always returns */
}

