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

_Static_assert(CHANNEL_MAX_CPUS == 8, "entry.S: MAX_CPUS");

void kmain(uint64_t boot_info_gpa);
void ap_main(uint64_t cpu);

/* The other CPUs' per-CPU areas (CPU 0's is percpu_boot). */
static struct percpu percpu_ap[CHANNEL_MAX_CPUS];

void kmain(uint64_t boot_info_gpa)
{
	/* The per-CPU area first: panic() and printk() use it. */
	percpu_init(&percpu_boot, 0);

	/* Still on the host's identity map: copy what we need first. */
	const struct boot_info *bi = (const struct boot_info *)boot_info_gpa;
	uint64_t ram_size = bi->ram_size;

	if (bi->magic != BOOT_INFO_MAGIC || bi->abi_version != VMM_ABI_VERSION)
		panic("kmain: bad boot_info (magic %lx, abi %u)", bi->magic, bi->abi_version);

	unsigned nr_cpus = bi->nr_cpus;
	if (nr_cpus < 1 || nr_cpus > CHANNEL_MAX_CPUS)
		panic("kmain: bad boot_info (%u CPUs)", nr_cpus);

	const uint64_t *pml4 = paging_init(ram_size);
	cpu_init_tables(0);
	cpu_init_features();
	apic_init(nr_cpus);

	uint64_t free_start = (uint64_t)_kernel_end - KERNEL_VIRT_BASE;
	mm_init(free_start, ram_size, pml4);
	tlblog_init();
	channel_init(nr_cpus);
	printk("guest: %lu MiB of RAM, abi %u, %u CPU%s, ready\n", ram_size >> 20,
	       VMM_ABI_VERSION, nr_cpus, nr_cpus == 1 ? "" : "s");
	hc_ready();
	channel_serve(0);
}

/* Another CPU (entry.S, after CPU 0's HC_READY: the kernel is set up). */
void ap_main(uint64_t cpu)
{
	percpu_init(&percpu_ap[cpu], (unsigned)cpu);
	write_cr3(paging_kernel_pml4_pa());
	cpu_init_tables((unsigned)cpu);
	cpu_init_features();
	apic_init_ap();
	mm_cpu_online((unsigned)cpu);
	printk("guest: CPU %lu online\n", cpu);
	hc_cpu_online((unsigned)cpu);
	channel_serve((unsigned)cpu);
}
