/*
 * Single-step counting (stepcount.h).  The child stops itself (SIGSTOP)
 * right before and right after fn; the parent single-steps it in between
 * and counts the steps.  The untraced timing runs in a second child.
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tools/bench-fork/stepcount.h"

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

const unsigned *stepcount_who;
int64_t stepcount_by[STEPCOUNT_BY_MAX];
uint64_t stepcount_skip_lo, stepcount_skip_hi;

static uint64_t rip_of(pid_t pid)
{
	return (uint64_t)ptrace(PTRACE_PEEKUSER, pid,
				(void *)offsetof(struct user_regs_struct, rip), NULL);
}

/* Attribute one step to the child's *stepcount_who. */
static void attribute(pid_t pid)
{
	long v = ptrace(PTRACE_PEEKDATA, pid, (void *)stepcount_who, NULL);
	unsigned who = (unsigned)v;

	if (who < STEPCOUNT_BY_MAX)
		stepcount_by[who]++;
}

static int64_t count_child(pid_t pid)
{
	int st;
	int64_t steps = 0;
	bool skip = stepcount_skip_hi > stepcount_skip_lo;
	uint64_t rip = 0;

	if (waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st))   /* the first SIGSTOP */
		return -1;
	if (skip)
		rip = rip_of(pid);
	for (;;) {
		uint64_t at = rip;

		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) < 0 || waitpid(pid, &st, 0) < 0)
			return -1;
		if (!WIFSTOPPED(st))
			return -1;
		if (WSTOPSIG(st) == SIGSTOP)
			break;
		if (WSTOPSIG(st) != SIGTRAP)
			return -1;
		if (skip) {
			rip = rip_of(pid);
			if (at >= stepcount_skip_lo && at < stepcount_skip_hi)
				continue;
		}
		steps++;
		if (stepcount_who)
			attribute(pid);
	}
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	waitpid(pid, &st, 0);
	return steps;
}

int64_t stepcount(void (*setup)(void *), void (*fn)(void *), void *arg, double *us)
{
	int fds[2], st;
	int64_t steps;
	pid_t pid;

	for (unsigned i = 0; i < STEPCOUNT_BY_MAX; i++)
		stepcount_by[i] = 0;
	pid = fork();
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		if (setup)
			setup(arg);
		raise(SIGSTOP);
		fn(arg);
		raise(SIGSTOP);
		_exit(0);
	}
	steps = count_child(pid);
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		double t0, t1;
		if (setup)
			setup(arg);
		t0 = now_us();
		fn(arg);
		t1 = now_us();
		if (write(fds[1], &(double){ t1 - t0 }, sizeof(double)) != sizeof(double))
			_exit(1);
		_exit(0);
	}
	if (read(fds[0], us, sizeof(*us)) != sizeof(*us))
		*us = -1;
	waitpid(pid, &st, 0);
	close(fds[0]);
	close(fds[1]);
	return steps;
}
