/*
 * linux-runner FILE: run the portable subset of a scenario on the host's own
 * Linux kernel and print its transcript, exactly as `vmm --script` would.
 * The transcript goes to stdout, everything else to stderr; the exit status
 * is the scenario language's (0 fine, 1 an expect failed, 2 bad input,
 * 3 the child process died).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/linux-runner/backend_linux.h"
#include "vmm/batch.h"
#include "vmm/paths.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: linux-runner FILE    (FILE '-' reads standard input)\n"
		   "       linux-runner --out-dir DIR FILE...\n"
		   "       linux-runner --help | --version\n"
		   "Runs a scenario on the host's Linux and prints its transcript.\n"
		   "With --out-dir: each FILE in turn (a new child process each), its\n"
		   "transcript, diagnostics and exit status into DIR/NAME.out, .err and\n"
		   ".status (NAME: FILE's name without .scn; DIR made if missing); the\n"
		   "exit status is then the highest of them.\n"
		   "Exit status: 0 fine, 1 an expect failed, 2 bad input, 3 the child died.\n");
}

/* The child program: $LINUX_RUNNER_CHILD, beside this program (the build
 * tree) or in the installation's libexec directory (vmm/paths.h); the
 * backend reads it from the environment. */
static void locate_child(void)
{
	char path[4096];

	if (!getenv("LINUX_RUNNER_CHILD") &&
	    vmm_path_find(VMM_PATH_LIBEXEC, "linux-runner-child", NULL, path, sizeof path,
			  NULL, 0) == 0)
		setenv("LINUX_RUNNER_CHILD", path, 1);
}

/* One scenario from in (named name) in a new child process: batch.h's
 * batch_run_fn, and the whole run without --out-dir. */
static int run_one(void *ctx, const char *name, FILE *in, FILE *out, FILE *err)
{
	struct scen_backend *be = backend_linux_new(err);
	int ret;

	(void)ctx;
	if (!be)
		return SCRIPT_DEAD;
	ret = script_run_file(in, name, be, out, err);
	backend_free(be);
	return ret;
}

/* --out-dir DIR FILE...: batch.h, a dead child ending only its scenario. */
static int run_batch(int argc, char **argv)
{
	const char *dir = argv[2];
	const char *const *files = (const char *const *)argv + 3;
	size_t n = (size_t)argc - 3;

	for (size_t i = 0; i < n; i++) {
		if (files[i][0] == '-') {
			fprintf(stderr, "linux-runner: --out-dir takes files, not %s\n", files[i]);
			return SCRIPT_PARSE;
		}
	}
	if (batch_check(files, n, dir, stderr) != 0)
		return SCRIPT_PARSE;
	locate_child();
	return batch_run(files, n, dir, run_one, NULL, false, stderr);
}

int main(int argc, char **argv)
{
	const char *path;
	FILE *in;
	int ret;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("linux-runner (vmm-mm) %s\n", VMM_MM_VERSION);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "--out-dir") == 0) {
		if (argc < 4) {
			fprintf(stderr, "linux-runner: --out-dir needs DIR and at least one FILE\n");
			usage(stderr);
			return SCRIPT_PARSE;
		}
		return run_batch(argc, argv);
	}
	if (argc != 2 || (argv[1][0] == '-' && argv[1][1] != '\0')) {
		if (argc == 2)
			fprintf(stderr, "linux-runner: unknown option %s\n", argv[1]);
		usage(stderr);
		return SCRIPT_PARSE;
	}
	locate_child();
	path = argv[1];
	in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!in) {
		fprintf(stderr, "linux-runner: %s: %s\n", path, strerror(errno));
		return SCRIPT_PARSE;
	}
	ret = run_one(NULL, in == stdin ? "<stdin>" : path, in, stdout, stderr);
	if (in != stdin)
		fclose(in);
	return ret;
}
