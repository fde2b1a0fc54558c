/*
 * The architecture side of guest/mm/mm_internal.h: address translation,
 * CR3 and frame discarding (TLB invalidation: tlb_arch.h, inline).
 */
#include <stdint.h>

#include "guest/arch/x86_64/cpu.h"
#include "guest/arch/x86_64/hypercall.h"
#include "guest/arch/x86_64/percpu.h"
#include "guest/lib/printk.h"
#include "guest/mm/mm_internal.h"
#include "shared/layout.h"

void *phys_to_virt(uint64_t pa)
{
	return (void *)(DIRECT_MAP_BASE + pa);
}

uint64_t virt_to_phys(const void *va)
{
	return kva_to_gpa(va);
}

void arch_load_cr3(uint64_t pml4_pa)
{
	write_cr3(pml4_pa);
}

_Static_assert(ARCH_DISCARD_MAX == HC_DISCARD_MAX, "the mm batches discards as the host takes them");

void arch_discard_frames(const uint64_t *pas, unsigned n)
{
	struct hc_discard *a = &this_cpu()->hc.discard;

	a->frames = kva_to_gpa(pas);
	a->count = n;
	a->ret = 0;
	hypercall(HC_DISCARD, a);
	if (a->ret != 0)
		panic("arch_discard_frames: host refused %u frames", n);
}
