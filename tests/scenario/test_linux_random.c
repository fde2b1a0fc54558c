/*
 * linux-runner on random version-2 scenarios (scengen --v2, seeds 1..N):
 * each runs twice and must give the same transcript and exit status (the
 * oracle is deterministic: processes, exits and CPUs included), 0 or 1
 * (never a parse error or a dead backend), and with LR_ZERO_PAGE_CHECK=1
 * no read fault of a private page that no write made present (scengen
 * must not depend on what such a read maps: the zero page on stock Linux,
 * a private page on this project's test hosts).
 *
 * Both runs are linux-runner --out-dir over all seeds, at once.
 * Environment: SCEN_V2_SEEDS (default 200), SCEN_V2_FIRST (1), SCEN_V2_OPS
 * (60).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/scenario/proc.h"
#include "tests/scenario/runners.h"

#define MAX_REPORTED 5

static unsigned env_uint(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

static void path(const char *dir, unsigned seed, const char *what, char *buf, size_t size)
{
	snprintf(buf, size, "%s/s%u.%s", dir, seed, what);
}

/* One seed's two runs (in dir/r0 and dir/r1): 0 if they agree and are
 * clean, else 1 (logged). */
static int compare(const char *dir, unsigned seed, unsigned *reported)
{
	char scn[4096], r[2][4200], out[2][4300];
	struct run a, b;
	int bad;

	path(dir, seed, "scn", scn, sizeof(scn));
	for (int i = 0; i < 2; i++) {
		snprintf(r[i], sizeof(r[i]), "%s/r%d", dir, i);
		batch_result_path(r[i], scn, ".out", out[i], sizeof(out[i]));
	}
	runner_batch_read(r[0], scn, &a);
	runner_batch_read(r[1], scn, &b);
	bad = strcmp(a.out, b.out) != 0 || a.status != b.status ||
	      (a.status != 0 && a.status != 1) || strstr(a.err, "zero-page-sensitive") ||
	      strstr(b.err, "zero-page-sensitive");
	if (bad && ++*reported <= MAX_REPORTED) {
		char *diff = diff_files(out[0], out[1]);

		cr_log_error("seed %u: exit %d and %d\nreproduce: build/bin/scengen --v2 %u > s.scn; "
			     "LR_ZERO_PAGE_CHECK=1 build/bin/linux-runner s.scn\n"
			     "diff of the two runs:\n%s\nstderr:\n%s", seed, a.status, b.status,
			     seed, diff ? diff : "", a.err);
		free(diff);
	}
	run_free(&a);
	run_free(&b);
	return bad;
}

Test(linux_runner_random, v2_deterministic_and_zero_page_free, .timeout = 900)
{
	unsigned nseeds = env_uint("SCEN_V2_SEEDS", 200), first = env_uint("SCEN_V2_FIRST", 1);
	unsigned nops = env_uint("SCEN_V2_OPS", 60);
	char *dir = make_tmpdir("v2rand"), r0[4200], r1[4200];
	char **scns = calloc(nseeds, sizeof(*scns));
	unsigned bad = 0, reported = 0;

	cr_assert(dir && scns && nseeds > 0);
	setenv("LR_ZERO_PAGE_CHECK", "1", 1);
	scengen_batch(dir, 1, first, nseeds, nops);
	for (unsigned i = 0; i < nseeds; i++) {
		char scn[4096];

		path(dir, first + i, "scn", scn, sizeof(scn));
		cr_assert(scns[i] = strdup(scn));
	}
	snprintf(r0, sizeof(r0), "%s/r0", dir);
	snprintf(r1, sizeof(r1), "%s/r1", dir);
	cr_assert(mkdir(r0, 0700) == 0 && mkdir(r1, 0700) == 0);
	runner_batch_pair(scns, nseeds, r0, scns, nseeds, r1);
	for (unsigned i = 0; i < nseeds; i++) {
		bad += compare(dir, first + i, &reported);
		free(scns[i]);
	}
	free(scns);
	cr_log_info("v2 random: %u seeds from %u, %u ops each, %u bad", nseeds, first, nops, bad);
	cr_expect_eq(bad, 0, "%u of %u seeds bad (files kept in %s)", bad, nseeds, dir);
	if (bad == 0) {
		char cmd[4200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		cr_expect_eq(system(cmd), 0);
	}
	free(dir);
}
