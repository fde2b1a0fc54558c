/*
 * Interrupt controllers: the local APIC in x2APIC mode (EOI is one wrmsr,
 * cheaper than an emulated MMIO store) and the IOAPIC pin of the doorbell.
 */
#include <stdint.h>

#include "guest/arch/x86_64/cpu.h"
#include "shared/layout.h"

#define MSR_APIC_BASE       0x1b
#define MSR_X2APIC_TPR      0x808
#define MSR_X2APIC_SVR      0x80f
#define MSR_X2APIC_ID       0x802

static volatile uint32_t *ioapic;

static void ioapic_write(uint32_t reg, uint32_t val)
{
	ioapic[0] = reg;
	ioapic[4] = val;
}

void apic_init(void)
{
	/* Mask both 8259s: only the IOAPIC delivers. */
	outb(0x21, 0xff);
	outb(0xa1, 0xff);

	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1u << 11) | (1u << 10));
	wrmsr(MSR_X2APIC_TPR, 0);
	wrmsr(MSR_X2APIC_SVR, 0x1ff);

	uint32_t apic_id = (uint32_t)rdmsr(MSR_X2APIC_ID);
	ioapic = (volatile uint32_t *)(DIRECT_MAP_BASE + IOAPIC_BASE_GPA);
	/* Redirection entry: fixed delivery, physical destination, edge, active high. */
	ioapic_write(0x10 + 2 * DOORBELL_GSI + 1, apic_id << 24);
	ioapic_write(0x10 + 2 * DOORBELL_GSI, DOORBELL_VECTOR);
}
