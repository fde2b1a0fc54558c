/*
 * Unit tests of the scenario engine (vmm/script): numbers, PROT, lexing,
 * normalisation, expectations and parse errors, against the fake backend
 * that records what it is asked (test_parser_session.c and
 * test_parser_v2.c go on).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/scenario/fake_backend.h"
#include "vmm/script/cmd.h"
#include "vmm/script/scen.h"
#include "vmm/script/script.h"

/* ---- numbers and PROT ---- */

Test(numbers, decimal_hex_suffixes)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "007", 7 }, { "0x1000", 0x1000 },
		{ "0X1f", 0x1f }, { "0xABcd", 0xabcd }, { "8K", 8192 }, { "2M", 2 << 20 },
		{ "1G", 1ULL << 30 }, { "0x10K", 0x4000 }, { "0x0", 0 },
		{ "0xffffffffffffffff", UINT64_MAX }, { "18446744073709551615", UINT64_MAX },
		{ "16777215G", 16777215ULL << 30 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 1234;

		cr_expect_eq(scen_parse_number(ok[i].s, &v), 0, "%s refused", ok[i].s);
		cr_expect_eq(v, ok[i].v, "%s gave %llx", ok[i].s, (unsigned long long)v);
	}
}

Test(numbers, refused)
{
	static const char *const bad[] = {
		"", "0x", "x10", "12q", "1KK", "-1", "+1", "K", "8k", "2m", "1g", "0x1g",
		"1.5", "0x10000000000000000", "18446744073709551616", "0xffffffffffffffffK",
		"17179869184G", "1 ", "0b101",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v;

		cr_expect_eq(scen_parse_number(bad[i], &v), -1, "'%s' accepted", bad[i]);
	}
}

Test(prot, parse_and_format)
{
	static const char *const ok[] = { "---", "r--", "-w-", "--x", "rw-", "r-x", "-wx", "rwx" };
	static const char *const bad[] = { "", "rw", "rwxx", "wr-", "R--", "rw+", "x--" };
	unsigned prot;
	char buf[4];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_expect_eq(scen_parse_prot(ok[i], &prot), 0, "%s", ok[i]);
		scen_format_prot(prot, buf);
		cr_expect_str_eq(buf, ok[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(scen_parse_prot(bad[i], &prot), -1, "'%s' accepted", bad[i]);
}

Test(errno_names, match_the_c_library)
{
	cr_expect_str_eq(scen_errno_name(22), "EINVAL");
	cr_expect_str_eq(scen_errno_name(12), "ENOMEM");
	cr_expect_str_eq(scen_errno_name(17), "EEXIST");
	cr_expect_eq(scen_errno_name(0), NULL);
	cr_expect_eq(scen_errno_name(4000), NULL);
	cr_expect_eq(scen_errno_from_name("EACCES"), 13);
	cr_expect_eq(scen_errno_from_name("EWHAT"), 0);
	for (int e = 1; e < 134; e++) {
		const char *libc = strerrorname_np(e);

		if (libc && scen_errno_name(e))
			cr_expect_str_eq(scen_errno_name(e), libc, "errno %d", e);
	}
}

/* ---- lexing and normalisation ---- */

Test(normalise, operations)
{
	check_run("mmap 4096 8K rw-\n"
		  "mmap\t0x2000   0x1000\t r-x  noreplace\n"
		  "mmap - 1M ---\n"
		  "munmap 0x0010000 16K\n"
		  "mprotect 0x10000 4K r--\n"
		  "touch 0x10000 1 read\n"
		  "touch 0x10000 0x0 write\n"
		  "fill 0x10000 4K 7\n"
		  "check 0x10000 0x10 0xAB\n",
		  SCRIPT_OK,
		  "mmap 0x1000 0x2000 rw- -> 0x1000\n"
		  "mmap 0x2000 0x1000 r-x noreplace -> 0x2000\n"
		  "mmap - 0x100000 --- -> 0x7f0000000000\n"
		  "munmap 0x10000 0x4000 -> ok\n"
		  "mprotect 0x10000 0x1000 r-- -> ENOMEM\n"
		  "touch 0x10000 0x1 read -> ok\n"
		  "touch 0x10000 0x0 write -> ok\n"
		  "fill 0x10000 0x1000 0x07 -> ok\n"
		  "check 0x10000 0x10 0xab -> ok\n");
}

Test(normalise, comments_and_blank_lines)
{
	check_run("# a comment\n"
		  "\n"
		  "   \t \n"
		  "mmap 0x1000 4K rw- # trailing comment\n"
		  "munmap 0x1001 4K#glued\n"
		  "maps\n"
		  "  # indented comment\n"
		  "\r\n",
		  SCRIPT_OK,
		  "mmap 0x1000 0x1000 rw- -> 0x1000\n"
		  "munmap 0x1001 0x1000 -> EINVAL\n"
		  "maps:\n");
}

Test(normalise, no_newline_at_end)
{
	check_run("mmap 0x1000 4K rw-", SCRIPT_OK, "mmap 0x1000 0x1000 rw- -> 0x1000\n");
}

Test(normalise, access_results)
{
	char *out, *err;

	fake_reset();
	fake.access = (struct scen_access_result){ SCEN_ACC_FAULT, 0x100000001000ULL, SCEN_FAULT_MAPERR };
	cr_expect_eq(run_text("touch 0x100000000000 8K read\nexpect result fault 0x100000001000 maperr\n",
			      &out, &err), SCRIPT_OK);
	cr_expect_str_eq(out, "touch 0x100000000000 0x2000 read -> fault 0x100000001000 maperr\n"
			      "expect result fault 0x100000001000 maperr -> ok\n");
	free(out);
	free(err);

	fake_reset();
	fake.access = (struct scen_access_result){ SCEN_ACC_FAULT, 0x5000, SCEN_FAULT_ACCERR };
	cr_expect_eq(run_text("fill 0x5000 1 0xff\n", &out, &err), SCRIPT_OK);
	cr_expect_str_eq(out, "fill 0x5000 0x1 0xff -> fault 0x5000 accerr\n");
	free(out);
	free(err);

	fake_reset();
	fake.access = (struct scen_access_result){ SCEN_ACC_MISMATCH, 0x5003, 0x7 };
	cr_expect_eq(run_text("check 0x5000 16 0\nexpect result mismatch 0x5003 7\n", &out, &err),
		     SCRIPT_OK);
	cr_expect_str_eq(out, "check 0x5000 0x10 0x00 -> mismatch 0x5003 0x07\n"
			      "expect result mismatch 0x5003 0x07 -> ok\n");
	free(out);
	free(err);

	fake_reset();
	fake.access = (struct scen_access_result){ SCEN_ACC_ERROR, 0, 22 };
	cr_expect_eq(run_text("check 0x5000 16 0\n", &out, &err), SCRIPT_OK);
	cr_expect_str_eq(out, "check 0x5000 0x10 0x00 -> EINVAL\n");
	free(out);
	free(err);
}

/* ---- expectations ---- */

Test(expect, result)
{
	check_run("munmap 0x1001 4K\n"
		  "expect result EINVAL\n"
		  "expect result ok\n"
		  "mmap 0x1000 4K rw-\n"
		  "expect result 4096\n"
		  "expect result 0x1000\n"
		  "expect vmas 0\n"
		  "expect result 0x1000\n",
		  SCRIPT_FAIL,
		  "munmap 0x1001 0x1000 -> EINVAL\n"
		  "expect result EINVAL -> ok\n"
		  "expect result ok -> FAIL: EINVAL\n"
		  "mmap 0x1000 0x1000 rw- -> 0x1000\n"
		  "expect result 0x1000 -> ok\n"
		  "expect result 0x1000 -> ok\n"
		  "expect vmas 0 -> ok\n"
		  "expect result 0x1000 -> ok\n");
}

Test(expect, result_before_any_operation)
{
	check_run("expect result ok\n", SCRIPT_FAIL,
		  "expect result ok -> FAIL: no operation before it\n");
}

Test(expect, vmas)
{
	fake_reset();
	check_run("expect vmas 2\n", SCRIPT_FAIL, "expect vmas 2 -> FAIL: 0\n");
}

Test(expect, maps_ok_and_fail)
{
	char *out, *err;
	const char *script =
		"maps\n"
		"expect maps\n"
		"  100000000000-100000001000 rw-p   # comment\n"
		"\n"
		"100000002000-100000004000 r--p\n"
		"end\n"
		"expect maps\n"
		"end\n";

	fake_reset();
	fake.maps[0] = (struct scen_map){ 0x100000000000ULL, 0x100000001000ULL, 3, false };
	fake.maps[1] = (struct scen_map){ 0x100000002000ULL, 0x100000004000ULL, 1, false };
	fake.maps[2] = (struct scen_map){ 0x300000000000ULL, 0x300000001000ULL, 1, false };
	fake.nmaps = 3;
	cr_expect_eq(run_text(script, &out, &err), SCRIPT_FAIL);
	/* The mapping outside the scenario window is not listed. */
	cr_expect_str_eq(out, "maps:\n"
			      "100000000000-100000001000 rw-p\n"
			      "100000002000-100000004000 r--p\n"
			      "expect maps -> ok\n"
			      "expect maps -> FAIL: got\n"
			      "100000000000-100000001000 rw-p\n"
			      "100000002000-100000004000 r--p\n");
	free(out);
	free(err);
}

Test(expect, maps_short_addresses_are_padded)
{
	char *out, *err;

	fake_reset();
	fake.maps[0] = (struct scen_map){ 0x1000, SCEN_WINDOW_START + 0x1000, 7, false };
	fake.nmaps = 1;
	cr_expect_eq(run_text("maps\nexpect maps\n0001000-100000001000 rwxp\nend\n", &out, &err),
		     SCRIPT_OK);
	cr_expect_str_eq(out, "maps:\n00001000-100000001000 rwxp\nexpect maps -> ok\n");
	free(out);
	free(err);
}

Test(expect, mapped_unmapped)
{
	char *out, *err;

	fake_reset();
	fake.present_from = 0x100000000;   /* page numbers */
	fake.present_to = 0x100000002;
	cr_expect_eq(run_text("expect mapped 0x100000000000 8K\n"
			      "expect mapped 0x100000000fff 2\n"
			      "expect mapped 0x100000000000 12K\n"
			      "expect unmapped 0x100000002000 4K\n"
			      "expect unmapped 0x0ffffffff000 8K\n"
			      "expect unmapped 0x100000002000 0\n",
			      &out, &err), SCRIPT_FAIL);
	cr_expect_str_eq(out, "expect mapped 0x100000000000 0x2000 -> ok\n"
			      "expect mapped 0x100000000fff 0x2 -> ok\n"
			      "expect mapped 0x100000000000 0x3000 -> FAIL: 0x100000002000 unmapped\n"
			      "expect unmapped 0x100000002000 0x1000 -> ok\n"
			      "expect unmapped 0xffffffff000 0x2000 -> FAIL: 0x100000000000 mapped\n"
			      "expect unmapped 0x100000002000 0x0 -> ok\n");
	/* An unaligned two-byte range spans two pages. */
	cr_expect(strstr(fake.log, "pte 100000000000 2\n") != NULL, "%s", fake.log);
	free(out);
	free(err);
}

/* ---- parse errors ---- */

Test(parse_errors, name_the_line_and_run_nothing)
{
	check_parse_error("mmap 0x1000 4K rw-\nmaps\nmmap 0x1000 4K rw-x\n", 3, "PROT");
	check_parse_error("\n\nmunmap 0x1000\n", 3, "munmap: expected ADDR LEN");
	check_parse_error("frobnicate 1 2\n", 1, "unknown operation 'frobnicate'");
	check_parse_error("mmap 0x1000 12q rw-\n", 1, "'12q' is not a number");
	check_parse_error("mmap 0x10000000000000000 4K rw-\n", 1, "does not fit");
	check_parse_error("mmap - 4K rw- noreplace\n", 1, "noreplace");
	check_parse_error("mmap 0x1000 4K rw- replace\n", 1, "mmap: expected");
	check_parse_error("touch 0x1000 4K poke\n", 1, "read|write");
	check_parse_error("fill 0x1000 4K 0x100\n", 1, "larger than 0xff");
	check_parse_error("check 0x1000 4K\n", 1, "check: expected ADDR LEN BYTE");
	check_parse_error("maps now\n", 1, "maps: expected no arguments");
	check_parse_error("expect\n", 1, "expect: expected");
	check_parse_error("expect nothing\n", 1, "unknown expectation 'nothing'");
	check_parse_error("expect result\n", 1, "expected a VALUE");
	check_parse_error("expect result EWHATEVER\n", 1, "not ok, an errno name");
	check_parse_error("expect result fault 0x1000 badkind\n", 1, "maperr, accerr or sigbus");
	check_parse_error("expect result mismatch 0x1000 0x1ff\n", 1, "larger than 0xff");
	check_parse_error("expect result ok ok\n", 1, "expected ok");
	check_parse_error("expect mapped 0x1000\n", 1, "expected ADDR LEN");
	check_parse_error("expect mapped 0xfffffffffffff000 0x2000\n", 1, "wraps");
	check_parse_error("expect unmapped 0x0 2G\n", 1, "larger than");
	check_parse_error("expect vmas\n", 1, "count");
	check_parse_error("expect vmas many\n", 1, "not a number");
	check_parse_error("end\n", 1, "'end' without 'expect maps'");
	check_parse_error("expect maps extra\n", 1, "nothing after 'maps'");
	check_parse_error("maps\nexpect maps\n100000000000-100000001000 rw-p\n", 2, "not closed");
	check_parse_error("expect maps\n100000000000-100000001000 rw-\nend\n", 2, "START-END PERMS");
	check_parse_error("expect maps\n0x100000000000-100000001000 rw-p\nend\n", 2, "START-END");
	check_parse_error("expect maps\nmaps\nend\n", 2, "START-END");
	check_parse_error("MMAP 0x1000 4K rw-\n", 1, "unknown operation 'MMAP'");
}
