/*
 * vmm --out-dir for the scenario tests (runners.h): many scenarios on one
 * booted guest, each with its result files.
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

/* One vmm --out-dir run over scns[0..n): vmm's exit status. */
static int batch_once(enum runner which, char *const *scns, size_t n, const char *outdir)
{
	char **argv = calloc(2 * n + 8, sizeof(*argv));
	char vmm[4096], guest[4096], out[4096], err[4096];
	size_t k = 0;
	int status;

	cr_assert(argv);
	bin_path("vmm", vmm, sizeof(vmm));
	bin_path("guest.elf", guest, sizeof(guest));
	argv[k++] = vmm;
	argv[k++] = "--quiet";
	if (which == RUNNER_VMM4) {
		argv[k++] = "--cpus";
		argv[k++] = "4";
	}
	argv[k++] = "--out-dir";
	argv[k++] = (char *)outdir;
	for (size_t i = 0; i < n; i++) {
		argv[k++] = "--script";
		argv[k++] = scns[i];
	}
	argv[k++] = guest;
	argv[k] = NULL;
	snprintf(out, sizeof(out), "%s/batch.stdout", outdir);
	snprintf(err, sizeof(err), "%s/batch.stderr", outdir);
	status = proc_run(argv, NULL, out, err);
	free(argv);
	return status;
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
	size_t i = 0, rounds = 0;

	cr_assert(which != RUNNER_LINUX, "runner_batch is vmm's");
	/* A scenario that kills the guest ends a run; the ones after it run
	 * in a new one (each round runs at least one, or stops). */
	while (i < n && rounds++ < n) {
		int status = batch_once(which, scns + i, n - i, outdir);
		size_t next = first_not_run(scns, i, n, outdir);

		if (next == i) {
			char path[4096], *err;

			snprintf(path, sizeof(path), "%s/batch.stderr", outdir);
			err = slurp(path, NULL);
			cr_log_error("vmm --out-dir ran nothing from %s (exit %d): %s", scns[i],
				     status, err ? err : "");
			free(err);
			break;
		}
		i = first_not_run(scns, next, n, outdir);
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
