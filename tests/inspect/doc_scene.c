/*
 * The states of the documentation's examples: see doc_scene.h.  Entries
 * carry the bits the guest writes (guest/mm/pgtable.h pte_prot: a private
 * frame P U A D, W if writable, NX unless executable; the zero page P U A
 * NX; PROT_NONE: PTE_PROTNONE A D) and the kernel half's (2 MiB global
 * pages, the user trampoline).
 */
#include <string.h>

#include "shared/layout.h"
#include "shared/pte.h"
#include "tests/inspect/doc_scene.h"

#define UVA      0x100000000000ULL
#define VM_RW    (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT)
#define VM_NONE  (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT)
#define K2M      (PTE_P | PTE_W | PTE_A | PTE_D | PTE_PS | PTE_G)
#define PRIVATE  (PTE_P | PTE_U | PTE_A | PTE_D | PTE_NX)
#define ZERO     (PTE_P | PTE_U | PTE_A | PTE_NX)

static void kernel_half(struct synth *s, uint32_t mm)
{
	uint64_t pml4 = synth_mm(s, mm)->pml4;

	for (uint64_t off = 0; off < s->g.size; off += PAGE_SIZE_2M)
		*synth_entry(s, NULL, pml4, DIRECT_MAP_BASE + off, 2) = off | K2M | PTE_NX;
	*synth_entry(s, NULL, pml4, DIRECT_MAP_BASE + IOAPIC_BASE_GPA, 2) =
		IOAPIC_BASE_GPA | K2M | PTE_NX;
	for (uint64_t off = 0; off < (1ULL << 30); off += PAGE_SIZE_2M)
		*synth_entry(s, NULL, pml4, KERNEL_VIRT_BASE + off, 2) = off | K2M;
	*synth_entry(s, NULL, pml4, USER_TRAMPOLINE_VA, 1) = 0x1000 | PTE_P | PTE_U | PTE_A;
}

/* An anonymous VMA with its anon_vma (it had pages). */
static void vma(struct synth *s, uint32_t mm, uint64_t start, uint64_t end, uint64_t flags)
{
	synth_vma_ptr(s, synth_vma(s, mm, start, end, flags))->anon_vma = synth_dm(0x2000);
}

/* Mm 1 with two written pages, forked: mm 2 shares the first
 * (read-only in both), and wrote the second (its own copy; mm 1's is
 * mapped once again, and stays read-only until it writes). */
static uint32_t fork_scene(struct synth *s)
{
	uint32_t parent, child;
	struct mm_desc *c;
	uint64_t pa;

	synth_init(s, GUEST_MEM_DEFAULT);
	parent = synth_mm_new(s);
	kernel_half(s, parent);
	pa = synth_map(s, parent, UVA, PRIVATE, 0);
	synth_map(s, parent, UVA + 0x1000, PRIVATE, 0);
	vma(s, parent, UVA, UVA + 0x2000, VM_RW);
	child = synth_mm_new(s);
	kernel_half(s, child);
	c = synth_mm(s, child);
	c->parent = parent;
	vma(s, child, UVA, UVA + 0x2000, VM_RW);
	*synth_entry(s, c, c->pml4, UVA, 1) = pa | PRIVATE;
	s->pages[pa >> 12].refcount++;
	c->rss_pages++;
	synth_map(s, child, UVA + 0x1000, PRIVATE | PTE_W, 0);
	s->tab->requests = 4;
	return child;
}

uint32_t doc_scene(struct synth *s, const char *name)
{
	bool demo = strcmp(name, "demo") == 0 || strcmp(name, "two-mms") == 0 ||
		    strcmp(name, "broken") == 0;
	uint32_t mm;

	if (strcmp(name, "fork") == 0)
		return fork_scene(s);
	if (!demo && strcmp(name, "smaps") != 0)
		return 0;
	synth_init(s, GUEST_MEM_DEFAULT);
	mm = synth_mm_new(s);
	kernel_half(s, mm);
	synth_map(s, mm, UVA, PRIVATE | PTE_W, 0);
	synth_map(s, mm, UVA + 0x1000, PRIVATE | PTE_W, 0);
	synth_map(s, mm, UVA + 0x2000, ZERO, 1);
	if (!demo) {
		vma(s, mm, UVA, UVA + 0x4000, VM_RW);
		return mm;
	}
	vma(s, mm, UVA, UVA + 0x1000, VM_RW);
	vma(s, mm, UVA + 0x1000, UVA + 0x2000, VM_NONE);
	vma(s, mm, UVA + 0x2000, UVA + 0x4000, VM_RW);
	/* mprotect ---: the entry keeps its frame, not present. */
	*synth_entry(s, NULL, synth_mm(s, mm)->pml4, UVA + 0x1000, 1) &=
		PTE_ADDR_MASK;
	*synth_entry(s, NULL, synth_mm(s, mm)->pml4, UVA + 0x1000, 1) |=
		PTE_PROTNONE | PTE_A | PTE_D;
	s->tab->requests = 5;
	if (strcmp(name, "two-mms") == 0)
		return synth_mm_new(s);
	if (strcmp(name, "broken") == 0)
		*synth_entry(s, NULL, synth_mm(s, mm)->pml4, UVA + 0x2000, 1) |= PTE_W;
	return mm;
}
