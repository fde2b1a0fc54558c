/*
 * Interrupt controllers: the local APIC in x2APIC mode (EOI is one wrmsr,
 * cheaper than an emulated MMIO store; an IPI is one wrmsr of the ICR) and
 * the IOAPIC pins of the doorbells, one per CPU.
 */
#include <stdint.h>

#include "guest/arch/x86_64/cpu.h"
#include "shared/layout.h"

#define MSR_APIC_BASE       0x1b
#define MSR_X2APIC_TPR      0x808
#define MSR_X2APIC_SVR      0x80f
#define MSR_X2APIC_ID       0x802
#define MSR_X2APIC_ICR      0x830

static volatile uint32_t *ioapic;

static void ioapic_write(uint32_t reg, uint32_t val)
{
	ioapic[0] = reg;
	ioapic[4] = val;
}

void apic_init_ap(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11) | (1u << 10));
	wrmsr(MSR_X2APIC_TPR, 0);
	wrmsr(MSR_X2APIC_SVR, 0x1ff);
}

void apic_init(unsigned nr_cpus)
{
	/* Mask both 8259s: only the IOAPIC delivers. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
	apic_init_ap();

	ioapic = (volatile uint32_t *)(DIRECT_MAP_BASE + IOAPIC_BASE_GPA);
	/* CPU c's doorbell pin goes to x2APIC id c (the host made the ids so,
	 * and this CPU's is 0).  Redirection entry: fixed delivery, physical
	 * destination, edge, active high. */
	for (unsigned c = 0; c < nr_cpus; c++) {
		ioapic_write(0x10 + 2 * (DOORBELL_GSI + c) + 1, c << 24);
		ioapic_write(0x10 + 2 * (DOORBELL_GSI + c), DOORBELL_VECTOR);
	}
}

void apic_send_ipi(unsigned cpu, uint8_t vector)
{
	/* x2APIC ICR: destination in the high half; fixed, physical, assert. */
	wrmsr(MSR_X2APIC_ICR, ((uint64_t)cpu << 32) | (1u << 14) | vector);
}
