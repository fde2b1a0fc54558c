/*
 * The narrow seam between the memory manager and the rest of the world.
 *
 * Every .c file of guest/mm includes only this header (directly or through the
 * mm's own headers), so the same files build into the freestanding guest
 * and, with -DMM_HOST_TEST, into host-side unit tests that provide a fake
 * architecture (tests/unit/fake_arch.c).
 */
#ifndef GUEST_MM_MM_INTERNAL_H
#define GUEST_MM_MM_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef MM_HOST_TEST
#include <string.h>
#else
#include "guest/lib/string.h"
#endif

#include "guest/mm/errno.h"
#include "guest/mm/mm_percpu.h"
#include "shared/layout.h"
#include "shared/mm_abi.h"

#if defined(MM_HOST_TEST) && !defined(MM_HOST_RING3)
/* The calling CPU's mm state (tests/unit/fake_arch.c: one fake CPU). */
struct mm_percpu *this_cpu_mm(void);
/* The fake CPU running: 0, except where a benchmark simulates several
 * (tools/bench-shootdown); the host build's fakes define it. */
extern unsigned mm_host_cpu;
static inline unsigned smp_processor_id(void)
{
	return mm_host_cpu;
}
#else
/* this_cpu_mm() and smp_processor_id(), inline: they are on every unmap.
 * MM_HOST_RING3 (tools/bench-shootdown): the guest's own code, in ring 3
 * on the host, with a fake per-CPU area in GS (arch_prctl). */
#include "guest/arch/x86_64/this_cpu.h"
#endif

/* Guest: DIRECT_MAP_BASE + pa.  The mm assumes the map is linear (it takes
 * phys_to_virt(0) once at boot and adds). */
void *phys_to_virt(uint64_t pa);
/* Inverse of phys_to_virt; also accepts the kernel_pml4 given to mm_init. */
uint64_t virt_to_phys(const void *va);
/* Load CR3 (no PCID: every non-global TLB entry goes). */
void arch_load_cr3(uint64_t pml4_pa);
#if defined(MM_HOST_TEST) && !defined(MM_HOST_RING3)
/* invlpg va on this CPU (also drops paging-structure caches). */
void arch_flush_tlb_page(uint64_t va);
/* Drop every non-global TLB entry of this CPU. */
void arch_flush_tlb_all(void);
/* Send the TLB flush IPI to CPU cpu (its handler: guest/mm/tlb_ipi.h). */
void arch_send_tlb_ipi(unsigned cpu);
/* Let pending interrupts in for a moment (sti; pause; cli): every wait loop
 * calls it, so that a waiting CPU still answers flush IPIs. */
void arch_irq_window(void);
/* The low half of the time-stamp counter. */
uint32_t arch_tsc32(void);
#else
/* The same five, inline (no call on the flush paths). */
#include "guest/arch/x86_64/tlb_arch.h"
#endif
/* Most frames arch_discard_frames() takes at once (the guest asserts it
 * equals the hypercall's HC_DISCARD_MAX). */
#define ARCH_DISCARD_MAX 512
/* Hand n <= ARCH_DISCARD_MAX free frames to the host; afterwards each reads
 * zero.  pas must be readable by the host (it lives in a direct-map frame). */
void arch_discard_frames(const uint64_t *pas, unsigned n);
/* A broken internal invariant: the message names the function.  Never for bad input. */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
int printk(const char *fmt, ...);

#endif
