/*
 * linux-runner on random version-2 scenarios (scengen --v2, seeds 1..N):
 * each runs twice and must give the same transcript and exit status (the
 * oracle is deterministic: processes, exits and CPUs included), 0 or 1
 * (never a parse error or a dead backend), and with LR_ZERO_PAGE_CHECK=1
 * no read fault of a private page that no write made present (scengen
 * must not depend on what such a read maps: the zero page on stock Linux,
 * a private page on this project's test hosts).
 *
 * Environment: SCEN_V2_SEEDS (default 200), SCEN_V2_FIRST (1), SCEN_V2_OPS
 * (60), SCEN_V2_JOBS (2) processes at once.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/scenario/proc.h"
#include "tests/scenario/runners.h"

#define MAX_REPORTED 5

struct job {
	unsigned seed;
	int run;                  /* 0 or 1 */
	pid_t pid;
	int status;
};

static unsigned env_uint(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

static void path(const char *dir, unsigned seed, const char *what, char *buf, size_t size)
{
	snprintf(buf, size, "%s/s%u.%s", dir, seed, what);
}

static void start(struct job *j, const char *dir)
{
	char lr[4096], scn[4096], out[4096], err[4096];
	char *argv[] = { lr, scn, NULL };

	bin_path("linux-runner", lr, sizeof(lr));
	path(dir, j->seed, "scn", scn, sizeof(scn));
	path(dir, j->seed, j->run ? "out1" : "out0", out, sizeof(out));
	path(dir, j->seed, j->run ? "err1" : "err0", err, sizeof(err));
	j->pid = proc_start(argv, NULL, out, err);
	cr_assert(j->pid > 0, "cannot start %s", lr);
}

/* Run all jobs, at most par at once. */
static void run_jobs(struct job *jobs, size_t n, unsigned par, const char *dir)
{
	size_t next = 0, running = 0, done = 0;

	while (done < n) {
		int status;
		pid_t pid;

		while (running < par && next < n) {
			start(&jobs[next++], dir);
			running++;
		}
		pid = wait(&status);
		cr_assert(pid > 0, "wait failed");
		for (size_t i = 0; i < next; i++) {
			if (jobs[i].pid == pid) {
				jobs[i].status = WIFEXITED(status) ? WEXITSTATUS(status) :
						 128 + WTERMSIG(status);
				jobs[i].pid = 0;
				running--;
				done++;
				break;
			}
		}
	}
}

static void generate(const char *dir, unsigned seed, unsigned nops)
{
	char gen[4096], seed_s[16], nops_s[16], scn[4096], err[4096];
	char *argv[] = { gen, "--v2", seed_s, nops_s, NULL };

	bin_path("scengen", gen, sizeof(gen));
	snprintf(seed_s, sizeof(seed_s), "%u", seed);
	snprintf(nops_s, sizeof(nops_s), "%u", nops);
	path(dir, seed, "scn", scn, sizeof(scn));
	path(dir, seed, "gen.err", err, sizeof(err));
	cr_assert_eq(proc_run(argv, NULL, scn, err), 0, "scengen --v2 %u failed", seed);
}

/* One seed's two runs: 0 if they agree and are clean, else 1 (logged). */
static int compare(const char *dir, unsigned seed, const struct job *a, const struct job *b,
		   unsigned *reported)
{
	char p[4][4096];
	char *t[4];
	int bad;

	path(dir, seed, "out0", p[0], sizeof(p[0]));
	path(dir, seed, "out1", p[1], sizeof(p[1]));
	path(dir, seed, "err0", p[2], sizeof(p[2]));
	path(dir, seed, "err1", p[3], sizeof(p[3]));
	for (int i = 0; i < 4; i++)
		t[i] = slurp(p[i], NULL);
	bad = !t[0] || !t[1] || strcmp(t[0], t[1]) != 0 || a->status != b->status ||
	      (a->status != 0 && a->status != 1) ||
	      (t[2] && strstr(t[2], "zero-page-sensitive")) ||
	      (t[3] && strstr(t[3], "zero-page-sensitive"));
	if (bad && ++*reported <= MAX_REPORTED) {
		char *diff = diff_files(p[0], p[1]);

		cr_log_error("seed %u: exit %d and %d\nreproduce: build/bin/scengen --v2 %u > s.scn; "
			     "LR_ZERO_PAGE_CHECK=1 build/bin/linux-runner s.scn\n"
			     "diff of the two runs:\n%s\nstderr:\n%s", seed, a->status, b->status,
			     seed, diff ? diff : "", t[2] ? t[2] : "");
		free(diff);
	}
	for (int i = 0; i < 4; i++)
		free(t[i]);
	return bad;
}

Test(linux_runner_random, v2_deterministic_and_zero_page_free, .timeout = 900)
{
	unsigned nseeds = env_uint("SCEN_V2_SEEDS", 200), first = env_uint("SCEN_V2_FIRST", 1);
	unsigned nops = env_uint("SCEN_V2_OPS", 60), par = env_uint("SCEN_V2_JOBS", 2);
	char *dir = make_tmpdir("v2rand");
	struct job *jobs = calloc(2 * (size_t)nseeds, sizeof(*jobs));
	unsigned bad = 0, reported = 0;

	cr_assert(dir && jobs);
	setenv("LR_ZERO_PAGE_CHECK", "1", 1);
	for (unsigned i = 0; i < nseeds; i++) {
		generate(dir, first + i, nops);
		jobs[2 * i] = (struct job){ .seed = first + i, .run = 0 };
		jobs[2 * i + 1] = (struct job){ .seed = first + i, .run = 1 };
	}
	run_jobs(jobs, 2 * (size_t)nseeds, par ? par : 1, dir);
	for (unsigned i = 0; i < nseeds; i++)
		bad += compare(dir, first + i, &jobs[2 * i], &jobs[2 * i + 1], &reported);
	cr_log_info("v2 random: %u seeds from %u, %u ops each, %u bad", nseeds, first, nops, bad);
	cr_expect_eq(bad, 0, "%u of %u seeds bad (files kept in %s)", bad, nseeds, dir);
	if (bad == 0)
		remove_tmpdir(dir);
	else
		free(dir);
	free(jobs);
}
