/*
 * Unit tests of the scenario engine (vmm/script), continued: streams,
 * sessions, a dying backend, added command tables, after_step, NUL and
 * control bytes, help generated from the tables; against the fake backend.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/scenario/fake_backend.h"
#include "vmm/script/cmd.h"
#include "vmm/script/scen.h"
#include "vmm/script/script.h"

/* ---- streams and sessions ---- */

Test(stream, bad_lines_are_reported_and_skipped)
{
	char *out, *err;
	int r;

	fake_reset();
	r = run_stream_text("mmap 0x1000 4K rw-\nbogus\nmunmap 0x1000 4K\nexpect maps\n", &out, &err);
	cr_expect_eq(r, SCRIPT_OK);
	cr_expect_str_eq(out, "mmap 0x1000 0x1000 rw- -> 0x1000\nmunmap 0x1000 0x1000 -> ok\n");
	cr_expect(strstr(err, "error: <stdin>:2: unknown operation 'bogus'\n") != NULL, "%s", err);
	cr_expect(strstr(err, "error: <stdin>:4: 'expect maps' is not closed") != NULL, "%s", err);
	free(out);
	free(err);
}

Test(stream, failed_expectation_gives_1)
{
	char *out, *err;

	fake_reset();
	cr_expect_eq(run_stream_text("expect vmas 1\nmaps\n", &out, &err), SCRIPT_FAIL);
	cr_expect_str_eq(out, "expect vmas 1 -> FAIL: 0\nmaps:\n");
	free(out);
	free(err);
}

Test(session, line_by_line)
{
	struct script_session *s;
	char *out, *err;
	size_t ol, el;
	FILE *o, *e;

	fake_reset();
	s = script_session_new(&fake.be, "sock");
	o = open_memstream(&out, &ol);
	e = open_memstream(&err, &el);
	cr_expect_eq(script_session_line(s, "mmap 0x1000 4K rw-\n", o, e), 0);
	cr_expect_eq(script_session_line(s, "expect maps", o, e), 0);
	cr_expect(script_session_in_block(s));
	cr_expect_eq(script_session_line(s, "end", o, e), 0);
	cr_expect(!script_session_in_block(s));
	cr_expect_eq(script_session_line(s, "expect result 0x1000", o, e), 0);
	cr_expect_eq(script_session_line(s, "expect result ok", o, e), 1);
	cr_expect_eq(script_session_line(s, "nonsense", o, e), 2);
	cr_expect_eq(script_session_status(s), 1);
	cr_expect_eq(script_session_line(s, "expect maps", o, e), 0);
	cr_expect_eq(script_session_finish(s, e), 2);
	fclose(o);
	fclose(e);
	cr_expect_str_eq(out, "mmap 0x1000 0x1000 rw- -> 0x1000\n"
			      "expect maps -> ok\n"
			      "expect result 0x1000 -> ok\n"
			      "expect result ok -> FAIL: 0x1000\n");
	cr_expect(strstr(err, "sock:6: unknown operation 'nonsense'") != NULL, "%s", err);
	cr_expect(strstr(err, "sock:7: 'expect maps' is not closed") != NULL, "%s", err);
	script_session_free(s);
	free(out);
	free(err);
}

/* ---- a dying backend ---- */

Test(dead, stops_with_3)
{
	char *out, *err;

	fake_reset();
	fake.die_after = 1;
	cr_expect_eq(run_text("mmap 0x1000 4K rw-\nmunmap 0x1000 4K\nmaps\n", &out, &err),
		     SCRIPT_DEAD);
	cr_expect_str_eq(out, "mmap 0x1000 0x1000 rw- -> 0x1000\n");
	cr_expect(strstr(err, "t.scn:2: the fake backend died: fake death") != NULL, "%s", err);
	free(out);
	free(err);
}

/* ---- commands of an added table ---- */

static int extra_calls;

static int run_stats(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	(void)ctx;
	(void)st;
	extra_calls++;
	fprintf(io->out, "stats -> 0x0\n");
	scen_io_set_result(io, "0x0");
	return SCEN_CMD_OK;
}

static int run_sane(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	(void)ctx;
	(void)st;
	fprintf(io->out, "expect sane -> FAIL: no\n");
	return SCEN_CMD_FAIL;
}

static const struct scen_cmd extra_cmds[] = {
	{ "stats", "", "some counters", 0, 0, scen_parse_no_args, run_stats },
	{ "expect sane", "", "all is well", 0, 0, scen_parse_no_args, run_sane },
};
static const struct scen_cmd_table extra_table = { extra_cmds, 2 };

static int run_with_extra(const char *text, char **out, char **err)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	size_t ol, el;
	FILE *o = open_memstream(out, &ol), *e = open_memstream(err, &el);
	struct script_session *s = script_session_new(&fake.be, "x.scn");
	int r;

	cr_assert_eq(script_session_add_table(s, &extra_table, NULL), 0);
	r = script_session_run_file(s, in, o, e);
	script_session_free(s);
	fclose(in);
	fclose(o);
	fclose(e);
	return r;
}

Test(extra, consulted_for_unknown_keywords)
{
	char *out, *err;

	fake_reset();
	extra_calls = 0;
	cr_expect_eq(run_with_extra("stats\nexpect result 0\nexpect sane\n", &out, &err),
		     SCRIPT_FAIL);
	cr_expect_eq(extra_calls, 1);
	cr_expect_str_eq(out, "stats -> 0x0\nexpect result 0x0 -> ok\n"
			      "expect sane -> FAIL: no\n");
	free(out);
	free(err);

	fake_reset();
	extra_calls = 0;
	cr_expect_eq(run_with_extra("maps\nstats now\n", &out, &err), SCRIPT_PARSE);
	cr_expect_eq(extra_calls, 0);
	cr_expect_str_eq(out, "");
	cr_expect_str_eq(err, "x.scn:2: stats: expected no arguments\n");
	free(out);
	free(err);

	fake_reset();
	cr_expect_eq(run_with_extra("ptdump\n", &out, &err), SCRIPT_PARSE);
	cr_expect_str_eq(err, "x.scn:1: unknown operation 'ptdump'\n");
	free(out);
	free(err);
}

/* ---- after_step ---- */

static int after_calls;

static int after_fn(void *ctx, struct scen_backend *be, FILE *out, FILE *err)
{
	(void)ctx;
	(void)be;
	(void)err;
	if (++after_calls == 2) {
		fprintf(out, "check -> FAIL: broken\n");
		return 1;
	}
	return 0;
}

Test(after_step, runs_after_every_line)
{
	char *out, *err;

	fake_reset();
	after_calls = 0;
	fake.be.after_step = after_fn;
	cr_expect_eq(run_text("maps\nmaps\nmaps\n", &out, &err), SCRIPT_FAIL);
	cr_expect_eq(after_calls, 3);
	cr_expect_str_eq(out, "maps:\nmaps:\ncheck -> FAIL: broken\nmaps:\n");
	free(out);
	free(err);
}

/* ---- one command table for every interface ---- */

/* Run len bytes (NULs allowed) as a file. */
static int run_bytes(const char *text, size_t len, char **out, char **err)
{
	FILE *in = fmemopen((void *)text, len, "r");
	size_t ol, el;
	FILE *o = open_memstream(out, &ol), *e = open_memstream(err, &el);
	int r;

	cr_assert(in && o && e);
	r = script_run_file(in, "t.scn", &fake.be, o, e);
	fclose(in);
	fclose(o);
	fclose(e);
	return r;
}

Test(input_bytes, nul_byte_is_a_parse_error)
{
	static const char text[] = "maps\nmunmap 0x1000 4K\0 garbage\nmaps\n";
	char *out, *err;

	fake_reset();
	cr_expect_eq(run_bytes(text, sizeof(text) - 1, &out, &err), SCRIPT_PARSE);
	cr_expect_str_eq(err, "t.scn:2: NUL byte in line\n");
	cr_expect_str_eq(out, "");
	cr_expect_str_eq(fake.log, "", "ran something: %s", fake.log);
	free(out);
	free(err);

	/* A stream reports it and goes on. */
	FILE *in = fmemopen((void *)text, sizeof(text) - 1, "r");
	size_t ol, el;
	FILE *o = open_memstream(&out, &ol), *e = open_memstream(&err, &el);
	fake_reset();
	cr_expect_eq(script_run_stream(in, "<stdin>", &fake.be, o, e, NULL), SCRIPT_OK);
	fclose(in);
	fclose(o);
	fclose(e);
	cr_expect_str_eq(out, "maps:\nmaps:\n");
	cr_expect_str_eq(err, "error: <stdin>:2: NUL byte in line\n");
	free(out);
	free(err);
}

Test(input_bytes, control_bytes_in_diagnostics_are_escaped)
{
	check_parse_error("frob\001nic\033[2Jate 1\n", 1, "unknown operation 'frob\\x01nic\\x1b[2Jate'");
	check_parse_error("mmap 0x1000 4K\x7f rw-\n", 1, "LEN '4K\\x7f' is not a number");
	check_parse_error("mmap 0x1000 4K r\\-\n", 1, "PROT 'r\\\\-'");
	check_parse_error("munmap \xff 1\n", 1, "ADDR '\\xff' is not a number");
}

Test(input_bytes, session_outcome_carries_the_escaped_problem)
{
	struct script_session *s;
	struct script_outcome o;
	static const char line[] = "mmap\0 0x1000 4K rw-";

	fake_reset();
	s = script_session_new(&fake.be, "sock");
	cr_expect_eq(script_session_exec(s, line, sizeof(line) - 1, stdout, stderr, &o), SCRIPT_PARSE);
	cr_expect_str_eq(o.msg, "NUL byte in line");
	cr_expect_eq(script_session_exec(s, "\tbad\002", 5, stdout, stderr, &o), SCRIPT_PARSE);
	cr_expect_str_eq(o.msg, "unknown operation 'bad\\x02'");
	cr_expect_eq(o.line, 2);
	cr_expect_eq(script_session_exec(s, "", 0, stdout, stderr, &o), SCRIPT_OK);
	cr_expect_str_eq(o.msg, "");
	cr_expect_str_eq(fake.log, "");
	script_session_free(s);
}

/* A second table may reuse a name with other arguments (as vmm's `check`
 * with none and the language's `check ADDR LEN BYTE`). */
static int run_checker(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	(void)ctx;
	(void)st;
	fprintf(io->out, "check -> FAIL: 1 violation\n");
	scen_io_msg(io, "check found violations");
	return SCEN_CMD_FAIL;
}

static int run_mm_list(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	(void)ctx;
	(void)st;
	fprintf(io->out, "mm list:\n");
	return SCEN_CMD_OK;
}

static int run_broken(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	(void)ctx;
	(void)st;
	scen_io_msg(io, "busy: \001 try later");
	return SCEN_CMD_ERROR;
}

static const struct scen_cmd guest_cmds[] = {
	{ "check", "", "the checker", 0, 0, scen_parse_no_args, run_checker },
	{ "mm list", "", "address spaces", 0, 0, scen_parse_no_args, run_mm_list },
	{ "mm use", "ID", "switch", 1, 1, scen_parse_no_args, run_mm_list },
	{ "broken", "", "never works", 0, 0, scen_parse_no_args, run_broken },
};
static const struct scen_cmd_table guest_table = { guest_cmds, 4 };

Test(tables, same_name_other_arguments)
{
	struct script_session *s;
	struct script_outcome o;
	char *out, *err;
	size_t ol, el;
	FILE *fo, *fe;

	fake_reset();
	s = script_session_new(&fake.be, "sock");
	cr_assert_eq(script_session_add_table(s, &guest_table, NULL), 0);
	fo = open_memstream(&out, &ol);
	fe = open_memstream(&err, &el);
	cr_expect_eq(script_session_exec(s, "check\n", 6, fo, fe, &o), SCRIPT_FAIL);
	cr_expect_str_eq(o.msg, "check found violations");
	cr_expect(!o.error);
	cr_expect_eq(script_session_exec(s, "check 0x1000 4K 0\n", 18, fo, fe, &o), SCRIPT_OK);
	cr_expect_eq(script_session_exec(s, "check 0x1000 4K", 15, fo, fe, &o), SCRIPT_PARSE);
	cr_expect_str_eq(o.msg, "check: expected ADDR LEN BYTE");
	cr_expect_eq(script_session_exec(s, "mm", 2, fo, fe, &o), SCRIPT_PARSE);
	cr_expect_str_eq(o.msg, "mm: expected list or use");
	cr_expect_eq(script_session_exec(s, "mm frob", 7, fo, fe, &o), SCRIPT_PARSE);
	cr_expect_str_eq(o.msg, "mm: unknown command 'frob' (expected list or use)");
	cr_expect_eq(script_session_exec(s, "expect nothing", 14, fo, fe, &o), SCRIPT_PARSE);
	cr_expect_str_eq(o.msg, "expect: unknown expectation 'nothing' "
			 "(expected result, maps, mapped, unmapped, vmas, shared or exclusive)");
	cr_expect_eq(script_session_exec(s, "broken", 6, fo, fe, &o), SCRIPT_FAIL);
	cr_expect(o.error);
	cr_expect_str_eq(o.msg, "busy: \\x01 try later");
	cr_expect_eq(script_session_status(s), SCRIPT_FAIL);
	fclose(fo);
	fclose(fe);
	cr_expect_str_eq(out, "check -> FAIL: 1 violation\n"
			      "check 0x1000 0x1000 0x00 -> ok\n");
	cr_expect_str_eq(err, "");
	free(out);
	free(err);
	script_session_free(s);
}

/* The number of times s occurs in text. */
static int count_occurrences(const char *text, const char *s)
{
	int count = 0;

	for (const char *p = text; (p = strstr(p, s)) != NULL; p++)
		count++;
	return count;
}

/* The number of times line occurs in text as a whole line. */
static int count_lines(const char *text, const char *line)
{
	size_t n = strlen(line);
	int count = 0;

	for (const char *p = text; (p = strstr(p, line)) != NULL; p += n)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			count++;
	return count;
}

Test(tables, help_lists_every_command_once)
{
	const struct scen_cmd_table *tables[] = { &scen_operations, &scen_expectations, &guest_table };
	char *out, *err, want[128];
	size_t ol;
	FILE *f;

	/* The same list from a file and from a stream. */
	fake_reset();
	cr_expect_eq(run_with_extra("help\n", &out, &err), SCRIPT_OK);
	cr_expect(strncmp(out, "help:\n", 6) == 0, "%s", out);
	cr_expect(strstr(out, "stats ") && strstr(out, "expect sane "), "%s", out);
	free(out);
	free(err);

	struct script_session *s = script_session_new(&fake.be, "x");
	cr_assert_eq(script_session_add_table(s, &guest_table, NULL), 0);
	FILE *in = fmemopen((void *)"help\n", 5, "r");
	char *sout;
	size_t sl;
	FILE *so = open_memstream(&sout, &sl);
	cr_expect_eq(script_session_run_stream(s, in, so, stderr, NULL), SCRIPT_OK);
	fclose(in);
	fclose(so);
	script_session_free(s);

	f = open_memstream(&out, &ol);
	scen_help(f, tables, 3);
	fclose(f);
	cr_expect_str_eq(sout, out, "help is generated from the tables");
	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < tables[k]->n; i++) {
			const struct scen_cmd *c = &tables[k]->cmds[i];

			/* A line starts with the synopsis, then at least two spaces. */
			snprintf(want, sizeof want, "\n%s%s%s  ", c->name, c->args[0] ? " " : "", c->args);
			cr_expect_eq(count_occurrences(out, want), 1, "'%s' not listed once:\n%s",
				     want + 1, out);
		}
	}
	cr_expect_eq(count_lines(out, "help:"), 1);
	free(out);
	free(sout);
}
