/*
 * /proc/PID/maps and /proc/PID/smaps of a guest mm: see procfmt.h.
 */
#include <inttypes.h>
#include <string.h>

#include "vmm/inspect/procfmt.h"

/* Linux's VM_* bits that only these formats need. */
#define LX_VM_SHARED     0x00000008ULL
#define LX_VM_MAYSHARE   0x00000080ULL
#define LX_VM_LOCKED     0x00002000ULL
#define PSS_SHIFT        12
/* Where Linux pads a maps line before the pathname: 25 + 6 * sizeof(void *) - 1. */
#define MAPS_NAME_COLUMN 72

void proc_maps_line(FILE *out, const struct vma_info *v)
{
	bool shared = v->flags & LX_VM_MAYSHARE;
	char line[160];
	int n;

	/* An anonymous private mapping has no file: offset 0, device 00:00,
	 * inode 0.  A shared one is backed by a shmem file that the guest
	 * does not have: its offset is vm_pgoff, device 00:01, inode 0. */
	n = snprintf(line, sizeof line, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c %08" PRIx64 " %s 0 ",
		     v->start, v->end, (v->flags & VM_READ) ? 'r' : '-',
		     (v->flags & VM_WRITE) ? 'w' : '-', (v->flags & VM_EXEC) ? 'x' : '-',
		     shared ? 's' : 'p', shared ? v->pgoff << 12 : 0, shared ? "00:01" : "00:00");
	if (!shared) {
		fprintf(out, "%s\n", line);
		return;
	}
	fprintf(out, "%s%*s /dev/zero (deleted)\n", line, n < MAPS_NAME_COLUMN ?
		MAPS_NAME_COLUMN - n : 0, "");
}

/* The page's mappings from the page array (1 if unknown): its refcount,
 * less the reference a shared-memory page's object holds (Linux's
 * page_mapcount counts PTEs only). */
static uint32_t mapcount(const struct snapshot *s, uint64_t pa)
{
	uint64_t f = pa >> 12;
	uint32_t n;

	if (!s->pages || f >= s->npages || s->pages[f].refcount == 0)
		return 1;
	n = s->pages[f].refcount - (s->pages[f].type == PAGE_T_SHMEM);
	return n ? n : 1;
}

static void count_leaf(const struct snapshot *s, const struct vma_info *v,
		       const struct ptw_leaf *l, struct smaps_counts *c)
{
	bool dirty = l->entry & PTE_D, locked = v->flags & LX_VM_LOCKED;
	uint64_t size = l->size;
	uint32_t maps = mapcount(s, l->pa);
	uint64_t pss = (size << PSS_SHIFT) / (maps >= 2 ? maps : 1);

	c->resident += size;
	if (!(v->flags & LX_VM_SHARED)) {
		c->anonymous += size;
		if (l->level == PTW_LEVEL_PMD)
			c->anonymous_thp += size;
	}
	if (l->entry & PTE_A)
		c->referenced += size;
	c->pss += pss;
	if (locked)
		c->pss_locked += pss;
	if (dirty) {
		c->pss_dirty += pss;
		*(maps < 2 ? &c->private_dirty : &c->shared_dirty) += size;
	} else {
		*(maps < 2 ? &c->private_clean : &c->shared_clean) += size;
	}
}

void smaps_count(const struct snapshot *s, const struct mm_snap *m, const struct vma_info *v,
		 struct smaps_counts *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < m->nleaves; i++) {
		const struct ptw_leaf *l = &m->leaves[i];

		if (l->va + l->size <= v->start || l->va >= v->end)
			continue;
		/* The zero page is not a "normal" page: Linux's walk skips it. */
		if (l->pa == s->table.zero_page)
			continue;
		count_leaf(s, v, l, c);
	}
}

static void kb(FILE *out, const char *label, uint64_t bytes)
{
	fprintf(out, "%-16s%8" PRIu64 " kB\n", label, bytes >> 10);
}

void proc_vmflags(FILE *out, uint64_t flags)
{
	static const char names[32][3] = {
		"rd", "wr", "ex", "sh", "mr", "mw", "me", "ms", "gd", "um", "pf", "??",
		"uw", "lo", "io", "sr", "rr", "dc", "de", "lf", "ac", "nr", "ht", "sf",
		"ar", "wf", "dd", "sd", "mm", "hg", "nh", "mg",
	};

	fputs("VmFlags: ", out);
	for (unsigned bit = 0; bit < 64; bit++)
		if (flags & (1ULL << bit))
			fprintf(out, "%s ", bit < 32 ? names[bit] : "??");
	fputc('\n', out);
}

void proc_smaps_vma(FILE *out, const struct vma_info *v, const struct smaps_counts *c)
{
	proc_maps_line(out, v);
	kb(out, "Size:", v->end - v->start);
	kb(out, "KernelPageSize:", PAGE_SIZE_4K);
	kb(out, "MMUPageSize:", PAGE_SIZE_4K);
	kb(out, "Rss:", c->resident);
	kb(out, "Pss:", c->pss >> PSS_SHIFT);
	kb(out, "Pss_Dirty:", c->pss_dirty >> PSS_SHIFT);
	kb(out, "Shared_Clean:", c->shared_clean);
	kb(out, "Shared_Dirty:", c->shared_dirty);
	kb(out, "Private_Clean:", c->private_clean);
	kb(out, "Private_Dirty:", c->private_dirty);
	kb(out, "Referenced:", c->referenced);
	kb(out, "Anonymous:", c->anonymous);
	kb(out, "KSM:", 0);
	kb(out, "LazyFree:", 0);
	kb(out, "AnonHugePages:", c->anonymous_thp);
	kb(out, "ShmemPmdMapped:", 0);
	kb(out, "FilePmdMapped:", 0);
	kb(out, "Shared_Hugetlb:", 0);
	fprintf(out, "%-17s%7d kB\n", "Private_Hugetlb:", 0);
	kb(out, "Swap:", 0);
	kb(out, "SwapPss:", 0);
	kb(out, "Locked:", c->pss_locked >> PSS_SHIFT);
	fprintf(out, "THPeligible:    %8u\n", 0u);
	proc_vmflags(out, v->flags);
}
