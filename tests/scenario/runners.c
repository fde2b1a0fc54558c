/*
 * Running the runners for the scenario tests (see runners.h).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/scenario/proc.h"
#include "tests/scenario/runners.h"

const char *runner_name(enum runner which)
{
	return which == RUNNER_LINUX ? "linux-runner" : which == RUNNER_VMM ? "vmm" : "vmm-cpus4";
}

void runner_argv(enum runner which, const char *scn, char *argv[], char bufs[][4096])
{
	if (which == RUNNER_LINUX) {
		bin_path("linux-runner", bufs[0], 4096);
		argv[0] = bufs[0];
		argv[1] = (char *)scn;
		argv[2] = NULL;
		return;
	}
	int n = 0;

	bin_path("vmm", bufs[0], 4096);
	bin_path("guest.elf", bufs[1], 4096);
	argv[n++] = bufs[0];
	if (which == RUNNER_VMM4) {
		argv[n++] = "--cpus";
		argv[n++] = "4";
	}
	argv[n++] = "--script";
	argv[n++] = (char *)scn;
	argv[n++] = bufs[1];
	argv[n] = NULL;
}

void runner_command(enum runner which, const char *scn, char *buf, size_t size)
{
	char *argv[8], bufs[3][4096];
	size_t used = 0;

	runner_argv(which, scn, argv, bufs);
	buf[0] = '\0';
	for (int i = 0; argv[i] && used + 1 < size; i++) {
		int n = snprintf(buf + used, size - used, "%s%s", i ? " " : "", argv[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

void runner_run(enum runner which, const char *scn, const char *tmpdir, const char *tag,
		struct run *r)
{
	char *argv[8], bufs[3][4096], out[4096], err[4096];

	runner_argv(which, scn, argv, bufs);
	snprintf(out, sizeof(out), "%s/%s.%s.out", tmpdir, tag, runner_name(which));
	snprintf(err, sizeof(err), "%s/%s.%s.err", tmpdir, tag, runner_name(which));
	r->status = proc_run(argv, NULL, out, err);
	r->out = slurp(out, NULL);
	r->err = slurp(err, NULL);
	if (!r->out)
		r->out = strdup("");
	if (!r->err)
		r->err = strdup("");
}

void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **corpus_list(const char *rel, size_t *n)
{
	char dir[4096];
	char **list = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *e;
	DIR *d;

	src_path(rel, dir, sizeof(dir));
	d = opendir(dir);
	cr_assert(d, "cannot open %s", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 4, ".scn") != 0)
			continue;
		if (cnt == cap) {
			cap = cap ? 2 * cap : 32;
			list = realloc(list, cap * sizeof(*list));
			cr_assert(list);
		}
		cr_assert(asprintf(&list[cnt++], "%s/%s", dir, e->d_name) > 0);
	}
	closedir(d);
	qsort(list, cnt, sizeof(*list), cmp_str);
	*n = cnt;
	return list;
}

void corpus_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int corpus_expected_exit(const char *text)
{
	const char *p = strstr(text, "# exit: ");

	return p ? atoi(p + 8) : 0;
}

/* Compare one run with the expected transcript and status; log a diff. */
static void compare_run(enum runner which, const char *scn, const struct run *r,
			const char *want_out, int want_status, const char *tmpdir)
{
	char cmd[8192];

	runner_command(which, scn, cmd, sizeof(cmd));
	if (strcmp(r->out, want_out) != 0) {
		char got_path[4096], want_path[4096];
		char *diff;

		snprintf(got_path, sizeof(got_path), "%s/got.out", tmpdir);
		snprintf(want_path, sizeof(want_path), "%s/expected.out", tmpdir);
		write_file(got_path, r->out);
		write_file(want_path, want_out);
		diff = diff_files(want_path, got_path);
		cr_log_error("%s: transcript differs (--- expected, +++ got)\n%s\nstderr:\n%s",
			     cmd, diff, r->err);
		free(diff);
	}
	cr_expect_str_eq(r->out, want_out, "%s: transcript differs", cmd);
	cr_expect_eq(r->status, want_status, "%s: exit status %d, expected %d; stderr:\n%s",
		     cmd, r->status, want_status, r->err);
}

void check_corpus(enum runner which, const char *rel, size_t min)
{
	char *tmpdir = make_tmpdir("corpus");
	size_t n;
	char **list = corpus_list(rel, &n);

	cr_assert(tmpdir);
	cr_expect_geq(n, min, "only %zu scenarios in %s", n, rel);
	/* vmm: the whole corpus on one guest (vmm --out-dir). */
	if (which != RUNNER_LINUX)
		runner_batch(which, list, n, tmpdir);
	for (size_t i = 0; i < n; i++) {
		char out_path[4096];
		char *text = slurp(list[i], NULL), *want;
		struct run r;

		cr_assert(text, "cannot read %s", list[i]);
		snprintf(out_path, sizeof(out_path), "%.*s.out", (int)(strlen(list[i]) - 4), list[i]);
		want = slurp(out_path, NULL);
		cr_expect(want, "%s has no .out file", list[i]);
		if (want) {
			if (which == RUNNER_LINUX)
				runner_run(which, list[i], tmpdir, "corpus", &r);
			else
				runner_batch_read(tmpdir, list[i], &r);
			compare_run(which, list[i], &r, want, corpus_expected_exit(text), tmpdir);
			run_free(&r);
		}
		free(want);
		free(text);
	}
	corpus_free(list, n);
	remove_tmpdir(tmpdir);
}

/* The two examples of the scenario language, verbatim. */
static const char spec_input_1[] =
	"mmap 0x100000000000 16K rw-\n"
	"touch 0x100000000000 16K write\n"
	"munmap 0x100000001000 4K\n"
	"munmap 0x100000000001 4K\n"
	"touch 0x100000001000 4K read\n"
	"maps\n";
static const char spec_transcript_1[] =
	"mmap 0x100000000000 0x4000 rw- -> 0x100000000000\n"
	"touch 0x100000000000 0x4000 write -> ok\n"
	"munmap 0x100000001000 0x1000 -> ok\n"
	"munmap 0x100000000001 0x1000 -> EINVAL\n"
	"touch 0x100000001000 0x1000 read -> fault 0x100000001000 maperr\n"
	"maps:\n"
	"100000000000-100000001000 rw-p\n"
	"100000002000-100000004000 rw-p\n";
static const char spec_input_2[] =
	"mmap 0x100000000000 8K rw-\n"
	"fill 0x100000000000 8K 0xab\n"
	"mprotect 0x100000001000 4K r--\n"
	"fill 0x100000001000 4K 7\n"
	"check 0x100000000000 8K 0xab\n"
	"expect mapped 0x100000000000 8K\n"
	"munmap 0x100000000000 8K\n"
	"expect result ok\n"
	"expect unmapped 0x100000000000 8K\n";
static const char spec_transcript_2[] =
	"mmap 0x100000000000 0x2000 rw- -> 0x100000000000\n"
	"fill 0x100000000000 0x2000 0xab -> ok\n"
	"mprotect 0x100000001000 0x1000 r-- -> ok\n"
	"fill 0x100000001000 0x1000 0x07 -> fault 0x100000001000 accerr\n"
	"check 0x100000000000 0x2000 0xab -> ok\n"
	"expect mapped 0x100000000000 0x2000 -> ok\n"
	"munmap 0x100000000000 0x2000 -> ok\n"
	"expect result ok -> ok\n"
	"expect unmapped 0x100000000000 0x2000 -> ok\n";

void check_spec_examples(enum runner which)
{
	static const char *const inputs[] = { spec_input_1, spec_input_2 };
	static const char *const transcripts[] = { spec_transcript_1, spec_transcript_2 };
	char *tmpdir = make_tmpdir("spec");

	cr_assert(tmpdir);
	for (int i = 0; i < 2; i++) {
		char scn[4096], corpus_scn[4096], corpus_out[4096];
		char *text, *out;
		struct run r;

		snprintf(scn, sizeof(scn), "%s/spec-example-%d.scn", tmpdir, i + 1);
		cr_assert_eq(write_file(scn, inputs[i]), 0);
		runner_run(which, scn, tmpdir, "spec", &r);
		compare_run(which, scn, &r, transcripts[i], 0, tmpdir);
		run_free(&r);

		/* The corpus copies of the examples stay the spec's. */
		snprintf(corpus_scn, sizeof(corpus_scn), "tests/scenarios/spec-example-%d.scn", i + 1);
		snprintf(corpus_out, sizeof(corpus_out), "tests/scenarios/spec-example-%d.out", i + 1);
		src_path(corpus_scn, scn, sizeof(scn));
		text = slurp(scn, NULL);
		src_path(corpus_out, scn, sizeof(scn));
		out = slurp(scn, NULL);
		cr_expect(text && out, "the corpus lacks spec-example-%d", i + 1);
		if (text && out) {
			cr_expect(strstr(text, inputs[i]) != NULL,
				  "spec-example-%d.scn is not the spec's example", i + 1);
			cr_expect_str_eq(out, transcripts[i]);
		}
		free(text);
		free(out);
	}
	remove_tmpdir(tmpdir);
}
