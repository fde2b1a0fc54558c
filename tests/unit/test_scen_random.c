/*
 * Random version-2 scenarios (scengen --v2: processes, fork, exit, COW data,
 * madvise dontfork/wipeonfork, mremap, mlock...) run through linux-runner
 * on this host's Linux and natively on the guest mm (scen_mm.c): the
 * transcripts and exit statuses must be identical.  Every invariant is
 * checked after every line and every frame must be back at the end.
 * SCEN_RANDOM_SEEDS (default 250) and SCEN_RANDOM_FIRST (default 1) pick
 * the seeds, SCEN_RANDOM_OPS (default 60) their length; VMM_BIN names the folder of scengen and linux-runner.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/fake_arch.h"
#include "tests/unit/scen_mm.h"

TestSuite(scen_random, .init = fake_setup);

char *scen_mm_transcript(const char *path, int *status);

static unsigned env_uint(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

/* Run a shell command, its stdout into a malloc'ed string; *status its exit status. */
static char *run(const char *cmd, int *status)
{
	FILE *p = popen(cmd, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int c, st;

	cr_assert_not_null(p, "%s", cmd);
	while ((c = fgetc(p)) != EOF)
		fputc(c, out);
	st = pclose(p);
	fclose(out);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return buf;
}

Test(scen_random, v2_like_linux, .timeout = 600)
{
	const char *bin = getenv("VMM_BIN") ? getenv("VMM_BIN") : "build/bin";
	unsigned first = env_uint("SCEN_RANDOM_FIRST", 1), n = env_uint("SCEN_RANDOM_SEEDS", 250);
	unsigned bad = 0, forks = 0, ops = env_uint("SCEN_RANDOM_OPS", 60);
	char path[256], cmd[768];

	snprintf(path, sizeof path, "/tmp/scen_random.%d.scn", (int)getpid());
	for (unsigned seed = first; seed < first + n; seed++) {
		int st_gen, st_linux, st_mm;
		char *gen, *linux_out, *mm_out;

		snprintf(cmd, sizeof cmd, "%s/scengen --v2 %u %u > %s", bin, seed, ops, path);
		gen = run(cmd, &st_gen);
		free(gen);
		cr_assert_eq(st_gen, 0, "%s", cmd);
		snprintf(cmd, sizeof cmd, "%s/linux-runner %s 2>/dev/null", bin, path);
		linux_out = run(cmd, &st_linux);
		cr_assert(st_linux <= 1, "linux-runner seed %u: status %d", seed, st_linux);
		fake_setup();
		mm_out = scen_mm_transcript(path, &st_mm);
		forks += strstr(linux_out, "fork -> ") != NULL;
		if (strcmp(mm_out, linux_out) || st_mm != st_linux) {
			if (bad++ < 3)
				cr_log_error("seed %u differs (status %d vs linux %d)\n--- guest mm:\n%s"
					     "--- linux:\n%s", seed, st_mm, st_linux, mm_out, linux_out);
			else
				cr_log_error("seed %u differs", seed);
		}
		free(linux_out);
		free(mm_out);
	}
	unlink(path);
	cr_log_info("%u random scenarios, %u with fork: %u differ", n, forks, bad);
	cr_assert_eq(bad, 0, "%u of %u scenarios differ from Linux", bad, n);
}
