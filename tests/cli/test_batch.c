/*
 * vmm --out-dir's runner (vmm/batch.c) with a fake scenario runner: result
 * files per scenario, the exit status, a dead guest ending the run, names.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/batch.h"
#include "vmm/exit_status.h"

/* The fake: the scenario's first line is the status it ends with; it
 * echoes the line to out and writes "diag NAME" to err. */
static int fake_run(void *ctx, const char *name, FILE *in, FILE *out, FILE *err)
{
	char line[64] = "";
	int *calls = ctx;

	(*calls)++;
	if (!fgets(line, sizeof line, in))
		return VMM_EXIT_INPUT;
	fputs(line, out);
	fprintf(err, "diag %s\n", name);
	return atoi(line);
}

static char dir[] = "/tmp/vmm-batch-XXXXXX";

static void setup(void)
{
	cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}

TestSuite(batch, .init = setup, .fini = teardown);

/* dir/in/NAME.scn with text. */
static char *script(const char *name, const char *text)
{
	char *path;
	FILE *f;

	cr_assert(asprintf(&path, "%s/in/%s", dir, name) > 0);
	f = fopen(path, "w");
	cr_assert(f, "%s", path);
	fputs(text, f);
	fclose(f);
	return path;
}

static char *result(const char *name, const char *suffix)
{
	char path[512], *text = calloc(1, 256);
	FILE *f;

	snprintf(path, sizeof path, "%s/out/%s%s", dir, name, suffix);
	f = fopen(path, "r");
	if (!f) {
		free(text);
		return NULL;
	}
	cr_assert_leq(fread(text, 1, 255, f), 255);
	fclose(f);
	return text;
}

static void expect_result(const char *name, const char *suffix, const char *want)
{
	char *got = result(name, suffix);

	cr_expect(got, "%s%s missing", name, suffix);
	if (got)
		cr_expect_str_eq(got, want, "%s%s", name, suffix);
	free(got);
}

static void make_in(void)
{
	char in[64];

	snprintf(in, sizeof in, "%s/in", dir);
	cr_assert_eq(mkdir(in, 0700), 0);
}

Test(batch, each_scenario_its_files_and_the_highest_status)
{
	char out[64];
	int calls = 0;

	make_in();
	char *s[] = { script("a.scn", "0\n"), script("b.scn", "1\n"), script("c", "2\n") };
	snprintf(out, sizeof out, "%s/out", dir);
	cr_assert_eq(batch_check((const char *const *)s, 3, out, stderr), 0);
	cr_expect_eq(batch_run((const char *const *)s, 3, out, fake_run, &calls, true, stderr), 2);
	cr_expect_eq(calls, 3);
	expect_result("a", ".out", "0\n");
	expect_result("a", ".status", "0\n");
	expect_result("b", ".status", "1\n");
	expect_result("c", ".status", "2\n");
	char *e = result("c", ".err");
	cr_expect(e && strncmp(e, "diag ", 5) == 0 && strstr(e, "/in/c\n"), "c.err: %s", e);
	free(e);
	for (int i = 0; i < 3; i++)
		free(s[i]);
}

Test(batch, a_dead_guest_ends_the_run)
{
	char out[64];
	int calls = 0;
	FILE *err = tmpfile();
	char msg[256] = "";

	make_in();
	char *s[] = { script("a.scn", "0\n"), script("b.scn", "3\n"), script("c.scn", "0\n"),
		      script("d.scn", "0\n") };
	snprintf(out, sizeof out, "%s/out", dir);
	cr_assert_eq(batch_check((const char *const *)s, 4, out, stderr), 0);
	cr_expect_eq(batch_run((const char *const *)s, 4, out, fake_run, &calls, true, err), 3);
	cr_expect_eq(calls, 2);
	expect_result("b", ".status", "3\n");
	cr_expect_null(result("c", ".status"), "c ran after the guest died");
	rewind(err);
	cr_assert(fgets(msg, sizeof msg, err));
	cr_expect(strstr(msg, "b.scn: 2 scenarios after it not run"), "%s", msg);
	fclose(err);
	/* linux-runner's: a dead child process ends only its scenario. */
	calls = 0;
	cr_expect_eq(batch_run((const char *const *)s, 4, out, fake_run, &calls, false, stderr), 3);
	cr_expect_eq(calls, 4);
	expect_result("d", ".status", "0\n");
	for (int i = 0; i < 4; i++)
		free(s[i]);
}

Test(batch, names_must_differ_and_exist)
{
	char out[64], a2[128];
	FILE *err = tmpfile();
	char msg[512] = "";

	make_in();
	char *s[] = { script("a.scn", "0\n"), script("a", "0\n"), NULL };
	snprintf(out, sizeof out, "%s/out", dir);
	cr_expect_eq(batch_check((const char *const *)s, 2, out, err), -1);
	rewind(err);
	cr_assert(fgets(msg, sizeof msg, err));
	cr_expect(strstr(msg, "would both write"), "%s", msg);
	/* A path with no last component gives no name. */
	cr_assert(asprintf(&s[2], "%s/in/", dir) > 0);
	cr_expect_eq(batch_check((const char *const *)&s[2], 1, out, err), -1);
	snprintf(a2, sizeof a2, "%s/in/missing.scn", dir);
	const char *m[] = { a2 };
	cr_expect_eq(batch_check(m, 1, out, err), -1);
	fclose(err);
	for (int i = 0; i < 3; i++)
		free(s[i]);
}

/* An unwritable result is a failure of the run, never silent. */
Test(batch, a_result_that_cannot_be_written_fails_the_run)
{
	char out[64], blocker[96];
	int calls = 0;

	make_in();
	char *s[] = { script("a.scn", "0\n") };
	snprintf(out, sizeof out, "%s/out", dir);
	cr_assert_eq(batch_check((const char *const *)s, 1, out, stderr), 0);
	snprintf(blocker, sizeof blocker, "%s/a.out", out);
	cr_assert_eq(mkdir(blocker, 0700), 0);   /* a.out cannot be opened */
	cr_expect_eq(batch_run((const char *const *)s, 1, out, fake_run, &calls, true, stderr), 1);
	free(s[0]);
}
