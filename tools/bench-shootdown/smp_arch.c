/*
 * The architecture under the host-compiled guest mm for bench-shootdown:
 * RAM is host memory, and several CPUs are simulated in one thread.  Each
 * fake CPU has its own mm per-CPU area; mm_host_cpu says which one runs.
 * A flush IPI is only marked pending; it is delivered when the sender lets
 * interrupts in (arch_irq_window, in its wait for acknowledgements): the
 * target's handler then runs as that CPU, as it would on real hardware
 * while the initiator spins.  Flushes, CR3 loads and discards do nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "guest/mm/mm.h"
#include "guest/mm/mm_types.h"
#include "tools/bench-shootdown/smp_arch.h"

unsigned mm_host_cpu;
uint8_t *smp_ram;
static struct mm_percpu cpus[SMP_BENCH_CPUS];
static uint64_t ipi_pending;

struct mm_percpu *this_cpu_mm(void)
{
	return &cpus[mm_host_cpu];
}

void *phys_to_virt(uint64_t pa)
{
	return smp_ram + pa;
}

uint64_t virt_to_phys(const void *va)
{
	return (uint64_t)((const uint8_t *)va - smp_ram);
}

void arch_load_cr3(uint64_t pml4_pa)
{
	(void)pml4_pa;
}

void arch_flush_tlb_page(uint64_t va)
{
	asm volatile("" : : "r"(va) : "memory");
}

void arch_flush_tlb_all(void)
{
}

void arch_send_tlb_ipi(unsigned cpu)
{
	ipi_pending |= 1ULL << cpu;
}

void arch_irq_window(void)
{
	while (ipi_pending) {
		unsigned c = (unsigned)__builtin_ctzll(ipi_pending), self = mm_host_cpu;
		ipi_pending &= ipi_pending - 1;
		mm_host_cpu = c;
		mm_tlb_ipi();
		mm_host_cpu = self;
	}
}

void arch_discard_frames(const uint64_t *pas, unsigned n)
{
	(void)pas;
	(void)n;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench-shootdown: guest mm panic: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(stderr, fmt, ap);
	va_end(ap);
	return n;
}

void smp_arch_init(void)
{
	uint64_t *kpml4;

	smp_ram = mmap(NULL, SMP_BENCH_RAM, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (smp_ram == MAP_FAILED) {
		perror("bench-shootdown: mmap");
		exit(1);
	}
	kpml4 = (uint64_t *)(smp_ram + 0x1000);
	kpml4[273] = 0x3000 | PTE_P | PTE_W;
	mm_init(0x200000, SMP_BENCH_RAM, kpml4);
	for (unsigned c = 1; c < SMP_BENCH_CPUS; c++) {
		mm_host_cpu = c;        /* each CPU comes online itself */
		mm_cpu_online(c);
	}
	mm_host_cpu = 0;
}
