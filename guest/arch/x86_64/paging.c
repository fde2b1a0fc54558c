/*
 * The kernel's own page tables, built once at boot in .bss:
 *   KERNEL_VIRT_BASE + [0, 1 GiB)  -> physical [0, 1 GiB), 2 MiB pages, global
 *   DIRECT_MAP_BASE + [0, RAM)     -> all of RAM, 2 MiB pages, global, NX
 *   DIRECT_MAP_BASE + IOAPIC page  -> the IOAPIC registers, uncached
 *   USER_TRAMPOLINE_VA             -> the trampoline page, U=1, read-only
 * Every mm copies the upper half of this PML4, so these never change later.
 */
#include <stdint.h>

#include "guest/arch/x86_64/cpu.h"
#include "shared/pte.h"
#include "guest/lib/printk.h"
#include "shared/layout.h"

#define DIRECT_PDS  4   /* 4 GiB of direct map: RAM (<= 3 GiB) and the IOAPIC */

static uint64_t master_pml4[512] __attribute__((aligned(4096)));
static uint64_t kernel_pdpt[512] __attribute__((aligned(4096)));
static uint64_t kernel_pd[512] __attribute__((aligned(4096)));
static uint64_t direct_pdpt[512] __attribute__((aligned(4096)));
static uint64_t direct_pd[DIRECT_PDS][512] __attribute__((aligned(4096)));
static uint64_t tramp_pd[512] __attribute__((aligned(4096)));
static uint64_t tramp_pt[512] __attribute__((aligned(4096)));

extern char _user_tramp_start[];

/* Physical address of a kernel-image symbol. */
static uint64_t image_pa(const void *p)
{
	return (uint64_t)p - KERNEL_VIRT_BASE;
}

static unsigned idx(uint64_t va, int shift)
{
	return (va >> shift) & 511;
}

const uint64_t *paging_init(uint64_t ram_size)
{
	const uint64_t table = PTE_P | PTE_W;
	const uint64_t big = PTE_P | PTE_W | PTE_PS | PTE_G | PTE_A | PTE_D;

	if (ram_size > (uint64_t)(DIRECT_PDS - 1) << 30)
		panic("paging_init: %lu bytes of RAM exceed the direct map", ram_size);

	for (unsigned i = 0; i < 512; i++)
		kernel_pd[i] = ((uint64_t)i << 21) | big;
	kernel_pdpt[idx(KERNEL_VIRT_BASE, 30)] = image_pa(kernel_pd) | table;

	for (uint64_t pa = 0; pa < ram_size; pa += PAGE_SIZE_2M)
		direct_pd[pa >> 30][idx(pa, 21)] = pa | big | PTE_NX;
	direct_pd[IOAPIC_BASE_GPA >> 30][idx(IOAPIC_BASE_GPA, 21)] =
		(IOAPIC_BASE_GPA & ~(PAGE_SIZE_2M - 1)) | big | PTE_NX | PTE_PCD | PTE_PWT;
	for (unsigned i = 0; i < DIRECT_PDS; i++)
		direct_pdpt[i] = image_pa(direct_pd[i]) | table;

	tramp_pt[idx(USER_TRAMPOLINE_VA, 12)] = image_pa(_user_tramp_start) | PTE_P | PTE_U | PTE_A;
	tramp_pd[idx(USER_TRAMPOLINE_VA, 21)] = image_pa(tramp_pt) | table | PTE_U;
	kernel_pdpt[idx(USER_TRAMPOLINE_VA, 30)] = image_pa(tramp_pd) | table | PTE_U;

	master_pml4[idx(KERNEL_VIRT_BASE, 39)] = image_pa(kernel_pdpt) | table | PTE_U;
	master_pml4[idx(DIRECT_MAP_BASE, 39)] = image_pa(direct_pdpt) | table;

	write_cr3(image_pa(master_pml4));
	return master_pml4;
}

uint64_t paging_kernel_pml4_pa(void)
{
	return image_pa(master_pml4);
}
