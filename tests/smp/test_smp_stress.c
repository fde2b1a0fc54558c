/*
 * Stress: host threads drive four CPUs at once on the same ranges of two
 * address spaces (munmap/mmap/mprotect on CPU 0, touch/fill/check on CPUs
 * 1..3), a bounded number of operations each.  Every request must be
 * answered (no deadlock, no guest failure), the invariant checker must find
 * nothing, and once the address spaces are gone every user frame and every
 * page-table page must be free again.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>

#include "tests/smp/smp_test.h"
#include "vmm/inspect/icmd.h"
#include "vmm/tlbcheck/vm_tlbcheck.h"

#define OPS      150     /* per thread */
#define PAGES    64      /* the shared range */

static struct tvm t;
static uint32_t mms[2];
static atomic_uint failures;

struct worker {
	unsigned cpu;
	uint64_t seed;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One request; a missing answer counts as a failure (asserting off the
 * main thread is not allowed). */
static int64_t req(unsigned cpu, struct chan_slot *s)
{
	if (vm_request_on(t.vm, cpu, s, 1) != 0) {
		atomic_fetch_add(&failures, 1);
		return 0;
	}
	return s->result;
}

/* A random page range inside the shared window. */
static void range(uint64_t *s, uint64_t *addr, uint64_t *len)
{
	uint64_t first = rnd(s) % PAGES, n = 1 + rnd(s) % 8;

	if (first + n > PAGES)
		n = PAGES - first;
	*addr = WIN + first * PG;
	*len = n * PG;
}

static void *mapper(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < OPS; i++) {
		struct chan_slot s = { .mm = mms[rnd(&w->seed) % 2] };
		uint64_t addr, len;
		range(&w->seed, &addr, &len);
		switch (rnd(&w->seed) % 3) {
		case 0:
			s.op = OP_MUNMAP;
			s.munmap = (struct chan_munmap){ .addr = addr, .len = len };
			break;
		case 1:
			s.op = OP_MMAP;
			s.mmap = (struct chan_mmap){ .addr = addr, .len = len, .flags = MMAP_F_FIXED,
						     .prot = PROT_READ_ABI | PROT_WRITE_ABI };
			break;
		default:
			s.op = OP_MPROTECT;
			s.mprotect = (struct chan_mprotect){ .addr = addr, .len = len,
							     .prot = rnd(&w->seed) % 2 ? PROT_READ_ABI :
							     PROT_READ_ABI | PROT_WRITE_ABI };
		}
		int64_t r = req(w->cpu, &s);
		if (r < 0 && r != -12 /* ENOMEM: mprotect over a hole */)
			atomic_fetch_add(&failures, 1);
	}
	return NULL;
}

static void *accessor(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < OPS; i++) {
		struct chan_slot s = { .mm = mms[rnd(&w->seed) % 2] };
		uint64_t addr, len;
		range(&w->seed, &addr, &len);
		switch (rnd(&w->seed) % 3) {
		case 0:
			s.op = OP_TOUCH;
			s.touch = (struct chan_touch){ .addr = addr, .len = len,
						       .mode = rnd(&w->seed) % 2 };
			break;
		case 1:
			s.op = OP_FILL;
			s.fill = (struct chan_fill){ .addr = addr, .len = len, .byte = w->cpu };
			break;
		default:
			s.op = OP_CHECK;
			s.check = (struct chan_check){ .addr = addr, .len = len, .byte = w->cpu };
		}
		int64_t r = req(w->cpu, &s);
		if (r != ACCESS_OK && r != ACCESS_FAULT && r != ACCESS_MISMATCH)
			atomic_fetch_add(&failures, 1);
	}
	return NULL;
}

Test(smp_stress, four_cpus_on_the_same_ranges, .timeout = 900)
{
	pthread_t th[4];
	struct worker w[4];
	uint64_t user, pgt;
	uint32_t zero_refs;

	smp_boot(&t, 4, true);
	for (unsigned m = 0; m < 2; m++) {
		mms[m] = smp_mm_create(t.vm, m);
		cr_assert_eq(smp_mmap(t.vm, 0, mms[m], WIN, PAGES * PG), (int64_t)WIN);
	}
	for (unsigned c = 0; c < 4; c++) {
		w[c] = (struct worker){ .cpu = c, .seed = 0x9e3779b97f4a7c15ULL * (c + 1) };
		cr_assert_eq(pthread_create(&th[c], NULL, c == 0 ? mapper : accessor, &w[c]), 0);
	}
	for (unsigned c = 0; c < 4; c++)
		pthread_join(th[c], NULL);
	cr_assert_eq(atomic_load(&failures), 0, "requests unanswered or wrong: %s",
		     vm_failure(t.vm) ? vm_failure(t.vm) : "(guest alive)");
	cr_assert_null(vm_failure(t.vm));

	struct check_report rep;
	char msg[256];
	struct gmem g = vm_gmem(t.vm);
	long v = icmd_run_checker(&g, &rep, msg, sizeof msg);
	cr_assert_eq(v, 0, "checker: %ld violations (%s)", v, v < 0 ? msg : "see report");
	check_report_free(&rep);
	/* The TLB-coherence checker replayed every event: nothing freed while
	 * some CPU could still reach it. */
	struct tlbcheck_counts tc;
	enum tlbcheck_verdict tv = vm_tlbcheck(t.vm, msg, sizeof msg, &tc);
	cr_assert_eq(tv, TLBV_CLEAN, "tlbcheck verdict %d: %s", tv, msg);

	for (unsigned m = 0; m < 2; m++)
		cr_assert_eq(smp_mm_destroy(t.vm, 3 - m, mms[m]), 0);
	smp_count_frames(t.vm, &user, &pgt, &zero_refs);
	cr_assert_eq(user, 0, "%lu user frames leaked", (unsigned long)user);
	cr_assert_eq(pgt, 0, "%lu page-table pages leaked", (unsigned long)pgt);
	cr_assert_eq(zero_refs, 0);
	for (unsigned c = 0; c < 4; c++)
		cr_assert_eq(smp_tlb(t.vm, c).loaded_mm, 0, "CPU %u", c);
	tvm_destroy(&t);
	tvm_free_console(&t);
}
