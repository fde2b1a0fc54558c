/*
 * The architecture's part of the TLB shootdown (guest/mm/tlb_smp.c has the
 * policy): the flush IPI is a fixed interrupt at TLB_IPI_VECTOR sent with
 * one write of the x2APIC ICR; its handler (traps.S tlb_ipi_entry) lands
 * here with interrupts off.  And the interrupt window every wait loop opens.
 */
#include <stdint.h>

#include "guest/arch/x86_64/cpu.h"
#include "guest/mm/mm.h"
#include "shared/layout.h"

#define MSR_X2APIC_EOI 0x80b

void tlb_ipi_interrupt(void);

void arch_send_tlb_ipi(unsigned cpu)
{
	apic_send_ipi(cpu, TLB_IPI_VECTOR);
}

void tlb_ipi_interrupt(void)
{
	mm_tlb_ipi();
	wrmsr(MSR_X2APIC_EOI, 0);
}

void arch_irq_window(void)
{
	asm volatile("sti; pause; cli" : : : "memory");
}
