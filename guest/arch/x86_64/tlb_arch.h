/*
 * The TLB primitives of guest/mm/mm_internal.h, inline: the flush paths
 * (the initiator's flush and wait, the IPI handler) run them with no call,
 * so a handler that uses them saves only the registers it touches.
 *
 * MM_HOST_RING3 (tools/bench-shootdown only): the same code runs in ring 3
 * on the host, where each privileged instruction becomes a nop: the same
 * number of instructions, with the same operands set up.  The interrupt
 * window there is a call of the benchmark's own (uncounted) delivery code
 * plus the nops that make its count the guest's three.
 */
#ifndef GUEST_ARCH_TLB_ARCH_H
#define GUEST_ARCH_TLB_ARCH_H

#include <stdint.h>

#include "shared/layout.h"

#define MSR_X2APIC_ICR 0x830
#define MSR_X2APIC_EOI 0x80b

#ifdef MM_HOST_RING3
#define ARCH_PRIV(insn) "nop"
#else
#define ARCH_PRIV(insn) insn
#endif

/* invlpg va on this CPU (also drops paging-structure caches). */
static inline void arch_flush_tlb_page(uint64_t va)
{
	asm volatile(ARCH_PRIV("invlpg (%0)") : : "r"(va) : "memory");
}

/* Drop every non-global TLB entry of this CPU: CR3 written with itself
 * (kernel mappings are global and survive). */
static inline void arch_flush_tlb_all(void)
{
	uint64_t cr3;

	asm volatile(ARCH_PRIV("mov %%cr3, %0") : "=r"(cr3));
	asm volatile(ARCH_PRIV("mov %0, %%cr3") : : "r"(cr3) : "memory");
}

/* The flush IPI to CPU cpu: one write of the x2APIC ICR (destination in
 * the high half = x2APIC id = cpu; fixed, physical, assert). */
static inline void arch_send_tlb_ipi(unsigned cpu)
{
	asm volatile(ARCH_PRIV("wrmsr") : : "c"(MSR_X2APIC_ICR), "a"((1u << 14) | TLB_IPI_VECTOR),
		     "d"(cpu) : "memory");
}

/* End of interrupt: one write of the x2APIC EOI register. */
static inline void arch_eoi(void)
{
	asm volatile(ARCH_PRIV("wrmsr") : : "c"(MSR_X2APIC_EOI), "a"(0), "d"(0) : "memory");
}

/* The low half of the time-stamp counter (a shootdown's latency,
 * mm_cpu_tlb.shootdown_tsc: far shorter than its 2^32 ticks). */
static inline uint32_t arch_tsc32(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return lo;
}

/* Let pending interrupts in for a moment: every wait loop does it, so that
 * a waiting CPU still answers flush IPIs. */
static inline void arch_irq_window(void)
{
#ifdef MM_HOST_RING3
	asm volatile("nop; call bench_irq_window; nop" : : : "memory");
#else
	asm volatile("sti; pause; cli" : : : "memory");
#endif
}

#endif
