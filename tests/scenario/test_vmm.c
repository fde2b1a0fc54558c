/*
 * vmm --script: the spec's examples to the character and the corpus, whose
 * transcripts linux-runner produced on the host's Linux.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/scenario/proc.h"
#include "tests/scenario/runners.h"

static void require_vmm(void)
{
	char why[4200];

	cr_assert(vmm_available(why, sizeof(why)), "%s", why);
}

Test(vmm_script, spec_examples)
{
	require_vmm();
	check_spec_examples(RUNNER_VMM);
}

Test(vmm_script, corpus)
{
	require_vmm();
	check_corpus(RUNNER_VMM, CORPUS_V1, 15);
}

Test(vmm_script, corpus_v2)
{
	/* Processes, shared memory and the rest of version 2 (docs/processes.md). */
	require_vmm();
	check_corpus(RUNNER_VMM, CORPUS_V2, 15);
}

Test(vmm_script, corpus_on_4_cpus)
{
	/* --cpus 4: the same transcripts; cpus-shootdown.scn moves between CPUs. */
	require_vmm();
	check_corpus(RUNNER_VMM4, CORPUS_V1, 15);
	check_corpus(RUNNER_VMM4, CORPUS_V2, 15);
}

Test(vmm_script, parse_error_runs_nothing)
{
	char *dir = make_tmpdir("vmm");
	char scn[4096];
	struct run r;

	require_vmm();
	cr_assert(dir);
	snprintf(scn, sizeof(scn), "%s/t.scn", dir);
	cr_assert_eq(write_file(scn, "mmap 0x100000000000 4K rw-\nmaps\nfill 0x100000000000 4K 256\n"), 0);
	runner_run(RUNNER_VMM, scn, dir, "t", &r);
	cr_expect_eq(r.status, 2);
	cr_expect_str_eq(r.out, "");
	cr_expect(strstr(r.err, "t.scn:3: fill: BYTE '256' is larger than 0xff") != NULL, "%s", r.err);
	run_free(&r);
	remove_tmpdir(dir);
}

Test(vmm_script, vmas_and_kernel_chosen_addresses)
{
	char *dir = make_tmpdir("vmm");
	char scn[4096];
	struct run r;

	require_vmm();
	cr_assert(dir);
	snprintf(scn, sizeof(scn), "%s/t.scn", dir);
	cr_assert_eq(write_file(scn, "expect vmas 0\n"
				     "mmap 0x100000000000 4K rw-\n"
				     "mmap 0x100000002000 4K r--\n"
				     "expect vmas 2\n"
				     "mmap - 8K rw-\n"
				     "expect vmas 3\n"), 0);
	runner_run(RUNNER_VMM, scn, dir, "t", &r);
	cr_expect_eq(r.status, 0, "%s%s", r.out, r.err);
	cr_expect(strstr(r.out, "expect vmas 3 -> ok\n") != NULL, "%s", r.out);
	run_free(&r);
	remove_tmpdir(dir);
}
