/*
 * Random version-2 scenarios (scengen --v2: processes, fork, exit, COW data,
 * madvise dontfork/wipeonfork, mremap, mlock...) run through linux-runner
 * on this host's Linux and natively on the guest mm (scen_mm.c): the
 * transcripts and exit statuses must be identical.  Every invariant is
 * checked after every line and every frame must be back at the end.
 * SCEN_RANDOM_SEEDS (default 250) and SCEN_RANDOM_FIRST (default 1) pick
 * the seeds, SCEN_RANDOM_OPS (default 60) their length; VMM_BIN names the
 * folder of scengen and linux-runner, each run once for all (--out-dir).
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

/* Generate the n scenarios from seed first into dir (scengen --out-dir)
 * and run them all through one linux-runner --out-dir dir/linux. */
static void run_oracle(const char *bin, const char *dir, unsigned first, unsigned n,
		       unsigned ops)
{
	char gen_bin[512], lr_bin[512], first_s[16], n_s[16], ops_s[16], ldir[300];
	char *gen_argv[] = { gen_bin, "--v2", "--out-dir", (char *)dir, first_s, n_s, ops_s, NULL };
	char **lr_argv = calloc(n + 4, sizeof(*lr_argv));
	int st;

	cr_assert(lr_argv);
	snprintf(gen_bin, sizeof gen_bin, "%s/scengen", bin);
	snprintf(lr_bin, sizeof lr_bin, "%s/linux-runner", bin);
	snprintf(first_s, sizeof first_s, "%u", first);
	snprintf(n_s, sizeof n_s, "%u", n);
	snprintf(ops_s, sizeof ops_s, "%u", ops);
	snprintf(ldir, sizeof ldir, "%s/linux", dir);
	free(run(gen_argv, NULL, false, &st));
	cr_assert_eq(st, 0, "%s --v2 --out-dir %s %u %u %u", gen_bin, dir, first, n, ops);
	lr_argv[0] = lr_bin;
	lr_argv[1] = "--out-dir";
	lr_argv[2] = ldir;
	for (unsigned i = 0; i < n; i++)
		cr_assert(asprintf(&lr_argv[3 + i], "%s/s%u.scn", dir, first + i) > 0);
	free(run(lr_argv, NULL, true, &st));
	cr_assert_leq(st, 1, "linux-runner --out-dir %s: status %d", ldir, st);
	for (unsigned i = 0; i < n; i++)
		free(lr_argv[3 + i]);
	free(lr_argv);
}

Test(scen_random, v2_like_linux, .timeout = 600)
{
	const char *bin = getenv("VMM_BIN") ? getenv("VMM_BIN") : "build/bin";
	unsigned first = env_uint("SCEN_RANDOM_FIRST", 1), n = env_uint("SCEN_RANDOM_SEEDS", 250);
	unsigned bad = 0, forks = 0, ops = env_uint("SCEN_RANDOM_OPS", 60);
	char dir[] = "/tmp/scen_random.XXXXXX", path[256], cmd[300];

	cr_assert(mkdtemp(dir));
	run_oracle(bin, dir, first, n, ops);
	for (unsigned seed = first; seed < first + n; seed++) {
		int st_linux, st_mm;
		char *st_text, *linux_out, *mm_out;

		snprintf(path, sizeof path, "%s/linux/s%u.status", dir, seed);
		st_text = scen_slurp(path);
		st_linux = atoi(st_text);
		free(st_text);
		cr_assert(st_linux == 0 || st_linux == 1, "linux-runner seed %u: status %d", seed,
			  st_linux);
		snprintf(path, sizeof path, "%s/linux/s%u.out", dir, seed);
		linux_out = scen_slurp(path);
		snprintf(path, sizeof path, "%s/s%u.scn", dir, seed);
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
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
	cr_log_info("%u random scenarios, %u with fork: %u differ", n, forks, bad);
	cr_assert_eq(bad, 0, "%u of %u scenarios differ from Linux", bad, n);
}
