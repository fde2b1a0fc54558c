/*
 * vmm --out-dir and linux-runner --out-dir for the scenario tests
 * (runners.h): many scenarios in one process (on one booted guest), each
 * with its result files.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/scenario/proc.h"
#include "tests/scenario/runners.h"

/* DIR/NAME.suffix for scn's NAME (its last component without ".scn"). */
void batch_result_path(const char *outdir, const char *scn, const char *suffix, char *buf,
		       size_t size)
{
	const char *base = strrchr(scn, '/');
	size_t len;

	base = base ? base + 1 : scn;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".scn") == 0)
		len -= 4;
	snprintf(buf, size, "%s/%.*s%s", outdir, (int)len, base, suffix);
}

/* Start one --out-dir run of a runner over scns[0..n): its pid; its own
 * output into outdir/batch-K.stdout and .stderr, K into *log. */
static pid_t batch_start(enum runner which, char *const *scns, size_t n, const char *outdir,
			 unsigned *log)
{
	static unsigned runs;
	char **argv = calloc(2 * n + 8, sizeof(*argv));
	char prog[4096], guest[4096], out[4096], err[4096];
	size_t k = 0;
	pid_t pid;

	cr_assert(argv);
	bin_path(which == RUNNER_LINUX ? "linux-runner" : "vmm", prog, sizeof(prog));
	bin_path("guest.elf", guest, sizeof(guest));
	argv[k++] = prog;
	if (which != RUNNER_LINUX)
		argv[k++] = "--quiet";
	if (which == RUNNER_VMM4) {
		argv[k++] = "--cpus";
		argv[k++] = "4";
	}
	argv[k++] = "--out-dir";
	argv[k++] = (char *)outdir;
	for (size_t i = 0; i < n; i++) {
		if (which != RUNNER_LINUX)
			argv[k++] = "--script";
		argv[k++] = scns[i];
	}
	if (which != RUNNER_LINUX)
		argv[k++] = guest;
	argv[k] = NULL;
	*log = ++runs;
	snprintf(out, sizeof(out), "%s/batch-%u.stdout", outdir, *log);
	snprintf(err, sizeof(err), "%s/batch-%u.stderr", outdir, *log);
	pid = proc_start(argv, NULL, out, err);
	cr_assert(pid > 0, "cannot start %s", prog);
	free(argv);
	return pid;
}

void runner_batch_pair(char *const *a, size_t na, const char *outa, char *const *b, size_t nb,
		       const char *outb)
{
	unsigned la, lb;
	pid_t pa = batch_start(RUNNER_LINUX, a, na, outa, &la);
	pid_t pb = batch_start(RUNNER_LINUX, b, nb, outb, &lb);

	proc_wait(pa);
	proc_wait(pb);
}

/* The index of the first scenario from i on without a status file: n if none. */
static size_t first_not_run(char *const *scns, size_t i, size_t n, const char *outdir)
{
	char path[4096];

	for (; i < n; i++) {
		batch_result_path(outdir, scns[i], ".status", path, sizeof(path));
		if (access(path, F_OK) != 0)
			break;
	}
	return i;
}

void runner_batch(enum runner which, char *const *scns, size_t n, const char *outdir)
{
	size_t i = 0;

	/* A scenario that kills vmm's guest ends a run; the ones after it run
	 * in a new one (each round runs at least one, or stops). */
	while (i < n) {
		unsigned log;
		int status = proc_wait(batch_start(which, scns + i, n - i, outdir, &log));
		size_t next = first_not_run(scns, i, n, outdir);

		if (next == i) {
			char path[4096], *err;

			snprintf(path, sizeof(path), "%s/batch-%u.stderr", outdir, log);
			err = slurp(path, NULL);
			cr_log_error("%s --out-dir ran nothing from %s (exit %d): %s",
				     runner_name(which), scns[i], status, err ? err : "");
			free(err);
			break;
		}
		i = next;
	}
}

void runner_batch_read(const char *outdir, const char *scn, struct run *r)
{
	char path[4096], *st;

	batch_result_path(outdir, scn, ".out", path, sizeof(path));
	r->out = slurp(path, NULL);
	batch_result_path(outdir, scn, ".err", path, sizeof(path));
	r->err = slurp(path, NULL);
	batch_result_path(outdir, scn, ".status", path, sizeof(path));
	st = slurp(path, NULL);
	r->status = st ? atoi(st) : -1;
	free(st);
	if (!r->out)
		r->out = strdup("");
	if (!r->err)
		r->err = strdup(st ? "" : "(not run: no status file)");
}

void scengen_batch(const char *dir, unsigned v2, unsigned first, unsigned count, unsigned nops)
{
	char gen[4096], first_s[16], count_s[16], nops_s[16], out[4200], err[4200];
	char *argv[10];
	size_t k = 0;

	bin_path("scengen", gen, sizeof(gen));
	snprintf(first_s, sizeof(first_s), "%u", first);
	snprintf(count_s, sizeof(count_s), "%u", count);
	snprintf(nops_s, sizeof(nops_s), "%u", nops);
	snprintf(out, sizeof(out), "%s/scengen.out", dir);
	snprintf(err, sizeof(err), "%s/scengen.err", dir);
	argv[k++] = gen;
	if (v2)
		argv[k++] = "--v2";
	if (v2 > 1)
		argv[k++] = "--one-process";
	argv[k++] = "--out-dir";
	argv[k++] = (char *)dir;
	argv[k++] = first_s;
	argv[k++] = count_s;
	argv[k++] = nops_s;
	argv[k] = NULL;
	cr_assert_eq(proc_run(argv, NULL, out, err), 0, "scengen --out-dir %s %u %u failed (%s)",
		     dir, first, count, err);
}
