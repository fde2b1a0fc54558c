/* x86-64 CPU set-up and small privileged helpers for the guest. */
#ifndef GUEST_ARCH_CPU_H
#define GUEST_ARCH_CPU_H

#include <stdint.h>

/* Load CPU cpu's GDT (with a TSS whose RSP0 is its trap stack) and the
 * shared IDT (CPU 0 builds it: it must come first). */
void cpu_init_tables(unsigned cpu);
/* Enable CR4 features the CPU offers (PGE, SMEP, SMAP) and check NX. */
void cpu_init_features(void);
/* The kernel's PML4 (physical), for the other CPUs to load. */
uint64_t paging_kernel_pml4_pa(void);
/* CPU 0: x2APIC on, the 8259 masked, and for each of the nr_cpus CPUs the
 * IOAPIC pin DOORBELL_GSI + c -> DOORBELL_VECTOR on CPU c (x2APIC id c). */
void apic_init(unsigned nr_cpus);
/* Another CPU: its x2APIC on. */
void apic_init_ap(void);
/* Send vector to the CPU whose x2APIC id is cpu (fixed, physical). */
void apic_send_ipi(unsigned cpu, uint8_t vector);
/* Build the kernel's own page tables (kernel image, direct map of RAM, the
 * user trampoline) and switch CR3 to them.  Returns the virtual address of
 * the master PML4 whose upper half every mm shares. */
const uint64_t *paging_init(uint64_t ram_size);

static inline uint64_t read_cr2(void)
{
	uint64_t v;
	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;
	asm volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#endif
