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

#endif
