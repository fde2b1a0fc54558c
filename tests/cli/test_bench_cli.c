/*
 * The command lines of the benchmarks (tools/bench*, build/bin/bench-*):
 * --help and --version answered with exit 0, an unknown argument refused
 * with the usage line and exit 2, and in none of these cases the benchmark
 * run (it prints tables on standard output, and some take minutes).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/cli/run.h"

static const char *const benches[] = {
	"bench-channel", "bench-inspect", "bench-mm", "bench-fork", "bench-shootdown",
	"bench-shootdown-wall", "bench-vmafam", "bench-trace-none", "bench-trace-off", "bench-trace-on",
};
#define NBENCH (sizeof benches / sizeof benches[0])

/* Run bench name with one argument. */
static struct prog_run run1(const char *name, const char *arg)
{
	char path[4096];

	snprintf(path, sizeof path, "%s", prog_path(name));
	const char *argv[] = { path, arg, NULL };
	return prog_run(argv);
}

/* Nothing of a measurement: short, no table row, no "reproduce:" line of a
 * finished run. */
static void measured_nothing(const char *name, const char *arg, const char *text)
{
	cr_assert_lt(strlen(text), 4096, "%s %s printed %zu bytes", name, arg, strlen(text));
	cr_assert_null(strstr(text, "\n|"), "%s %s printed a table:\n%s", name, arg, text);
	cr_assert_null(strstr(text, "holes\n"), "%s %s ran:\n%s", name, arg, text);
	cr_assert_null(strstr(text, "reproduce: "), "%s %s ran:\n%s", name, arg, text);
}

Test(bench_cli, help_says_usage_what_and_how_to_reproduce)
{
	for (size_t i = 0; i < NBENCH; i++) {
		char want[128];
		struct prog_run r = run1(benches[i], "--help");

		snprintf(want, sizeof want, "usage: %s ", benches[i]);
		cr_assert_eq(r.status, 0, "%s --help: %d %s", benches[i], r.status, r.err);
		cr_assert(strncmp(r.out, want, strlen(want)) == 0, "%s --help:\n%s", benches[i], r.out);
		cr_assert(strstr(r.out, "\nReproduce: "), "%s --help:\n%s", benches[i], r.out);
		cr_assert(strstr(r.out, "docs/"), "%s --help names its docs:\n%s", benches[i], r.out);
		cr_assert_str_eq(r.err, "", "%s --help", benches[i]);
		measured_nothing(benches[i], "--help", r.out);
		prog_run_free(&r);
	}
}

Test(bench_cli, version_is_vmms)
{
	char vmm[4096], want[256];
	const char *argv[] = { vmm, "--version", NULL };

	snprintf(vmm, sizeof vmm, "%s", prog_path("vmm"));
	struct prog_run v = prog_run(argv);
	cr_assert_eq(v.status, 0);
	cr_assert(strncmp(v.out, "vmm (vmm-mm) ", 13) == 0, "%s", v.out);
	for (size_t i = 0; i < NBENCH; i++) {
		struct prog_run r = run1(benches[i], "--version");

		snprintf(want, sizeof want, "%s%s", benches[i], v.out + 3);
		cr_assert_eq(r.status, 0, "%s --version: %d %s", benches[i], r.status, r.err);
		cr_assert_str_eq(r.out, want, "%s --version", benches[i]);
		cr_assert_str_eq(r.err, "", "%s --version", benches[i]);
		prog_run_free(&r);
	}
	prog_run_free(&v);
}

Test(bench_cli, unknown_arguments_are_refused_before_measuring)
{
	static const char *const bad[] = { "--bogus", "bogus", "-x" };

	for (size_t i = 0; i < NBENCH; i++) {
		for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
			char want[128];
			struct prog_run r = run1(benches[i], bad[b]);

			snprintf(want, sizeof want, "usage: %s ", benches[i]);
			cr_assert_eq(r.status, 2, "%s %s: %d %s", benches[i], bad[b], r.status, r.err);
			cr_assert(strstr(r.err, want), "%s %s:\n%s", benches[i], bad[b], r.err);
			cr_assert_str_eq(r.out, "", "%s %s", benches[i], bad[b]);
			measured_nothing(benches[i], bad[b], r.err);
			prog_run_free(&r);
		}
	}
	/* The trace drivers' N is from 1 to 1000. */
	for (size_t i = 0; i < NBENCH; i++) {
		if (strncmp(benches[i], "bench-trace-", 12) != 0)
			continue;
		struct prog_run r = run1(benches[i], "1001");

		cr_assert_eq(r.status, 2, "%s 1001: %d", benches[i], r.status);
		cr_assert_str_eq(r.out, "", "%s 1001", benches[i]);
		prog_run_free(&r);
	}
}
