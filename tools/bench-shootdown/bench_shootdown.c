/*
 * bench-shootdown: what the TLB shootdown adds to munmap, in instructions of
 * the guest's memory manager built for the host as the guest builds it
 * (gcc -O2 -mgeneral-regs-only, no red zone, absolute addresses, its inline
 * TLB primitives with nops for the privileged instructions, its per-CPU
 * area in GS: smp_arch.c), single-stepped with ptrace
 * (tools/bench-fork/stepcount.c).  CPU 0 unmaps while the mm is loaded, not
 * lazy, on CPUs 1 .. N-1 (as when they run ring 3 on it); the IPI reaches
 * each of them inside CPU 0's wait: the guest's own handler
 * (guest/arch/x86_64/tlb_ipi.c) entered through the interrupt frame the CPU
 * would push, counted as that CPU from its first instruction to its iretq
 * (the delivery itself is the simulation's and is not counted).  Rows: a
 * 1-page munmap (page flushes) and a 64-page munmap (beyond the 33-page
 * ceiling: full flushes), with the mm on 1, 2, 4 and 8 CPUs, and the same
 * with the other CPUs lazy (skipped).
 *
 *   bench-shootdown | --help | --version
 */
#include <stdio.h>
#include <stdlib.h>

#include "guest/mm/mm.h"
#include "guest/mm/mm_types.h"
#include "tools/bench/bench_cli.h"
#include "tools/bench-fork/stepcount.h"
#include "tools/bench-shootdown/smp_arch.h"

#define WIN  0x100000000000ULL
#define PG   4096ULL
#define RW   (MM_PROT_READ | MM_PROT_WRITE)

struct work {
	unsigned cpus, pages;
	int lazy;
	struct mm_struct *mm;
};

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "bench-shootdown: %s failed\n", what);
		exit(1);
	}
}

/* An mm of 128 touched pages, loaded on CPUs 0 .. cpus - 1; the others
 * lazy if asked; CPU 0 runs. */
static void setup(void *arg)
{
	struct work *w = arg;

	smp_arch_init();
	int id = mm_create();
	must(id > 0, "mm_create");
	w->mm = mm_lookup((uint32_t)id);
	must(do_mmap(w->mm, WIN, 128 * PG, RW, MM_MAP_FIXED) == (long)WIN, "mmap");
	for (unsigned c = w->cpus; c-- > 0;) {
		smp_run_as(c);
		switch_mm(w->mm);
		if (c == 0)
			for (uint64_t a = WIN; a < WIN + 128 * PG; a += PG)
				must(handle_mm_fault(w->mm, a, PF_USER | PF_WRITE) == 0, "fault");
		else if (w->lazy)
			mm_lazy_enter();
	}
}

static void unmap(void *arg)
{
	struct work *w = arg;

	must(do_munmap(w->mm, WIN + 8 * PG, w->pages * PG) == 0, "munmap");
}

static void nothing(void *arg)
{
	(void)arg;
}

static int64_t baseline;

struct figures {
	int64_t total, initiator, targets;   /* targets: all of them together */
};

/* One munmap, each step attributed to the simulated CPU running it
 * (mm_host_cpu: the handlers run as their target CPU). */
static struct figures count(unsigned cpus, unsigned pages, int lazy)
{
	struct work w = { .cpus = cpus, .pages = pages, .lazy = lazy };
	struct figures f = { 0 };
	double us;
	int64_t n = stepcount(setup, unmap, &w, &us);

	must(n >= 0, "stepcount");
	f.initiator = stepcount_by[0] - baseline;
	for (unsigned c = 1; c < STEPCOUNT_BY_MAX; c++)
		f.targets += stepcount_by[c];
	f.total = f.initiator + f.targets;
	return f;
}

static void row(unsigned pages, int lazy)
{
	static const unsigned ncpus[] = { 1, 2, 4, 8 };
	struct figures one = count(1, pages, lazy);

	for (unsigned i = 0; i < sizeof ncpus / sizeof ncpus[0]; i++) {
		struct figures f = i ? count(ncpus[i], pages, lazy) : one;
		unsigned k = ncpus[i] - 1;
		printf("| %u page%s, others %s | %u | %lld | %lld |", pages, pages == 1 ? "" : "s",
		       lazy ? "lazy" : "active", ncpus[i], (long long)f.total,
		       (long long)f.initiator);
		if (k)
			printf(" %+.1f | %.1f |\n", (double)(f.initiator - one.initiator) / k,
			       (double)f.targets / k);
		else
			printf(" - | - |\n");
	}
	fflush(stdout);
}

static const char help[] =
	"usage: bench-shootdown | --help | --version\n"
	"\n"
	"What the TLB shootdown adds to munmap in the guest's memory manager: the\n"
	"guest/mm code and the guest's IPI handler compiled for the host as the guest\n"
	"compiles them (gcc -O2, no SSE), their instructions counted by single-stepping\n"
	"with ptrace, other CPUs simulated in one process and each instruction counted\n"
	"for the CPU that runs it (initiator; targets: the handler from its first\n"
	"instruction to its iretq).  A 1-page and a 64-page munmap with the mm on 1,\n"
	"2, 4 and 8 CPUs, the others active or lazy.  Prints a table; no KVM needed.\n"
	"\n"
	"Reproduce: cmake --build build --target bench-shootdown &&\n"
	"build/bin/bench-shootdown (a plain build; docs/benchmarks.md has the results).\n";

int main(int argc, char **argv)
{
	struct work w = { 0 };
	double us;

	bench_args(argc, argv, "bench-shootdown", help, NULL);
	stepcount_who = &mm_host_cpu;
	smp_sim_range(&stepcount_skip_lo, &stepcount_skip_hi);
	baseline = stepcount(NULL, nothing, &w, &us);
	must(baseline >= 0, "stepcount");
	printf("# bench-shootdown: munmap in the guest mm compiled for the host as the guest\n"
	       "# compiles it (gcc -O2, no SSE), instructions single-stepped (marker overhead\n"
	       "# %lld subtracted); the mm loaded on N CPUs, CPU 0 unmapping; each step\n"
	       "# counted for the CPU it runs on (a target: the guest's IPI handler, from\n"
	       "# its first instruction to its iretq)\n\n",
	       (long long)baseline);
	printf("| munmap | CPUs | total | initiator | initiator, added per target | each target |\n"
	       "|---|---:|---:|---:|---:|---:|\n");
	row(1, 0);
	row(64, 0);
	row(1, 1);
	row(64, 1);
	printf("\nreproduce: build/bin/bench-shootdown\n");
	return 0;
}
