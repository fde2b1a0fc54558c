/*
 * The architecture under the guest mm for bench-fork and bench-vmafam: one
 * CPU, whose TLB flushes do nothing; RAM and the rest: bench_ram.c.  No
 * test framework.
 */
#include "guest/mm/mm.h"
#include "guest/mm/mm_types.h"
#include "tools/bench-fork/bench_arch.h"

static struct mm_percpu cpu;
unsigned mm_host_cpu;           /* one CPU: always 0 */

struct mm_percpu *this_cpu_mm(void)
{
	return &cpu;
}

void arch_flush_tlb_page(uint64_t va)
{
	(void)va;
}

void arch_flush_tlb_all(void)
{
}

/* One CPU: the mm never has another to shoot down. */
void arch_send_tlb_ipi(unsigned cpu)
{
	(void)cpu;
}

void arch_irq_window(void)
{
}

uint32_t arch_tsc32(void)
{
	return 0;
}

void bench_arch_init(void)
{
	bench_ram_init(BENCH_RAM_SIZE, "bench-fork");
}
