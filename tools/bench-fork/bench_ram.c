/* The benchmarks' RAM, CR3, discards, panic and printk (bench_ram.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "guest/mm/mm.h"
#include "guest/mm/mm_types.h"
#include "tools/bench-fork/bench_ram.h"

uint8_t *bench_ram;
static const char *bench_name = "bench";

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
	fprintf(stderr, "%s: guest mm panic: ", bench_name);
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

void bench_ram_init(uint64_t size, const char *name)
{
	uint64_t *kpml4;

	bench_name = name;
	bench_ram = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bench_ram == MAP_FAILED) {
		fprintf(stderr, "%s: mmap: out of memory\n", name);
		exit(1);
	}
	kpml4 = (uint64_t *)(bench_ram + 0x1000);
	kpml4[273] = 0x3000 | PTE_P | PTE_W;
	mm_init(0x200000, size, kpml4);
}
