/*
 * The vmm program as a process: exit statuses, where messages go, and the
 * scenario transcript of the language's spec example to the character.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/vm/vm_test.h"

static const char *guest(void)
{
	return guest_elf_path();
}

TestSuite(vmm_cli, .timeout = 60);

Test(vmm_cli, help)
{
	struct run r = run_vmm(NULL, (const char *[]){ "--help", NULL });

	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "usage: vmm"), "stdout: %s", r.out);
	cr_expect_str_empty(r.err);
	run_free(&r);
}

Test(vmm_cli, info)
{
	struct run r = run_vmm(NULL, (const char *[]){ "--info", NULL });

	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "/dev/kvm"), "stdout: %s", r.out);
	run_free(&r);
}

Test(vmm_cli, unknown_option)
{
	struct run r = run_vmm(NULL, (const char *[]){ "--no-such-option", guest(), NULL });

	cr_expect_eq(r.status, 2);
	cr_expect(strstr(r.err, "unknown option") || strstr(r.err, "unrecognized option"), "stderr: %s", r.err);
	cr_expect_str_empty(r.out);
	run_free(&r);
}

Test(vmm_cli, memory_size_too_small)
{
	struct run r = run_vmm(NULL, (const char *[]){ "--mem", "3", guest(), NULL });

	cr_expect_eq(r.status, 2, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "memory size"), "stderr: %s", r.err);
	cr_expect_str_empty(r.out);
	run_free(&r);
}

Test(vmm_cli, memory_size_malformed)
{
	struct run r = run_vmm(NULL, (const char *[]){ "--mem", "lots", guest(), NULL });

	cr_expect_eq(r.status, 2, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "--mem"), "stderr: %s", r.err);
	run_free(&r);
}

/* No guest named: the installed one, here build/bin/guest.elf next to vmm;
 * $VMM_GUEST overrides it, and a missing one is refused before booting. */
Test(vmm_cli, default_guest)
{
	struct run r = run_vmm("mmap 0x100000000000 4K rw-\n", (const char *[]){ "--quiet", NULL });

	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_eq(r.out, "mmap 0x100000000000 0x1000 rw- -> 0x100000000000\n");
	run_free(&r);
	setenv("VMM_GUEST", "/nonexistent/guest.elf", 1);
	r = run_vmm(NULL, (const char *[]){ NULL });
	unsetenv("VMM_GUEST");
	cr_expect_eq(r.status, 2, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "no guest ELF given, and no installed one (looked at "
			 "$VMM_GUEST=/nonexistent/guest.elf)"), "stderr: %s", r.err);
	run_free(&r);
}

Test(vmm_cli, empty_elf)
{
	char name[] = "/tmp/vmm-empty-XXXXXX.elf";
	int fd = mkstemps(name, 4);
	cr_assert_geq(fd, 0);
	close(fd);

	struct run r = run_vmm(NULL, (const char *[]){ name, NULL });
	unlink(name);
	cr_expect_eq(r.status, 2, "stderr: %s", r.err);
	char want[64];
	snprintf(want, sizeof(want), "%s: ", name);
	cr_expect(strstr(r.err, want), "stderr lacks '%s': %s", want, r.err);
	cr_expect_str_empty(r.out);
	run_free(&r);
}

Test(vmm_cli, missing_elf)
{
	struct run r = run_vmm(NULL, (const char *[]){ "/nonexistent/kernel.elf", NULL });

	cr_expect_eq(r.status, 2, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "/nonexistent/kernel.elf"), "stderr: %s", r.err);
	run_free(&r);
}

Test(vmm_cli, crashing_guest_exits_3_with_report)
{
	char path[4096];
	struct run r = run_vmm(NULL, (const char *[]){ test_guest_path("panic", path, sizeof(path)), NULL });

	cr_expect_eq(r.status, 3, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "guest panic: test guest panic: the sky is falling"), "stderr: %s", r.err);
	cr_expect(strstr(r.err, "rip"), "stderr: %s", r.err);
	cr_expect(strstr(r.err, "cr3"), "stderr: %s", r.err);
	cr_expect(strstr(r.err, "page walk"), "stderr: %s", r.err);
	cr_expect(strstr(r.err, "panic: about to panic"), "stderr: %s", r.err);
	cr_expect_str_empty(r.out);
	run_free(&r);
}

/* --timeout is checked before the guest boots, and a guest that answers
 * nothing and makes no progress is given up after it. */
Test(vmm_cli, timeout_option)
{
	static const char *const bad[] = { "0", "-1", "x", "1s", "86401" };
	char path[4096];
	struct run r;

	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		r = run_vmm(NULL, (const char *[]){ "--timeout", bad[i], guest(), NULL });
		cr_expect_eq(r.status, 2, "--timeout %s: stderr: %s", bad[i], r.err);
		cr_expect(strstr(r.err, "--timeout needs seconds"), "stderr: %s", r.err);
		cr_expect(!strstr(r.err, "[guest]"), "refused before the boot: %s", r.err);
		run_free(&r);
	}
	r = run_vmm("mmap 0x100000000000 4K rw-\n", (const char *[]){ "--timeout", "0.3",
		    test_guest_path("console_ready", path, sizeof(path)), NULL });
	cr_expect_eq(r.status, 3, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "guest stopped answering: no response nor progress in 300 ms"),
		  "stderr: %s", r.err);
	run_free(&r);
}

Test(vmm_cli, guest_exit_during_boot_exits_3)
{
	char path[4096];
	struct run r = run_vmm(NULL, (const char *[]){ "--quiet", test_guest_path("exit_code", path, sizeof(path)), NULL });

	cr_expect_eq(r.status, 3, "stderr: %s", r.err);
	cr_expect(strstr(r.err, "exited with code 7"), "stderr: %s", r.err);
	/* --quiet drops console lines, but the report still shows the last ones. */
	cr_expect(!strstr(r.err, "[guest]"), "stderr: %s", r.err);
	cr_expect(strstr(r.err, "exit_code: exiting with 7"), "stderr: %s", r.err);
	cr_expect_str_empty(r.out);
	run_free(&r);
}

Test(vmm_cli, empty_script_exits_0)
{
	struct run r = run_vmm("", (const char *[]){ "--quiet", guest(), NULL });

	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_empty(r.out);
	run_free(&r);
}

/* The example of the scenario language spec (/work/shared/scenario-language.md). */
static const char spec_input[] =
	"mmap 0x100000000000 16K rw-\n"
	"touch 0x100000000000 16K write\n"
	"munmap 0x100000001000 4K\n"
	"munmap 0x100000000001 4K\n"
	"touch 0x100000001000 4K read\n"
	"maps\n";
static const char spec_transcript[] =
	"mmap 0x100000000000 0x4000 rw- -> 0x100000000000\n"
	"touch 0x100000000000 0x4000 write -> ok\n"
	"munmap 0x100000001000 0x1000 -> ok\n"
	"munmap 0x100000000001 0x1000 -> EINVAL\n"
	"touch 0x100000001000 0x1000 read -> fault 0x100000001000 maperr\n"
	"maps:\n"
	"100000000000-100000001000 rw-p\n"
	"100000002000-100000004000 rw-p\n";

Test(vmm_cli, spec_example_from_stdin)
{
	struct run r = run_vmm(spec_input, (const char *[]){ guest(), NULL });

	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_eq(r.out, spec_transcript, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	run_free(&r);
}

Test(vmm_cli, spec_example_from_script_file)
{
	char name[] = "/tmp/vmm-spec-XXXXXX.scen";
	int fd = mkstemps(name, 5);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, spec_input, sizeof(spec_input) - 1), (ssize_t)sizeof(spec_input) - 1);
	close(fd);

	struct run r = run_vmm(NULL, (const char *[]){ "--quiet", "--script", name, guest(), NULL });
	unlink(name);
	cr_expect_eq(r.status, 0, "stderr: %s", r.err);
	cr_expect_str_eq(r.out, spec_transcript, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	run_free(&r);
}

/* --check runs the checker after every line and stops at the first broken
 * invariant: the line after the injection must not run. */
Test(vmm_cli, check_stops_at_first_violation)
{
	static const char input[] =
		"mmap 0x100000000000 16K rw-\n"
		"touch 0x100000000000 8K read\n"
		"munmap 0x100000003000 4K\n"
		"inject writable-zero 0x100000001000\n"
		"maps\n";
	struct run r = run_vmm(input, (const char *[]){ "--quiet", "--check", guest(), NULL });

	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect(strstr(r.out, "inject writable-zero 0x100000001000 -> ok\n"), "stdout:\n%s", r.out);
	cr_expect_null(strstr(r.out, "maps:"), "ran past the violation:\n%s", r.out);
	cr_expect(strstr(r.err, "zero-writable mm=1 va=0x100000001000"), "stderr: %s", r.err);
	cr_expect(strstr(r.err, "<stdin>:4: stopped here"), "stderr: %s", r.err);
	run_free(&r);
}

/* Without the injection the same run passes every check. */
Test(vmm_cli, check_passes_a_clean_run)
{
	static const char input[] =
		"mmap 0x100000000000 16K rw-\n"
		"touch 0x100000000000 8K read\n"
		"touch 0x100000000000 4K write\n"
		"mprotect 0x100000001000 4K r--\n"
		"munmap 0x100000003000 4K\n"
		"maps\n";
	struct run r = run_vmm(input, (const char *[]){ "--quiet", "--check", guest(), NULL });

	cr_expect_eq(r.status, 0, "stdout:\n%s\nstderr:\n%s", r.out, r.err);
	cr_expect(strstr(r.out, "maps:\n100000000000-100000001000 rw-p\n"), "stdout:\n%s", r.out);
	run_free(&r);
}

static char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = calloc(1, 4096);

	cr_assert(text);
	if (!f) {
		free(text);
		return NULL;
	}
	cr_assert_lt(fread(text, 1, 4095, f), 4095);
	fclose(f);
	return text;
}

/* --out-dir: several scenarios on one guest, each in a new process (the
 * second maps where the first did: nothing carries over), each with its
 * transcript, diagnostics and status. */
Test(vmm_cli, out_dir_runs_each_scenario_on_one_guest)
{
	char dir[] = "/tmp/vmm-outdir-XXXXXX", a[64], b[64], out[64], path[128], cmd[128];
	FILE *f;

	cr_assert(mkdtemp(dir));
	snprintf(a, sizeof a, "%s/spec.scn", dir);
	snprintf(b, sizeof b, "%s/fails.scn", dir);
	snprintf(out, sizeof out, "%s/out", dir);
	cr_assert((f = fopen(a, "w")) && fputs(spec_input, f) >= 0 && fclose(f) == 0);
	cr_assert((f = fopen(b, "w")) && fputs("expect vmas 0\nmmap 0x100000000000 4K rw-\n"
					   "expect vmas 2\n", f) >= 0 && fclose(f) == 0);

	struct run r = run_vmm(NULL, (const char *[]){ "--quiet", "--out-dir", out, "--script", a,
						       "--script", b, guest(), NULL });
	cr_expect_eq(r.status, 1, "stderr: %s", r.err);
	cr_expect_str_empty(r.out);
	run_free(&r);

	const char *want[][2] = {
		{ "spec.out", spec_transcript }, { "spec.status", "0\n" }, { "spec.err", "" },
		{ "fails.out", "expect vmas 0 -> ok\n"
			       "mmap 0x100000000000 0x1000 rw- -> 0x100000000000\n"
			       "expect vmas 2 -> FAIL: 1\n" },
		{ "fails.status", "1\n" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", out, want[i][0]);
		char *got = slurp_file(path);

		cr_expect(got, "%s missing", want[i][0]);
		if (got)
			cr_expect_str_eq(got, want[i][1], "%s", want[i][0]);
		free(got);
	}
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_expect_eq(system(cmd), 0);
}
