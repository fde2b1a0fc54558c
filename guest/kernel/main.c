/*
 * The guest kernel's boot: take over from the host's boot mapping, set up
 * the CPU, hand RAM to the memory manager, tell the host we are ready and
 * serve requests forever.
 */
#include <stdint.h>

#include "guest/arch/x86_64/cpu.h"
#include "guest/arch/x86_64/hypercall.h"
#include "guest/arch/x86_64/percpu.h"
#include "guest/kernel/channel.h"
#include "guest/kernel/tlblog.h"
#include "guest/lib/printk.h"
#include "guest/mm/mm.h"
#include "shared/abi.h"
#include "shared/layout.h"

extern char _kernel_end[];

void kmain(uint64_t boot_info_gpa);

void kmain(uint64_t boot_info_gpa)
{
	/* The per-CPU area first: panic() and printk() use it. */
	percpu_init(&percpu_boot, 0);

	/* Still on the host's identity map: copy what we need first. */
	const struct boot_info *bi = (const struct boot_info *)boot_info_gpa;
	uint64_t ram_size = bi->ram_size;

	if (bi->magic != BOOT_INFO_MAGIC || bi->abi_version != VMM_ABI_VERSION)
		panic("kmain: bad boot_info (magic %lx, abi %u)", bi->magic, bi->abi_version);

	const uint64_t *pml4 = paging_init(ram_size);
	cpu_init_tables();
	cpu_init_features();
	apic_init();

	uint64_t free_start = (uint64_t)_kernel_end - KERNEL_VIRT_BASE;
	mm_init(free_start, ram_size, pml4);
	tlblog_init();
	channel_init();
	printk("guest: %lu MiB of RAM, abi %u, ready\n", ram_size >> 20, VMM_ABI_VERSION);
	hc_ready();
	channel_serve();
}
