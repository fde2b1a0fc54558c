/*
 * The stress workload of tests/smp, without Criterion: host threads drive
 * several CPUs at once on the same ranges of two address spaces, a
 * bounded number of operations each.  Thread 0 maps, unmaps and
 * mprotects, and now and then forks the first address space (a child
 * sharing its frames copy-on-write, which the others then write on other
 * CPUs) or destroys that child; the others touch, fill and check, on the
 * child too.  Shared by the Criterion
 * test (test_smp_stress.c) and the ThreadSanitizer driver (tsan_stress.c:
 * Criterion's arena cannot start under TSan).
 */
#ifndef TESTS_SMP_STRESS_OPS_H
#define TESTS_SMP_STRESS_OPS_H

#include <stdatomic.h>
#include <stdint.h>

#include "vmm/vm.h"

#define STRESS_OPS      150     /* per thread */
#define STRESS_PAGES    64      /* the shared range */
#define STRESS_WIN      0x100000000000ULL
#define STRESS_THREADS  4

struct stress {
	struct vm *vm;
	uint32_t mms[2];
	atomic_uint child;        /* a fork of mms[0] while there is one, else 0 */
	atomic_uint forks;        /* children made */
	atomic_uint failures;     /* requests unanswered or with a wrong result */
};

/* Run STRESS_THREADS threads, thread c on CPU c, STRESS_OPS requests each,
 * on the two mms s->mms, which must hold a read-write mapping of
 * STRESS_PAGES pages at STRESS_WIN.  Returns 0, or -errno if a thread
 * could not be started; the failures are counted in s->failures.  The
 * child, if any, is destroyed at the end (only s->mms are left). */
int stress_run(struct stress *s);

#endif
