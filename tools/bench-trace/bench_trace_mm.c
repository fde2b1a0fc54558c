/*
 * The driver of tools/bench-trace/bench-trace.sh: the guest's mm built for
 * the host (as tests/unit does), with its trace points compiled out
 * (bench-trace-none) or compiled in with tracing off (bench-trace-off) or
 * on (bench-trace-on, recording into a host buffer).  It punches N holes,
 * the seed's munmap, in N VMAs, and faults their pages in first; the script
 * counts the instructions of do_munmap and handle_mm_fault under
 * callgrind.  A minimal fake architecture of its own (no Criterion).
 *
 *   bench-trace-{none,off,on} [N] | --help | --version
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "guest/mm/mm.h"
#include "guest/mm/mm_trace.h"
#include "tools/bench/bench_cli.h"

#define RAM_SIZE   (64ULL << 20)
#define FREE_START 0x200000ULL
#define BASE       0x100000000000ULL
#define PG         0x1000ULL

static uint8_t *ram;
static struct mm_percpu cpu;

struct mm_percpu *this_cpu_mm(void) { return &cpu; }
void *phys_to_virt(uint64_t pa) { return ram + pa; }
uint64_t virt_to_phys(const void *va) { return (uint64_t)((const uint8_t *)va - ram); }
void arch_load_cr3(uint64_t pml4_pa) { (void)pml4_pa; }
void arch_flush_tlb_page(uint64_t va) { asm volatile("" : : "r"(va) : "memory"); }
void arch_flush_tlb_all(void) { asm volatile("" : : : "memory"); }
unsigned mm_host_cpu;           /* one CPU: always 0 */
void arch_send_tlb_ipi(unsigned cpu) { (void)cpu; }     /* one CPU: never called */
void arch_irq_window(void) { asm volatile("" : : : "memory"); }
uint32_t arch_tsc32(void) { return 0; }

void arch_discard_frames(const uint64_t *pas, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		memset(ram + pas[i], 0, PG);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

int printk(const char *fmt, ...)
{
	(void)fmt;
	return 0;
}

#ifdef MM_TRACE_HOST
uint8_t mm_trace_on;
asm(TRACE_THUNK_ASM);
static struct trace_rec ring[TRACE_RING_RECS];
static uint64_t head;

void trace_emit(uint32_t ev, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	struct trace_rec *r = &ring[head & (TRACE_RING_RECS - 1)];

	*r = (struct trace_rec){ .ev = (uint16_t)ev, .seq = (uint32_t)head,
				 .a = { a0, a1, a2, a3, a4, 0 } };
	asm volatile("" : : : "memory");
	head++;
}
#endif

#if !defined(MM_TRACE_HOST)
#define NAME "bench-trace-none"
#define HOW  "compiled out"
#elif !defined(BENCH_TRACE_ON)
#define NAME "bench-trace-off"
#define HOW  "compiled in, tracing off"
#else
#define NAME "bench-trace-on"
#define HOW  "compiled in, tracing on (into a host buffer)"
#endif

static const char help[] =
	"usage: " NAME " [N] | --help | --version\n"
	"\n"
	"The driver of tools/bench-trace/bench-trace.sh: the guest's memory manager\n"
	"built for the host, its trace points " HOW ".\n"
	"Punches N holes (1 to 1000, default 100), one munmap in each of N VMAs whose\n"
	"4 pages were written, and prints \"N holes\"; the script counts the\n"
	"instructions of do_munmap and handle_mm_fault under callgrind.  No KVM needed.\n"
	"\n"
	"Reproduce: tools/bench-trace/bench-trace.sh build (needs valgrind and a plain\n"
	"build; docs/benchmarks.md has the results).\n";

/* N: a decimal number from 1 to 1000. */
static int is_count(const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);

	return *arg >= '0' && *arg <= '9' && !*end && n >= 1 && n <= 1000;
}

int main(int argc, char **argv)
{
	const char *arg = bench_args(argc, argv, NAME, help, is_count);
	int n = arg ? atoi(arg) : 100;
	uint64_t *kpml4;
	struct mm_struct *mm;

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return 1;
	kpml4 = (uint64_t *)(ram + BOOT_PML4_GPA);
	kpml4[273] = 0x3000 | 3;
	kpml4[511] = 0x4000 | 3;
	mm_init(FREE_START, RAM_SIZE, kpml4);
	mm = mm_lookup((uint32_t)mm_create());
	switch_mm(mm);
#if defined(MM_TRACE_HOST) && defined(BENCH_TRACE_ON)
	mm_trace_on = 1;
#endif
	for (int i = 0; i < n; i++) {
		uint64_t base = BASE + (uint64_t)i * 0x200000;
		if (do_mmap(mm, base, 4 * PG, MM_PROT_READ | MM_PROT_WRITE, MM_MAP_FIXED) != (long)base)
			return 1;
		for (int p = 0; p < 4; p++)
			if (handle_mm_fault(mm, base + (uint64_t)p * PG, PF_WRITE | PF_USER) != 0)
				return 1;
		if (do_munmap(mm, base + PG, PG) != 0)
			return 1;
	}
	printf("%d holes\n", n);
	return 0;
}
