/*
 * vmm --out-dir (batch.h): a list of scenarios on one guest, each with its
 * own result files.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* PROG */
#endif
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/batch.h"
#include "vmm/exit_status.h"

#define PROG program_invocation_short_name   /* vmm, linux-runner */
#define SUFFIX_MAX 8    /* ".status" and its NUL */

/* FILE's NAME: its last component without ".scn", into buf.  -1 if
 * empty or too long for a file name with a suffix. */
static int script_name(const char *path, char *buf, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len > 4 && strcmp(base + len - 4, ".scn") == 0)
		len -= 4;
	if (len == 0 || len + SUFFIX_MAX > NAME_MAX || len >= size)
		return -1;
	memcpy(buf, base, len);
	buf[len] = '\0';
	return 0;
}

static int check_dir(const char *dir, FILE *err)
{
	struct stat st;

	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(err, "%s: --out-dir %s: %s\n", PROG, dir, strerror(errno));
		return -1;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(err, "%s: --out-dir %s: not a directory\n", PROG, dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		fprintf(err, "%s: --out-dir %s: %s\n", PROG, dir, strerror(errno));
		return -1;
	}
	return 0;
}

int batch_check(const char *const *scripts, size_t n, const char *dir, FILE *err)
{
	char a[NAME_MAX + 1], b[NAME_MAX + 1];

	for (size_t i = 0; i < n; i++) {
		if (access(scripts[i], R_OK) != 0) {
			fprintf(err, "%s: cannot read %s: %s\n", PROG, scripts[i], strerror(errno));
			return -1;
		}
		if (script_name(scripts[i], a, sizeof a) != 0) {
			fprintf(err, "%s: %s: no usable result name in --out-dir\n", PROG, scripts[i]);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (script_name(scripts[j], b, sizeof b) == 0 && strcmp(a, b) == 0) {
				fprintf(err, "%s: %s and %s would both write %s/%s.out\n", PROG,
					scripts[j], scripts[i], dir, a);
				return -1;
			}
		}
	}
	return check_dir(dir, err);
}

static FILE *open_result(const char *dir, const char *name, const char *suffix, FILE *err)
{
	char path[PATH_MAX];
	FILE *f = NULL;

	if ((size_t)snprintf(path, sizeof path, "%s/%s%s", dir, name, suffix) < sizeof path)
		f = fopen(path, "w");
	if (!f)
		fprintf(err, "%s: cannot write %s/%s%s: %s\n", PROG, dir, name, suffix,
			strerror(errno));
	return f;
}

/* Close f; -1 if anything written to it was lost. */
static int close_result(FILE *f)
{
	int bad = ferror(f);

	return (fclose(f) != 0 || bad) ? -1 : 0;
}

/* One scenario: its three files, its run.  The scenario's exit status;
 * *lost set if a result file could not be opened or written. */
static int run_one(const char *script, const char *dir, batch_run_fn run, void *ctx, FILE *err,
		   bool *lost)
{
	char name[NAME_MAX + 1];
	FILE *in, *out, *serr, *st;
	int status, bad;

	if (script_name(script, name, sizeof name) != 0) {
		*lost = true;  /* batch_check refuses it */
		return VMM_EXIT_INPUT;
	}
	out = open_result(dir, name, ".out", err);
	serr = open_result(dir, name, ".err", err);
	st = open_result(dir, name, ".status", err);
	in = fopen(script, "r");
	if (!in)
		fprintf(serr ? serr : err, "%s: cannot read %s: %s\n", PROG, script, strerror(errno));
	status = in ? run(ctx, script, in, out ? out : stdout, serr ? serr : err)
		    : VMM_EXIT_INPUT;
	if (in)
		fclose(in);
	bad = !out || !serr || !st;
	if (st)
		fprintf(st, "%d\n", status);
	bad |= (out && close_result(out)) | (serr && close_result(serr)) |
	       (st && close_result(st));
	if (bad)
		*lost = true;
	return status;
}

int batch_run(const char *const *scripts, size_t n, const char *dir, batch_run_fn run,
	      void *ctx, bool dead_ends_run, FILE *err)
{
	int worst = VMM_EXIT_OK;
	bool lost = false;

	for (size_t i = 0; i < n; i++) {
		int status = run_one(scripts[i], dir, run, ctx, err, &lost);

		if (status > worst)
			worst = status;
		if (status == VMM_EXIT_GUEST && dead_ends_run) {
			if (i + 1 < n)
				fprintf(err, "%s: the guest died in %s: %zu scenario%s after it "
					"not run\n", PROG, scripts[i], n - i - 1,
					n - i - 1 > 1 ? "s" : "");
			break;
		}
	}
	return lost && worst == VMM_EXIT_OK ? VMM_EXIT_FAIL : worst;
}
