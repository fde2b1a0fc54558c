/*
 * bench-fork: what fork, copy-on-write faults and exit cost in the guest's
 * memory manager, counted in instructions of the very guest/mm code
 * compiled for the host (x86-64, -O2) and single-stepped (stepcount.c):
 * KVM's insn_emulation counter does not see guest ring-0 instructions on
 * kvm_amd, and this host has no hardware counters.  The guest build is
 * freestanding -mgeneral-regs-only, so its counts differ somewhat; the
 * shape (per VMA, per PTE) is what carries over.  Wall times are the
 * host's, untraced, not the guest's.
 *
 * Frames are never zeroed or discarded here: that is the host's work.
 *
 *   bench-fork [--quick] | --help | --version
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/mm/frame.h"
#include "guest/mm/mm.h"
#include "guest/mm/mm_types.h"
#include "guest/mm/pgtable.h"
#include "tools/bench/bench_cli.h"
#include "tools/bench-fork/bench_arch.h"
#include "tools/bench-fork/stepcount.h"

#define BASE 0x100000000000ULL
#define PG   4096ULL

struct work {
	unsigned vmas;            /* VMAs in the parent */
	unsigned pages;           /* pages written, spread over the VMAs */
	uint32_t parent, child;
	uint64_t fault_addr;
	uint8_t src[4096], dst[4096];
};

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "bench-fork: %s failed\n", what);
		exit(1);
	}
}

/* The parent: w->vmas VMAs of alternating protections (rw-, rwx: they do
 * not merge) one page apart, w->pages pages written over them. */
static void build(struct work *w)
{
	struct mm_struct *mm;
	unsigned per = w->vmas ? w->pages / w->vmas : 0, extra = w->vmas ? w->pages % w->vmas : 0;
	uint64_t addr = BASE;
	int id;

	bench_arch_init();
	id = mm_create();
	must(id > 0, "mm_create");
	w->parent = (uint32_t)id;
	mm = mm_lookup(w->parent);
	switch_mm(mm);
	for (unsigned i = 0; i < w->vmas; i++) {
		unsigned n = per + (i < extra), len = n ? n : 1;
		uint32_t prot = MM_PROT_READ | MM_PROT_WRITE | (i & 1 ? MM_PROT_EXEC : 0);
		must(do_mmap(mm, addr, len * PG, prot, MM_MAP_FIXED) == (long)addr, "mmap");
		for (unsigned p = 0; p < n; p++)
			must(handle_mm_fault(mm, addr + p * PG, PF_USER | PF_WRITE) == 0, "fault");
		addr += (len + 1) * PG;
	}
	w->fault_addr = BASE;
}

static void build_and_fork(void *arg)
{
	struct work *w = arg;
	int id;

	build(w);
	id = mm_fork(w->parent);
	must(id > 0, "mm_fork");
	w->child = (uint32_t)id;
}

static void build_fork_exit_child(void *arg)
{
	struct work *w = arg;

	build_and_fork(w);
	switch_mm(NULL);
	must(mm_destroy(w->child) == 0, "mm_destroy");
	switch_mm(mm_lookup(w->parent));
}

static void setup_build(void *arg)
{
	build(arg);
}

static void do_fork(void *arg)
{
	struct work *w = arg;

	must(mm_fork(w->parent) > 0, "mm_fork");
}

static void do_exit_child(void *arg)
{
	struct work *w = arg;

	must(mm_destroy(w->child) == 0, "mm_destroy");
}

static void do_exit_parent_alone(void *arg)
{
	struct work *w = arg;

	switch_mm(NULL);
	must(mm_destroy(w->parent) == 0, "mm_destroy");
}

static void setup_child_current(void *arg)
{
	struct work *w = arg;

	build_and_fork(w);
	switch_mm(mm_lookup(w->child));
}

static void do_write_fault_child(void *arg)
{
	struct work *w = arg;

	must(handle_mm_fault(mm_lookup(w->child), w->fault_addr, PF_USER | PF_WRITE | PF_PROT) == 0,
	     "cow fault");
}

static void do_write_fault_parent(void *arg)
{
	struct work *w = arg;

	must(handle_mm_fault(mm_lookup(w->parent), w->fault_addr, PF_USER | PF_WRITE | PF_PROT) == 0,
	     "cow fault");
}

static void do_copy(void *arg)
{
	struct work *w = arg;

	memcpy(w->dst, w->src, sizeof(w->dst));
	__asm__ volatile("" ::: "memory");
}

static void nothing(void *arg)
{
	(void)arg;
}

static int64_t baseline;

/* Instructions of fn after setup, marker overhead subtracted; *us its host time. */
static int64_t measure(void (*setup)(void *), void (*fn)(void *), struct work *w, double *us)
{
	int64_t n = stepcount(setup, fn, w, us);

	must(n >= 0, "stepcount");
	return n - baseline;
}

static void row(const char *what, int64_t n, double us)
{
	printf("| %s | %lld | %.1f |\n", what, (long long)n, us);
	fflush(stdout);
}

/* fork and the child's exit at a VMA per page (a) and at more pages (b):
 * the per-VMA and per-PTE costs. */
static void fork_rows(unsigned pages)
{
	struct work a = { .vmas = 1000, .pages = 1000 }, b = { .vmas = 1000, .pages = pages };
	double ua, ub;
	int64_t fa = measure(setup_build, do_fork, &a, &ua), fb = measure(setup_build, do_fork, &b, &ub);
	int64_t ea, eb;
	double va, vb;

	row("fork, 1000 VMAs, 1 written page each", fa, ua);
	row("fork, 1000 VMAs, pages written (16 MiB unless --quick)", fb, ub);
	printf("| fork: per VMA (with its first PTE) | %.0f | |\n", fa / 1000.0);
	printf("| fork: per further present PTE | %.1f | |\n", (double)(fb - fa) / (pages - 1000));
	ea = measure(build_and_fork, do_exit_child, &a, &va);
	eb = measure(build_and_fork, do_exit_child, &b, &vb);
	row("exit of the forked child, 1000 VMAs, 1 page each (pages stay)", ea, va);
	row("exit of the forked child, 1000 VMAs, all pages (pages stay)", eb, vb);
	printf("| exit: per VMA (with its first PTE) | %.0f | |\n", ea / 1000.0);
	printf("| exit: per further PTE | %.1f | |\n", (double)(eb - ea) / (pages - 1000));
	eb = measure(setup_build, do_exit_parent_alone, &b, &vb);
	row("exit of a process that never forked, all pages (frames freed)", eb, vb);
}

static const char help[] =
	"usage: bench-fork [--quick] | --help | --version\n"
	"\n"
	"What fork, copy-on-write write faults and exit cost in the guest's memory\n"
	"manager: the guest/mm code compiled for the host (gcc -O2), its instructions\n"
	"counted by single-stepping with ptrace, and host wall times, untraced.\n"
	"Prints a table; no KVM needed.\n"
	"\n"
	"  --quick   8 MiB of written pages instead of 16 MiB\n"
	"\n"
	"Reproduce: cmake --build build --target bench-fork && build/bin/bench-fork\n"
	"(a plain build; docs/benchmarks.md has the results).\n";

static int is_quick(const char *arg)
{
	return !strcmp(arg, "--quick");
}

int main(int argc, char **argv)
{
	bool quick = bench_args(argc, argv, "bench-fork", help, is_quick) != NULL;
	static struct work w;
	unsigned pages = quick ? 2048 : 4096;
	double us;
	int64_t copy, cow;

	baseline = stepcount(NULL, nothing, &w, &us);
	must(baseline >= 0, "stepcount");
	printf("# bench-fork%s: the guest mm compiled for the host (gcc -O2), instructions\n"
	       "# single-stepped (marker overhead %lld subtracted); host wall time, untraced\n\n",
	       quick ? " --quick" : "", (long long)baseline);
	printf("| operation | instructions | host us |\n|---|---|---|\n");
	w = (struct work){ .vmas = 1000, .pages = 0 };
	row("fork, 1000 VMAs never written (no anon_vma: no PTEs copied)", measure(setup_build,
	    do_fork, &w, &us), us);
	fork_rows(pages);
	w = (struct work){ .vmas = 1, .pages = 1 };
	cow = measure(setup_child_current, do_write_fault_child, &w, &us);
	row("COW write fault that copies, copy included", cow, us);
	copy = measure(NULL, do_copy, &w, &us);
	row("  of which the 4 KiB copy (host memcpy)", copy, us);
	printf("| COW write fault that copies, without the copy | %lld | |\n",
	       (long long)(cow - copy));
	row("COW write fault that reuses (the other mapping is gone)",
	    measure(build_fork_exit_child, do_write_fault_parent, &w, &us), us);
	printf("\nreproduce: build/bin/bench-fork%s\n", quick ? " --quick" : "");
	return 0;
}
