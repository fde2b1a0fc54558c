/*
 * linux-runner, the oracle: the spec's examples to the character, the
 * corpus (so that its .out files stay true to Linux), exit statuses.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/scenario/proc.h"
#include "tests/scenario/runners.h"

Test(linux_runner, spec_examples)
{
	check_spec_examples(RUNNER_LINUX);
}

Test(linux_runner, corpus)
{
	check_corpus(RUNNER_LINUX, CORPUS_V1, 15);
}

Test(linux_runner, corpus_v2, .timeout = 120)
{
	check_corpus(RUNNER_LINUX, CORPUS_V2, 15);
}

/* Run text through linux-runner. */
static void run_text(const char *text, struct run *r)
{
	char *dir = make_tmpdir("lr");
	char scn[4096];

	cr_assert(dir);
	snprintf(scn, sizeof(scn), "%s/t.scn", dir);
	cr_assert_eq(write_file(scn, text), 0);
	runner_run(RUNNER_LINUX, scn, dir, "t", r);
	remove_tmpdir(dir);
}

Test(linux_runner, parse_error_runs_nothing)
{
	struct run r;

	run_text("mmap 0x100000000000 4K rw-\nmaps\n\nmunmap 0x100000000000\n", &r);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.out, "");
	cr_expect(strstr(r.err, "t.scn:4: munmap: expected ADDR LEN") != NULL, "%s", r.err);
	run_free(&r);
}

Test(linux_runner, unreadable_file)
{
	char *argv[] = { NULL, "/nonexistent/x.scn", NULL }, lr[4096];
	char *dir = make_tmpdir("lr"), out[4096], err[4096];
	char *text;

	bin_path("linux-runner", lr, sizeof(lr));
	argv[0] = lr;
	snprintf(out, sizeof(out), "%s/o", dir);
	snprintf(err, sizeof(err), "%s/e", dir);
	cr_expect_eq(proc_run(argv, NULL, out, err), 2);
	text = slurp(err, NULL);
	cr_expect(text && strstr(text, "/nonexistent/x.scn"), "%s", text);
	free(text);
	remove_tmpdir(dir);
}

Test(linux_runner, failed_expectation_exits_1)
{
	struct run r;

	run_text("expect unmapped 0x100000000000 4K\nmmap 0x100000000000 4K rw-\n"
		 "expect vmas 2\n", &r);
	cr_expect_eq(r.status, 1);
	cr_expect_str_eq(r.out, "expect unmapped 0x100000000000 0x1000 -> ok\n"
				"mmap 0x100000000000 0x1000 rw- -> 0x100000000000\n"
				"expect vmas 2 -> FAIL: 1\n");
	cr_expect_str_eq(r.err, "");
	run_free(&r);
}

/* The runner's own mappings are not counted. */
Test(linux_runner, vmas_count_the_scenario_only)
{
	struct run r;

	run_text("expect vmas 0\n"
		 "mmap 0x100000000000 4K rw-\n"
		 "expect vmas 1\n"
		 "mmap 0x100000002000 4K r--\n"
		 "mmap 0x100040000000 4K r--\n"
		 "expect vmas 3\n"
		 "munmap 0x100000000000 16K\n"
		 "expect vmas 1\n", &r);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	run_free(&r);
}

/* The kernel chooses the address (outside the window: `maps` omits it). */
Test(linux_runner, kernel_chosen_address)
{
	const char *head = "mmap - 0x2000 rw- -> 0x7";
	struct run r;

	run_text("mmap - 8K rw-\nmaps\n", &r);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strncmp(r.out, head, strlen(head)) == 0, "%s", r.out);
	cr_expect(strstr(r.out, "\nmaps:\n") != NULL && strstr(r.out, "\nmaps:\n")[7] == '\0',
		  "%s", r.out);
	run_free(&r);
}

/* The language's mremap example, to the character. */
Test(linux_runner, spec_v2_mremap_example)
{
	struct run r;

	run_text("mmap 0x100000000000 8K rw-\n"
		 "mremap 0x100000000000 0x2000 0x4000 maymove fixed 0x100000100000\n", &r);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect_str_eq(r.out, "mmap 0x100000000000 0x2000 rw- -> 0x100000000000\n"
				"mremap 0x100000000000 0x2000 0x4000 maymove fixed 0x100000100000 "
				"-> 0x100000100000\n");
	run_free(&r);
}

/* At most 64 live scenario processes: the next fork is EAGAIN, with a
 * message; an exit makes room, and numbers go on. */
Test(linux_runner, live_process_limit)
{
	char text[1024] = "";
	struct run r;
	const char *tail;

	for (int i = 0; i < 64; i++)
		strcat(text, "fork\n");
	strcat(text, "process 64\nexit\nfork\nprocess 66\nexit\n");
	run_text(text, &r);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "fork -> 64\nfork -> EAGAIN\nprocess 64 -> ok\nexit -> ok\n"
			 "fork -> 65\nprocess 66 -> ESRCH\nexit -> EINVAL\n") != NULL, "%s", r.out);
	tail = strstr(r.err, "fork refused: 64 scenario processes are alive");
	cr_expect(tail != NULL, "%s", r.err);
	run_free(&r);
}

/* A process whose parent has exited is reaped by the runner (a subreaper):
 * the run ends at once, status 0. */
Test(linux_runner, orphans_exit_and_are_reaped)
{
	struct run r;

	run_text("mmap 0x100000000000 4K rw-\nfill 0x100000000000 4K 1\nfork\nprocess 2\n"
		 "fork\nexit\nprocess 3\ncheck 0x100000000000 4K 1\nexit\nfork\n", &r);
	cr_expect_eq(r.status, 0, "%s", r.err);
	cr_expect(strstr(r.out, "process 3 -> ok\ncheck 0x100000000000 0x1000 0x01 -> ok\n"
			 "exit -> ok\nfork -> 4\n") != NULL, "%s", r.out);
	cr_expect_str_eq(r.err, "");
	run_free(&r);
}
