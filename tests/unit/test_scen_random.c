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
#include <fcntl.h>
#include <spawn.h>
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

extern char **environ;

/*
 * Run argv (no shell), its standard output into the file to (if not NULL)
 * or into a malloc'ed string returned, its standard error to /dev/null if
 * quiet; *status its exit status.  posix_spawn, not popen: a fork of this
 * process (ASan's shadow, the fake RAM) costs far more than the program.
 */
static char *run(char *const argv[], const char *to, bool quiet, int *status)
{
	posix_spawn_file_actions_t fa;
	char *buf = NULL, chunk[4096];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int fds[2] = { -1, -1 }, st;
	ssize_t k;
	pid_t pid;

	cr_assert(out && (to || pipe2(fds, O_CLOEXEC) == 0));
	posix_spawn_file_actions_init(&fa);
	if (to)
		posix_spawn_file_actions_addopen(&fa, 1, to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	else
		posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	cr_assert_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0, "%s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	if (!to) {
		close(fds[1]);
		while ((k = read(fds[0], chunk, sizeof chunk)) > 0)
			fwrite(chunk, 1, (size_t)k, out);
		close(fds[0]);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	fclose(out);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	return buf;
}

Test(scen_random, v2_like_linux, .timeout = 600)
{
	const char *bin = getenv("VMM_BIN") ? getenv("VMM_BIN") : "build/bin";
	unsigned first = env_uint("SCEN_RANDOM_FIRST", 1), n = env_uint("SCEN_RANDOM_SEEDS", 250);
	unsigned bad = 0, forks = 0, ops = env_uint("SCEN_RANDOM_OPS", 60);
	char path[256], gen_bin[512], lr_bin[512], seed_s[16], ops_s[16];
	char *gen_argv[] = { gen_bin, "--v2", seed_s, ops_s, NULL };
	char *lr_argv[] = { lr_bin, path, NULL };

	snprintf(path, sizeof path, "/tmp/scen_random.%d.scn", (int)getpid());
	snprintf(gen_bin, sizeof gen_bin, "%s/scengen", bin);
	snprintf(lr_bin, sizeof lr_bin, "%s/linux-runner", bin);
	snprintf(ops_s, sizeof ops_s, "%u", ops);
	for (unsigned seed = first; seed < first + n; seed++) {
		int st_gen, st_linux, st_mm;
		char *gen, *linux_out, *mm_out;

		snprintf(seed_s, sizeof seed_s, "%u", seed);
		gen = run(gen_argv, path, false, &st_gen);
		free(gen);
		cr_assert_eq(st_gen, 0, "%s --v2 %u %u", gen_bin, seed, ops);
		linux_out = run(lr_argv, NULL, true, &st_linux);
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
