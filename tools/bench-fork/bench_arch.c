/*
 * The architecture under the guest mm for bench-fork: RAM is host memory;
 * TLB flushes and discards (the host's work) do nothing.  No test framework.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "guest/mm/mm.h"
#include "guest/mm/mm_types.h"
#include "tools/bench-fork/bench_arch.h"

uint8_t *bench_ram;
static struct mm_percpu cpu;
unsigned mm_host_cpu;           /* one CPU: always 0 */

struct mm_percpu *this_cpu_mm(void)
{
	return &cpu;
}

void *phys_to_virt(uint64_t pa)
{
	return bench_ram + pa;
}

uint64_t virt_to_phys(const void *va)
{
	return (uint64_t)((const uint8_t *)va - bench_ram);
}

void arch_load_cr3(uint64_t pml4_pa)
{
	(void)pml4_pa;
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

/* The host zeroes discarded frames (HC_DISCARD): not the guest's
 * instructions, so not done here (the data is of no interest). */
void arch_discard_frames(const uint64_t *pas, unsigned n)
{
	(void)pas;
	(void)n;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench-fork: guest mm panic: ");
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

void bench_arch_init(void)
{
	uint64_t *kpml4;

	bench_ram = mmap(NULL, BENCH_RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bench_ram == MAP_FAILED) {
		perror("bench-fork: mmap");
		exit(1);
	}
	kpml4 = (uint64_t *)(bench_ram + 0x1000);
	kpml4[273] = 0x3000 | PTE_P | PTE_W;
	mm_init(0x200000, BENCH_RAM_SIZE, kpml4);
}
