/*
 * Unit tests of the engine's language version 2 (vmm/script: ops_v2.c,
 * process.c, the mmap flags, expect shared/exclusive, sigbus) against the
 * fake backend: normalisation, results, parse errors, ENOSYS for a backend
 * without the operations, and the process bookkeeping (numbers, ESRCH,
 * EINVAL, who becomes current after exit).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/scenario/fake_backend.h"
#include "vmm/script/script.h"

/* Run text on the fake as set up (no reset); expect status and transcript. */
static void expect_run(const char *text, int status, const char *transcript)
{
	char *out, *err;
	int r = run_text(text, &out, &err);

	cr_expect_eq(r, status, "status %d, expected %d; stderr: %s", r, status, err);
	cr_expect_str_eq(out, transcript);
	free(out);
	free(err);
}

/* ---- mmap flags ---- */

Test(v2_mmap, flags_in_any_order_print_in_the_table_order)
{
	check_run("mmap 0x1000 4K rw- growsdown shared\n"
		  "mmap 0x1000 4K rw- locked populate noreserve noreplace shared growsdown\n"
		  "mmap - 8K r-- shared\n"
		  "mmap 0x1000 4K --- noreserve\n",
		  SCRIPT_OK,
		  "mmap 0x1000 0x1000 rw- shared growsdown -> 0x1000\n"
		  "mmap 0x1000 0x1000 rw- noreplace shared noreserve populate locked growsdown -> 0x1000\n"
		  "mmap - 0x2000 r-- shared -> 0x7f0000000000\n"
		  "mmap 0x1000 0x1000 --- noreserve -> 0x1000\n");
}

Test(v2_mmap, flags_reach_the_backend)
{
	static const struct { const char *word; unsigned flag; } f[] = {
		{ "", 0 }, { "shared", SCEN_MAP_SHARED }, { "noreserve", SCEN_MAP_NORESERVE },
		{ "populate", SCEN_MAP_POPULATE }, { "locked", SCEN_MAP_LOCKED },
		{ "growsdown", SCEN_MAP_GROWSDOWN },
	};
	char line[64], *out, *err;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		fake_reset();
		fake.mmap_flags = 0xdead;
		snprintf(line, sizeof(line), "mmap 0x1000 4K rw- %s\n", f[i].word);
		cr_expect_eq(run_text(line, &out, &err), SCRIPT_OK);
		cr_expect_eq(fake.mmap_flags, f[i].flag, "%s", line);
		free(out);
		free(err);
	}
}

/* ---- mremap, madvise, mlock, munlock ---- */

Test(v2_ops, mremap_normalised)
{
	fake_reset();
	expect_run("mremap 0x100000000000 8K 16K fixed 0x100000100000 maymove\n"
		   "mremap 0x1000 4K 0 dontunmap maymove\n"
		   "mremap 0x1000 4K 8K\n"
		   "mremap 0x1000 0x1000 0x2000 fixed 0x0 dontunmap maymove\n",
		   SCRIPT_OK,
		   "mremap 0x100000000000 0x2000 0x4000 maymove fixed 0x100000100000 -> 0x100000100000\n"
		   "mremap 0x1000 0x1000 0x0 maymove dontunmap -> 0x1000\n"
		   "mremap 0x1000 0x1000 0x2000 -> 0x1000\n"
		   "mremap 0x1000 0x1000 0x2000 maymove dontunmap fixed 0x0 -> 0x0\n");
	cr_expect_str_eq(fake.log, "mremap 100000000000 2000 4000 5 100000100000\n"
				   "mremap 1000 1000 0 3 0\n"
				   "mremap 1000 1000 2000 0 0\n"
				   "mremap 1000 1000 2000 7 0\n");
	fake_reset();
	fake.v2_result = -12;
	expect_run("mremap 0x1000 4K 8K\nexpect result ENOMEM\n", SCRIPT_OK,
		   "mremap 0x1000 0x1000 0x2000 -> ENOMEM\nexpect result ENOMEM -> ok\n");
}

Test(v2_ops, madvise_every_advice)
{
	static const char *const words[] = {
		"normal", "random", "sequential", "dontneed", "dontfork", "dofork",
		"wipeonfork", "keeponfork", "populate_read", "populate_write",
	};
	char line[96], want[128], log[96], *out, *err;

	cr_assert_eq(sizeof(words) / sizeof(words[0]), SCEN_ADV_COUNT);
	for (int i = 0; i < SCEN_ADV_COUNT; i++) {
		cr_expect_str_eq(scen_advice_name((enum scen_advice)i), words[i]);
		fake_reset();
		snprintf(line, sizeof(line), "madvise 4096 8K %s\n", words[i]);
		snprintf(want, sizeof(want), "madvise 0x1000 0x2000 %s -> ok\n", words[i]);
		snprintf(log, sizeof(log), "madvise 1000 2000 %d\n", i);
		cr_expect_eq(run_text(line, &out, &err), SCRIPT_OK);
		cr_expect_str_eq(out, want);
		cr_expect_str_eq(fake.log, log);
		free(out);
		free(err);
	}
	cr_expect_eq(scen_advice_name(SCEN_ADV_COUNT), NULL);
	fake_reset();
	fake.v2_result = -22;
	expect_run("madvise 0x1001 4K dontneed\n", SCRIPT_OK,
		   "madvise 0x1001 0x1000 dontneed -> EINVAL\n");
}

Test(v2_ops, mlock_and_munlock)
{
	fake_reset();
	expect_run("mlock 0x1000 1 onfault\nmlock 0x1000 8K\nmunlock 0x1000 0x2000\n", SCRIPT_OK,
		   "mlock 0x1000 0x1 onfault -> ok\n"
		   "mlock 0x1000 0x2000 -> ok\n"
		   "munlock 0x1000 0x2000 -> ok\n");
	cr_expect_str_eq(fake.log, "mlock 1000 1 1\nmlock 1000 2000 0\nmunlock 1000 2000\n");
	fake_reset();
	fake.v2_result = -12;
	expect_run("mlock 0x1000 4K\nmunlock 0x1000 4K\n", SCRIPT_OK,
		   "mlock 0x1000 0x1000 -> ENOMEM\nmunlock 0x1000 0x1000 -> ENOMEM\n");
}

Test(v2_ops, sigbus_fault)
{
	fake_reset();
	fake.access = (struct scen_access_result){ SCEN_ACC_FAULT, 0x5000, SCEN_FAULT_SIGBUS };
	expect_run("touch 0x5000 4K write\nexpect result fault 0x5000 sigbus\n"
		   "expect result fault 0x5000 maperr\n", SCRIPT_FAIL,
		   "touch 0x5000 0x1000 write -> fault 0x5000 sigbus\n"
		   "expect result fault 0x5000 sigbus -> ok\n"
		   "expect result fault 0x5000 maperr -> FAIL: fault 0x5000 sigbus\n");
}

/* ---- expect shared / exclusive ---- */

Test(v2_expect, shared_and_exclusive)
{
	fake_reset();
	fake.share[0] = SCEN_PAGE_EXCLUSIVE;
	fake.share[1] = SCEN_PAGE_SHARED;
	fake.share[2] = SCEN_PAGE_NONE;
	expect_run("expect exclusive 0x100000000000 4K\n"
		   "expect exclusive 0x100000000000 8K\n"
		   "expect shared 0x100000001000 4K\n"
		   "expect shared 0x100000001000 8K\n"
		   "expect shared 0x100000000000 4K\n"
		   "expect shared 0x100000001800 0\n"
		   "expect shared 0x100000000fff 2\n"
		   "expect exclusive 0x100000002000 4K\n",
		   SCRIPT_FAIL,
		   "expect exclusive 0x100000000000 0x1000 -> ok\n"
		   "expect exclusive 0x100000000000 0x2000 -> FAIL: 0x100000001000 shared\n"
		   "expect shared 0x100000001000 0x1000 -> ok\n"
		   "expect shared 0x100000001000 0x2000 -> FAIL: 0x100000002000 unmapped\n"
		   "expect shared 0x100000000000 0x1000 -> FAIL: 0x100000000000 exclusive\n"
		   "expect shared 0x100000001800 0x0 -> ok\n"
		   "expect shared 0x100000000fff 0x2 -> FAIL: 0x100000000000 exclusive\n"
		   "expect exclusive 0x100000002000 0x1000 -> FAIL: 0x100000002000 unmapped\n");
	/* An unaligned two-byte range spans two pages; LEN 0 asks nothing. */
	cr_expect(strstr(fake.log, "share 100000000000 2\n") != NULL, "%s", fake.log);
	cr_expect(strstr(fake.log, "share 100000001000 0") == NULL, "%s", fake.log);
}

/* ---- processes ---- */

Test(v2_process, numbers_esrch_and_exit_in_process_1)
{
	fake_reset();
	expect_run("fork\nfork\nexpect result 3\nprocess 2\nfork\nprocess 4\nexit\n"
		   "process 4\nprocess 0\nprocess 5\nprocess 0x100000001\nprocess 2\nexit\n"
		   "exit\nexpect result EINVAL\nprocess 1\nprocess 3\n",
		   SCRIPT_OK,
		   "fork -> 2\nfork -> 3\nexpect result 0x3 -> ok\nprocess 2 -> ok\nfork -> 4\n"
		   "process 4 -> ok\nexit -> ok\nprocess 4 -> ESRCH\nprocess 0 -> ESRCH\n"
		   "process 5 -> ESRCH\nprocess 4294967297 -> ESRCH\nprocess 2 -> ok\n"
		   "exit -> ok\nexit -> EINVAL\nexpect result EINVAL -> ok\nprocess 1 -> ok\n"
		   "process 3 -> ok\n");
	/* Handles are the backend's; a process that is current is not selected again. */
	cr_expect_str_eq(fake.log, "fork 0 -> 10\nfork 0 -> 11\nselect 10\nfork 10 -> 12\n"
				   "select 12\nexit 12\nselect 10\nexit 10\nselect 0\nselect 11\n");
}

Test(v2_process, exit_goes_to_the_parent_or_to_process_1)
{
	fake_reset();
	/* 1 forks 2, 2 forks 3, 3 forks 4.  3 exits: its parent 2 is current.
	 * 4 exits: its parent 3 has exited, so process 1 (not 2) is current. */
	expect_run("fork\nprocess 2\nfork\nprocess 3\nfork\nexit\nprocess 4\nexit\nfork\n",
		   SCRIPT_OK,
		   "fork -> 2\nprocess 2 -> ok\nfork -> 3\nprocess 3 -> ok\nfork -> 4\n"
		   "exit -> ok\nprocess 4 -> ok\nexit -> ok\nfork -> 5\n");
	cr_expect_str_eq(fake.log, "fork 0 -> 10\nselect 10\nfork 10 -> 11\nselect 11\n"
				   "fork 11 -> 12\nexit 11\nselect 10\nselect 12\nexit 12\n"
				   "select 0\nfork 0 -> 13\n");
}

Test(v2_process, failed_fork_takes_no_number)
{
	fake_reset();
	fake.fork_result = -11;
	expect_run("fork\nexpect result EAGAIN\n", SCRIPT_OK, "fork -> EAGAIN\nexpect result EAGAIN -> ok\n");
	fake.fork_result = 0;
	fake.log[0] = '\0';
	expect_run("fork\nprocess 2\n", SCRIPT_OK, "fork -> 2\nprocess 2 -> ok\n");
}

Test(v2_process, cpu)
{
	fake_reset();
	expect_run("cpu 0\ncpu 63\ncpu 0x3f\ncpu 64\ncpu 18446744073709551615\n", SCRIPT_OK,
		   "cpu 0 -> ok\ncpu 63 -> ok\ncpu 63 -> ok\ncpu 64 -> EINVAL\n"
		   "cpu 18446744073709551615 -> EINVAL\n");
	cr_expect_str_eq(fake.log, "cpu 0\ncpu 63\ncpu 63\n");
}

Test(v2_process, dying_in_exit_stops_with_3)
{
	char *out, *err;

	fake_reset();
	fake.die_after = 2;   /* fork, exit; the select after exit dies */
	cr_expect_eq(run_text("fork\nprocess 2\nexit\nmaps\n", &out, &err), SCRIPT_DEAD);
	cr_expect_str_eq(out, "fork -> 2\nprocess 2 -> ok\n");
	cr_expect(strstr(err, "t.scn:3: the fake backend died: fake death") != NULL, "%s", err);
	free(out);
	free(err);
}

/* ---- a backend without the version-2 operations ---- */

Test(v2_enosys, missing_operations_print_enosys)
{
	fake_reset();
	fake.be.ops = &fake_ops_v1;
	expect_run("mremap 0x1000 4K 8K\nmadvise 0x1000 4K dontneed\nmlock 0x1000 4K\n"
		   "munlock 0x1000 4K\nfork\nexpect result ENOSYS\nexit\nprocess 1\nprocess 2\n"
		   "cpu 7\nexpect shared 0x1000 4K\nexpect exclusive 0x1000 4K\n",
		   SCRIPT_FAIL,
		   "mremap 0x1000 0x1000 0x2000 -> ENOSYS\n"
		   "madvise 0x1000 0x1000 dontneed -> ENOSYS\n"
		   "mlock 0x1000 0x1000 -> ENOSYS\n"
		   "munlock 0x1000 0x1000 -> ENOSYS\n"
		   "fork -> ENOSYS\n"
		   "expect result ENOSYS -> ok\n"
		   "exit -> EINVAL\n"
		   "process 1 -> ok\n"
		   "process 2 -> ESRCH\n"
		   "cpu 7 -> ok\n"
		   "expect shared 0x1000 0x1000 -> FAIL: ENOSYS\n"
		   "expect exclusive 0x1000 0x1000 -> FAIL: ENOSYS\n");
	cr_expect_str_eq(fake.log, "");
}

/* ---- parse errors ---- */

Test(v2_parse_errors, name_the_line_and_run_nothing)
{
	check_parse_error("mmap 0x1000 4K rw- shared shared\n", 1, "mmap: shared given twice");
	check_parse_error("mmap 0x1000 4K rw- noreplace noreplace\n", 1, "noreplace given twice");
	check_parse_error("mmap 0x1000 4K rw- private\n", 1, "not 'private'");
	check_parse_error("mmap 0x1000 4K rw- SHARED\n", 1, "not 'SHARED'");
	check_parse_error("mmap - 4K rw- shared noreplace\n", 1, "noreplace needs an address");
	check_parse_error("mmap 0x1000 4K rw- shared noreserve populate locked growsdown "
			  "noreplace shared\n", 1, "mmap: expected");
	check_parse_error("mremap 0x1000 4K\n", 1, "mremap: expected ADDR OLDLEN NEWLEN");
	check_parse_error("mremap 0x1000 4K 8K fixed\n", 1, "fixed needs NEWADDR");
	check_parse_error("mremap 0x1000 4K 8K maymove maymove\n", 1, "maymove given twice");
	check_parse_error("mremap 0x1000 4K 8K fixed 0x2000 fixed 0x3000\n", 1,
			  "fixed given twice");
	check_parse_error("mremap 0x1000 4K 8K move\n", 1, "not 'move'");
	check_parse_error("mremap 0x1000 4K 8K fixed nowhere\n", 1,
			  "NEWADDR 'nowhere' is not a number");
	check_parse_error("mremap 0x1000 4K big\n", 1, "NEWLEN 'big' is not a number");
	check_parse_error("madvise 0x1000 4K\n", 1, "madvise: expected ADDR LEN ADVICE");
	check_parse_error("madvise 0x1000 4K DONTNEED\n", 1, "ADVICE 'DONTNEED' is not");
	check_parse_error("madvise 0x1000 4K free\n", 1, "ADVICE 'free' is not");
	check_parse_error("mlock 0x1000\n", 1, "mlock: expected ADDR LEN [onfault]");
	check_parse_error("mlock 0x1000 4K now\n", 1, "mlock: expected ADDR LEN [onfault]");
	check_parse_error("munlock 0x1000 4K onfault\n", 1, "munlock: expected ADDR LEN");
	check_parse_error("fork 2\n", 1, "fork: expected no arguments");
	check_parse_error("exit 0\n", 1, "exit: expected no arguments");
	check_parse_error("process\n", 1, "process: expected N");
	check_parse_error("process two\n", 1, "process: N 'two' is not a number");
	check_parse_error("cpu\n", 1, "cpu: expected N");
	check_parse_error("cpu 1 2\n", 1, "cpu: expected N");
	check_parse_error("expect shared 0x1000\n", 1, "expect shared: expected ADDR LEN");
	check_parse_error("expect exclusive 0x0 2G\n", 1, "larger than");
	check_parse_error("expect result fault 0x1000 sigsegv\n", 1, "maperr, accerr or sigbus");
}
