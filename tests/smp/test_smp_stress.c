/*
 * Stress: host threads drive four CPUs at once on the same ranges of two
 * address spaces (munmap/mmap/mprotect on CPU 0, touch/fill/check on CPUs
 * 1..3, several of them faulting in the same mm at once), a bounded number
 * of operations each; CPU 0 also forks the first address space now and
 * then and destroys the child, which the others write on (copy-on-write of
 * frames shared by two mms whose requests run on different CPUs).  Every request must be
 * answered (no deadlock, no guest failure), the invariant checker must find
 * nothing, and once the address spaces are gone every user frame and every
 * page-table page must be free again.
 */
#include <criterion/criterion.h>
#include "tests/smp/smp_test.h"
#include "tests/smp/stress_ops.h"
#include "vmm/inspect/icmd.h"
#include "vmm/tlbcheck/vm_tlbcheck.h"

static struct tvm t;
static struct stress st;

Test(smp_stress, four_cpus_on_the_same_ranges, .timeout = 900)
{
	uint64_t user, pgt;
	uint32_t zero_refs;

	smp_boot(&t, STRESS_THREADS, true);
	st.vm = t.vm;
	for (unsigned m = 0; m < 2; m++) {
		st.mms[m] = smp_mm_create(t.vm, m);
		cr_assert_eq(smp_mmap(t.vm, 0, st.mms[m], STRESS_WIN, STRESS_PAGES * PG),
			     (int64_t)STRESS_WIN);
	}
	cr_assert_eq(stress_run(&st), 0, "cannot start the threads");
	cr_assert_eq(atomic_load(&st.failures), 0, "requests unanswered or wrong: %s",
		     vm_failure(t.vm) ? vm_failure(t.vm) : "(guest alive)");
	cr_assert_gt(atomic_load(&st.forks), 0, "no fork happened");
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
		cr_assert_eq(smp_mm_destroy(t.vm, 3 - m, st.mms[m]), 0);
	smp_count_frames(t.vm, &user, &pgt, &zero_refs);
	cr_assert_eq(user, 0, "%lu user frames leaked", (unsigned long)user);
	cr_assert_eq(pgt, 0, "%lu page-table pages leaked", (unsigned long)pgt);
	cr_assert_eq(zero_refs, 0);
	for (unsigned c = 0; c < STRESS_THREADS; c++)
		cr_assert_eq(smp_tlb(t.vm, c).loaded_mm, 0, "CPU %u", c);
	tvm_destroy(&t);
	tvm_free_console(&t);
}
