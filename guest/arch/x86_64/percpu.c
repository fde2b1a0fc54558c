/* The per-CPU areas (percpu.h). */
#include "guest/arch/x86_64/cpu.h"
#include "guest/arch/x86_64/percpu.h"

#define MSR_GS_BASE 0xc0000101

struct percpu percpu_boot;
struct percpu *percpu_areas[NR_CPUS];

void percpu_init(struct percpu *area, unsigned cpu)
{
	area->self = area;
	area->mm_part = &area->mm;
	area->cpu = cpu;
	percpu_areas[cpu] = area;
	/* A null GS selector first: then no later segment load or iretq to
	 * ring 3 has a reason to reload GS (and, emulated, reset its base). */
	asm volatile("mov %0, %%gs" : : "r"(0) : "memory");
	wrmsr(MSR_GS_BASE, (uint64_t)area);
}
