/*
 * The scenario corpus (tests/scenarios/v2/NAME.scn, transcripts from this
 * host's Linux in NAME.out) run natively on the guest mm (scen_mm.c): every
 * transcript must be Linux's, every invariant must hold after every line,
 * and every frame must be back once every process has exited.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_arch.h"
#include "tests/unit/scen_mm.h"

TestSuite(scen_corpus, .init = fake_setup);

/* The transcript of the scenario file path on the guest mm (malloc'ed). */
char *scen_mm_transcript(const char *path, int *status)
{
	FILE *in = fopen(path, "r"), *out, *err = fopen("/dev/null", "w");
	struct scen_backend *be;
	uint64_t used = frames_used();
	char *buf = NULL;
	size_t len = 0;

	cr_assert_not_null(in, "%s", path);
	out = open_memstream(&buf, &len);
	be = scen_mm_new();
	*status = script_run_file(in, path, be, out, err);
	backend_free(be);
	fclose(out);
	fclose(in);
	fclose(err);
	cr_assert_eq(frames_used(), used, "%s: frames leaked: %lu before, %lu after", path,
		     (unsigned long)used, (unsigned long)frames_used());
	return buf;
}

/* MAP_SHARED is not in the guest mm yet: scenarios using it are skipped. */
static const bool shared_supported = true;

char *scen_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int c;

	cr_assert_not_null(f, "%s", path);
	while ((c = fgetc(f)) != EOF)
		fputc(c, out);
	fclose(out);
	fclose(f);
	return buf;
}

/* Run one corpus file; 0 when its transcript is Linux's. */
static int run_one(const char *dir, const char *name)
{
	char path[512], outp[512];
	char *got, *want;
	int status, bad;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(outp, sizeof outp, "%.*s.out", (int)(strlen(path) - 4), path);
	if (!shared_supported) {
		char *text = scen_slurp(path), *save = NULL;
		bool uses = false;
		for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			uses |= !strncmp(l, "mmap", 4) && strstr(l, " shared");
		free(text);
		if (uses)
			return -1;
	}
	got = scen_mm_transcript(path, &status);
	want = scen_slurp(outp);
	bad = strcmp(got, want) != 0;
	if (bad)
		cr_log_error("%s differs\n--- guest mm:\n%s--- linux:\n%s", path, got, want);
	free(got);
	free(want);
	return bad;
}

static void run_dir(const char *dir, const char *only)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int bad = 0, n = 0;

	cr_assert_not_null(d, "%s", dir);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".scn") || (only && !strstr(e->d_name, only)))
			continue;
		fake_setup();
		switch (run_one(dir, e->d_name)) {
		case 0: n++; break;
		case 1: n++; bad++; break;
		default: break;
		}
	}
	closedir(d);
	cr_assert_gt(n, 0);
	cr_assert_eq(bad, 0, "%d of %d scenarios differ from Linux", bad, n);
	cr_log_info("%d scenarios of %s agree with Linux", n, dir);
}

Test(scen_corpus, v2)
{
	run_dir("tests/scenarios/v2", getenv("SCEN_ONLY"));
}

Test(scen_corpus, v1)
{
	run_dir("tests/scenarios", getenv("SCEN_ONLY"));
}
