/*
 * bench-vmafam: what mremap, madvise and mlock cost in the guest's memory
 * manager, in instructions of the very guest/mm code compiled for the host
 * (x86-64, -O2), single-stepped with ptrace (tools/bench-fork/stepcount.c):
 * KVM's insn_emulation counter sees no guest ring-0 instruction on kvm_amd
 * and this host has no hardware counters.  The guest build is freestanding
 * -mgeneral-regs-only, so its counts differ somewhat; the shape (fixed
 * cost, cost per page) is what carries over.  Each operation is measured at
 * 64 and at 1024 pages; the per-page figure is the difference over 960.
 * Frames are never zeroed here (the host's work in the guest).
 *
 *   bench-vmafam | --help | --version
 */
#include <stdio.h>
#include <stdlib.h>

#include "guest/mm/frame.h"
#include "guest/mm/mm.h"
#include "guest/mm/mm_types.h"
#include "guest/mm/pgtable.h"
#include "tools/bench/bench_cli.h"
#include "tools/bench-fork/bench_arch.h"
#include "tools/bench-fork/stepcount.h"

#define SRC  0x100000000000ULL
#define DST  0x100040000000ULL
#define PG   4096ULL
#define RW   (MM_PROT_READ | MM_PROT_WRITE)

struct work {
	unsigned pages;
	struct mm_struct *mm;
};

static void must(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "bench-vmafam: %s failed\n", what);
		exit(1);
	}
}

/* A process with one rw- VMA of w->pages pages at SRC, untouched. */
static void setup_mapped(void *arg)
{
	struct work *w = arg;
	int id;

	bench_arch_init();
	id = mm_create();
	must(id > 0, "mm_create");
	w->mm = mm_lookup((uint32_t)id);
	switch_mm(w->mm);
	must(do_mmap(w->mm, SRC, w->pages * PG, RW, MM_MAP_FIXED) == (long)SRC, "mmap");
}

/* The same, every page written (present). */
static void setup_populated(void *arg)
{
	struct work *w = arg;

	setup_mapped(w);
	for (unsigned p = 0; p < w->pages; p++)
		must(handle_mm_fault(w->mm, SRC + p * PG, PF_USER | PF_WRITE) == 0, "fault");
}

static void do_move(void *arg)
{
	struct work *w = arg;
	uint64_t len = w->pages * PG;

	must(do_mremap(w->mm, SRC, len, len, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, DST) ==
	     (long)DST, "mremap move");
}

/* A destination 4 KiB off the source's alignment: no page-table page can
 * move whole, every PTE moves on its own. */
static void do_move_unaligned(void *arg)
{
	struct work *w = arg;
	uint64_t len = w->pages * PG;

	must(do_mremap(w->mm, SRC, len, len, MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED, DST + PG) ==
	     (long)(DST + PG), "mremap move");
}

static void do_grow(void *arg)
{
	struct work *w = arg;

	must(do_mremap(w->mm, SRC, w->pages * PG, 2 * w->pages * PG, 0, 0) == (long)SRC,
	     "mremap grow");
}

static void do_shrink(void *arg)
{
	struct work *w = arg;

	must(do_mremap(w->mm, SRC, w->pages * PG, PG, 0, 0) == (long)SRC, "mremap shrink");
}

static void do_dontneed(void *arg)
{
	struct work *w = arg;

	must(do_madvise(w->mm, SRC, w->pages * PG, MM_MADV_DONTNEED) == 0, "dontneed");
}

static void do_populate_write(void *arg)
{
	struct work *w = arg;

	must(do_madvise(w->mm, SRC, w->pages * PG, MM_MADV_POPULATE_WRITE) == 0, "populate");
}

static void do_random(void *arg)
{
	struct work *w = arg;

	must(do_madvise(w->mm, SRC + PG, (w->pages - 2) * PG, MM_MADV_RANDOM) == 0, "random");
}

static void do_mlock_all(void *arg)
{
	struct work *w = arg;

	must(do_mlock(w->mm, SRC, w->pages * PG, 0) == 0, "mlock");
}

static void do_munlock_all(void *arg)
{
	struct work *w = arg;

	must(do_munlock(w->mm, SRC, w->pages * PG) == 0, "munlock");
}

static void setup_locked(void *arg)
{
	struct work *w = arg;

	setup_mapped(w);
	must(do_mlock(w->mm, SRC, w->pages * PG, 0) == 0, "mlock");
}

static void nothing(void *arg)
{
	(void)arg;
}

static int64_t baseline;

static int64_t count(void (*setup)(void *), void (*fn)(void *), unsigned pages)
{
	struct work w = { .pages = pages };
	double us;
	int64_t n = stepcount(setup, fn, &w, &us);

	must(n >= 0, "stepcount");
	return n - baseline;
}

/* One row: the operation at 64 and 1024 pages, and per page. */
static void row(const char *what, void (*setup)(void *), void (*fn)(void *))
{
	int64_t a = count(setup, fn, 64), b = count(setup, fn, 1024);

	printf("| %s | %lld | %lld | %.1f |\n", what, (long long)a, (long long)b,
	       (double)(b - a) / 960.0);
	fflush(stdout);
}

static const char help[] =
	"usage: bench-vmafam | --help | --version\n"
	"\n"
	"What mremap, madvise and mlock cost in the guest's memory manager: the\n"
	"guest/mm code compiled for the host (gcc -O2), its instructions counted by\n"
	"single-stepping with ptrace, each operation at 64 and 1024 pages and the\n"
	"cost per page from the difference.  Prints a table; no KVM needed.\n"
	"\n"
	"Reproduce: cmake --build build --target bench-vmafam && build/bin/bench-vmafam\n"
	"(a plain build; docs/benchmarks.md has the results).\n";

int main(int argc, char **argv)
{
	struct work w = { 0 };
	double us;

	bench_args(argc, argv, "bench-vmafam", help, NULL);
	baseline = stepcount(NULL, nothing, &w, &us);
	must(baseline >= 0, "stepcount");
	printf("# bench-vmafam: the guest mm compiled for the host (gcc -O2), instructions\n"
	       "# single-stepped (marker overhead %lld subtracted)\n\n", (long long)baseline);
	printf("| operation | 64 pages | 1024 pages | per page |\n|---|---|---|---|\n");
	row("mremap move (maymove fixed), all present, 2 MiB-aligned both ends", setup_populated,
	    do_move);
	row("mremap move, all present, destination 4 KiB off", setup_populated, do_move_unaligned);
	row("mremap move, no page present", setup_mapped, do_move);
	row("mremap grow in place to twice the size", setup_populated, do_grow);
	row("mremap shrink to one page (munmap of the rest)", setup_populated, do_shrink);
	row("madvise dontneed, all pages present", setup_populated, do_dontneed);
	row("madvise populate_write, none present (frames not zeroed)", setup_mapped,
	    do_populate_write);
	row("madvise random inside the VMA (two splits)", setup_populated, do_random);
	row("mlock, none present (populates)", setup_mapped, do_mlock_all);
	row("munlock of a locked VMA", setup_locked, do_munlock_all);
	printf("\nreproduce: build/bin/bench-vmafam\n");
	return 0;
}
