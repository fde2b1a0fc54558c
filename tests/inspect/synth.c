/*
 * Synthetic guest memory for the inspection tests: see synth.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/inspect/synth.h"
#include "vmm/inspect/ptwalk.h"

#define PAGES_GPA 0x100000ULL

static void die(const char *msg)
{
	fprintf(stderr, "synth: %s\n", msg);
	abort();
}

void synth_init(struct synth *s, uint64_t ram_size)
{
	synth_init_at(s, ram_size, PAGES_GPA);
}

void synth_init_at(struct synth *s, uint64_t ram_size, uint64_t pages_gpa)
{
	memset(s, 0, sizeof *s);
	s->g.size = ram_size;
	s->g.ram = aligned_alloc(4096, ram_size);
	if (!s->g.ram)
		die("out of memory");
	memset(s->g.ram, 0, ram_size);
	s->tab = (struct mm_table *)(void *)(s->g.ram + MM_TABLE_GPA);
	s->pages = (struct abi_page *)(void *)(s->g.ram + pages_gpa);
	uint64_t frames = ram_size >> 12;
	uint64_t first = (pages_gpa + frames * sizeof(struct abi_page) + 4095) >> 12;
	s->tab->magic = MM_TABLE_MAGIC;
	s->tab->version = MM_TABLE_VERSION;
	s->tab->pages = synth_dm(pages_gpa);
	for (uint64_t f = 0; f < frames; f++) {
		s->pages[f].type = f < first ? PAGE_T_RESERVED : PAGE_T_FREE;
		s->pages[f].refcount = f < first ? 1 : 0;
	}
	s->tab->frames_total = frames - first;
	s->tab->frames_free = frames - first;
	s->tab->zero_page = synth_alloc(s, PAGE_T_ZERO, 0);
}

void synth_free(struct synth *s)
{
	free(s->g.ram);
	s->g.ram = NULL;
}

uint64_t synth_alloc(struct synth *s, uint32_t type, uint32_t refcount)
{
	for (uint64_t f = 0; f < (s->g.size >> 12); f++) {
		if (s->pages[f].type != PAGE_T_FREE)
			continue;
		s->pages[f].type = type;
		s->pages[f].refcount = refcount;
		s->tab->frames_free--;
		memset(s->g.ram + (f << 12), 0, 4096);
		return f << 12;
	}
	die("RAM full");
	return 0;
}

void synth_release(struct synth *s, uint64_t gpa)
{
	s->pages[gpa >> 12].type = PAGE_T_FREE;
	s->pages[gpa >> 12].refcount = 0;
	s->tab->frames_free++;
}

struct mm_desc *synth_mm(struct synth *s, uint32_t id)
{
	for (unsigned i = 0; i < MM_MAX; i++)
		if (s->tab->mms[i].id == id)
			return &s->tab->mms[i];
	die("no such mm");
	return NULL;
}

uint32_t synth_mm_new(struct synth *s)
{
	uint32_t id = 1;
	for (unsigned i = 0; i < MM_MAX; i++)
		if (s->tab->mms[i].id >= id)
			id = s->tab->mms[i].id + 1;
	for (unsigned i = 0; i < MM_MAX; i++) {
		if (s->tab->mms[i].id != 0)
			continue;
		s->tab->mms[i].id = id;
		s->tab->mms[i].pml4 = synth_alloc(s, PAGE_T_PGTABLE, 1);
		return id;
	}
	die("mm table full");
	return 0;
}

uint64_t *synth_entry(struct synth *s, struct mm_desc *mm, uint64_t pml4, uint64_t va,
		      unsigned level)
{
	uint64_t table = pml4;
	for (unsigned l = 4; l > level; l--) {
		uint64_t *e = (uint64_t *)(void *)(s->g.ram + table + 8 * ((va >> (12 + 9 * (l - 1))) & 511));
		if (!(*e & PTE_P)) {
			*e = synth_alloc(s, PAGE_T_PGTABLE, 1) | PTE_P | PTE_W | PTE_U;
			if (mm && va < (1ULL << 47))
				mm->pt_pages++;
		}
		table = *e & PTE_ADDR_MASK;
	}
	return (uint64_t *)(void *)(s->g.ram + table + 8 * ((va >> (12 + 9 * (level - 1))) & 511));
}

uint64_t synth_map(struct synth *s, uint32_t id, uint64_t va, uint64_t bits, int zero)
{
	struct mm_desc *mm = synth_mm(s, id);
	uint64_t *e = synth_entry(s, mm, mm->pml4, va, 1);
	uint64_t pa;
	if (zero) {
		pa = s->tab->zero_page;
		s->pages[pa >> 12].refcount++;
		mm->zero_ptes++;
	} else {
		pa = synth_alloc(s, PAGE_T_USER, 1);
		mm->rss_pages++;
	}
	*e = pa | bits;
	return pa;
}

struct abi_vma *synth_vma_ptr(struct synth *s, uint64_t gva)
{
	return (struct abi_vma *)(void *)(s->g.ram + (gva - DIRECT_MAP_BASE));
}

uint64_t synth_vma(struct synth *s, uint32_t id, uint64_t start, uint64_t end, uint64_t flags)
{
	struct mm_desc *mm = synth_mm(s, id);
	if (s->vma_frame == 0 || s->vma_used + 64 > 4096) {
		s->vma_frame = synth_alloc(s, PAGE_T_KERNEL, 1);
		s->vma_used = 0;
	}
	uint64_t gva = synth_dm(s->vma_frame + s->vma_used);
	s->vma_used += 64;
	struct abi_vma *v = synth_vma_ptr(s, gva);
	v->vm_start = start;
	v->vm_end = end;
	v->vm_pgoff = start >> 12;
	v->vm_flags = flags;
	v->anon_vma = 0;

	uint64_t prev = 0, next = mm->vma_head;
	while (next && synth_vma_ptr(s, next)->vm_start < start) {
		prev = next;
		next = synth_vma_ptr(s, next)->vm_next;
	}
	v->vm_prev = prev;
	v->vm_next = next;
	if (prev)
		synth_vma_ptr(s, prev)->vm_next = gva;
	else
		mm->vma_head = gva;
	if (next)
		synth_vma_ptr(s, next)->vm_prev = gva;
	mm->map_count++;
	return gva;
}
