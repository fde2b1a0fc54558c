/*
 * The differential test: random scenarios (scengen seeds 1..N) run through
 * linux-runner (the host's Linux) and vmm (the guest); the transcripts and
 * exit statuses must be identical.
 *
 * Environment: SCEN_DIFF_SEEDS (default 200), SCEN_DIFF_FIRST (default 1),
 * SCEN_DIFF_OPS (default 60), SCEN_DIFF_JOBS (default 2) processes at once,
 * SCEN_DIFF_V2=1 for version-2 scenarios (scengen --v2: for a guest that
 * speaks version 2).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <criterion/logging.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/scenario/proc.h"
#include "tests/scenario/runners.h"

#define MAX_REPORTED 5            /* mismatches shown in full */

struct job {
	unsigned seed;
	enum runner which;
	pid_t pid;
	int status;
};

static unsigned env_uint(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

static void seed_path(const char *dir, unsigned seed, const char *what, char *buf, size_t size)
{
	snprintf(buf, size, "%s/s%u.%s", dir, seed, what);
}

/* Run all jobs, at most par at once. */
static void run_jobs(struct job *jobs, size_t n, unsigned par, const char *dir)
{
	size_t next = 0, running = 0, done = 0;

	while (done < n) {
		while (running < par && next < n) {
			struct job *j = &jobs[next++];
			char *argv[6], bufs[3][4096], scn[4096], out[4096], err[4096];

			seed_path(dir, j->seed, "scn", scn, sizeof(scn));
			seed_path(dir, j->seed, j->which == RUNNER_LINUX ? "linux.out" : "vmm.out",
				  out, sizeof(out));
			seed_path(dir, j->seed, j->which == RUNNER_LINUX ? "linux.err" : "vmm.err",
				  err, sizeof(err));
			runner_argv(j->which, scn, argv, bufs);
			j->pid = proc_start(argv, NULL, out, err);
			cr_assert(j->pid > 0, "cannot start %s", argv[0]);
			running++;
		}
		{
			int status;
			pid_t pid = wait(&status);

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
}

/* Write the scenarios of seeds [first, first + nseeds) into dir with
 * scengen (version 2 with v2), and a linux and a vmm job for each. */
static void generate(const char *dir, unsigned first, unsigned nseeds, unsigned nops, bool v2,
		     struct job *jobs)
{
	char scengen[4096], nops_s[16];

	bin_path("scengen", scengen, sizeof(scengen));
	snprintf(nops_s, sizeof(nops_s), "%u", nops);
	for (unsigned i = 0; i < nseeds; i++) {
		char seed_s[16], scn[4096], err[4096];
		char *argv[] = { scengen, seed_s, nops_s, NULL, NULL };

		snprintf(seed_s, sizeof(seed_s), "%u", first + i);
		if (v2) {
			argv[1] = "--v2";
			argv[2] = seed_s;
			argv[3] = nops_s;
		}
		seed_path(dir, first + i, "scn", scn, sizeof(scn));
		seed_path(dir, first + i, "gen.err", err, sizeof(err));
		cr_assert_eq(proc_run(argv, NULL, scn, err), 0, "scengen %s failed", seed_s);
		jobs[2 * i] = (struct job){ .seed = first + i, .which = RUNNER_LINUX };
		jobs[2 * i + 1] = (struct job){ .seed = first + i, .which = RUNNER_VMM };
	}
}

Test(differential, linux_and_vmm_agree, .timeout = 600)
{
	unsigned nseeds = env_uint("SCEN_DIFF_SEEDS", 200);
	unsigned first = env_uint("SCEN_DIFF_FIRST", 1);
	unsigned nops = env_uint("SCEN_DIFF_OPS", 60);
	unsigned par = env_uint("SCEN_DIFF_JOBS", 2);
	bool v2 = env_uint("SCEN_DIFF_V2", 0) != 0;
	char why[4200];
	char *dir = make_tmpdir("diff");
	struct job *jobs = calloc(2 * (size_t)nseeds, sizeof(*jobs));
	unsigned mismatches = 0;
	struct timespec t0, t1;

	cr_assert(vmm_available(why, sizeof(why)), "%s", why);
	cr_assert(dir && jobs);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	generate(dir, first, nseeds, nops, v2, jobs);
	run_jobs(jobs, 2 * (size_t)nseeds, par ? par : 1, dir);

	for (unsigned i = 0; i < nseeds; i++) {
		unsigned seed = first + i;
		int ls = jobs[2 * i].status, vs = jobs[2 * i + 1].status;
		char lo[4096], vo[4096], ve[4096], le[4096];
		char *lt, *vt;
		bool same;

		seed_path(dir, seed, "linux.out", lo, sizeof(lo));
		seed_path(dir, seed, "vmm.out", vo, sizeof(vo));
		seed_path(dir, seed, "linux.err", le, sizeof(le));
		seed_path(dir, seed, "vmm.err", ve, sizeof(ve));
		lt = slurp(lo, NULL);
		vt = slurp(vo, NULL);
		cr_expect(ls == 0 || ls == 1, "seed %u: linux-runner exited %d", seed, ls);
		same = lt && vt && strcmp(lt, vt) == 0 && ls == vs;
		if (!same) {
			if (++mismatches <= MAX_REPORTED) {
				char *diff = diff_files(lo, vo);
				char *verr = slurp(ve, NULL);

				cr_log_error(
					"seed %u: linux-runner and vmm disagree (exit %d vs %d)\n"
					"reproduce:\n"
					"  build/bin/scengen %s%u %u > s%u.scn\n"
					"  build/bin/linux-runner s%u.scn > linux.out\n"
					"  build/bin/vmm --script s%u.scn build/bin/guest.elf > vmm.out\n"
					"  diff -u linux.out vmm.out\n"
					"--- linux +++ vmm\n%s\nvmm stderr (end):\n%s\n",
					seed, ls, vs, v2 ? "--v2 " : "", seed, nops, seed, seed,
					seed, diff,
					verr ? verr + (strlen(verr) > 2000 ? strlen(verr) - 2000 : 0) : "");
				free(diff);
				free(verr);
			} else {
				cr_log_error("seed %u: linux-runner and vmm disagree (exit %d vs %d)",
					     seed, ls, vs);
			}
		}
		free(lt);
		free(vt);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_log_info("differential: %u seeds from %u, %u ops each, %.1f s, %u mismatches",
		    nseeds, first, nops,
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		    mismatches);
	cr_expect_eq(mismatches, 0, "%u of %u seeds disagree (files kept in %s)",
		     mismatches, nseeds, dir);
	if (mismatches == 0)
		remove_tmpdir(dir);
	else
		free(dir);
	free(jobs);
}
