/*
 * Exact user-mode instruction counts without hardware counters: the
 * measured code runs in a child that the parent single-steps with ptrace
 * between two markers (stepcount.c).
 */
#ifndef TOOLS_BENCH_FORK_STEPCOUNT_H
#define TOOLS_BENCH_FORK_STEPCOUNT_H

#include <stdint.h>

/* Run fn(arg) in a forked child and return the instructions it executed
 * (one single-step each; a `rep` string instruction counts once per
 * iteration), and its wall time in *us (single-stepping excluded: fn runs
 * a second time untraced for that).  setup(arg), if set, runs in the child
 * first, not counted.  -1 on failure. */
int64_t stepcount(void (*setup)(void *), void (*fn)(void *), void *arg, double *us);

/* If set before stepcount(), every counted step is also attributed to the
 * value the child holds at this address at that step (read with
 * PTRACE_PEEKDATA: the child is a fork, the address is the same), added to
 * stepcount_by[value] for values below STEPCOUNT_BY_MAX (others: dropped).
 * bench-shootdown points it at the simulated CPU number. */
#define STEPCOUNT_BY_MAX 16
extern const unsigned *stepcount_who;
extern int64_t stepcount_by[STEPCOUNT_BY_MAX];

/* If hi > lo: steps of instructions at addresses in [lo, hi) (the child's
 * RIP before the step, read with PTRACE_PEEKUSER) are neither counted nor
 * attributed: bench-shootdown's own simulation code (delivering an IPI),
 * which the guest does not run. */
extern uint64_t stepcount_skip_lo, stepcount_skip_hi;

#endif
