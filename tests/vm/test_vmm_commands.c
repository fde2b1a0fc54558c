/*
 * One command table for every interface of the vmm program: `check` and
 * `help` in a script file, at the prompt (standard input) and over the
 * control socket; `--check --control` checking after each request; `--mem`
 * read as the scenario language reads numbers.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/vm/vm_test.h"
#include "vmm/inspect/icmd.h"
#include "vmm/inspect/session.h"
#include "vmm/script/cmd.h"
#include "vmm/tlbcheck/tlbcheck_cmd.h"
#include "vmm/trace/trace_cmd.h"

TestSuite(vmm_commands, .timeout = 120);

static char *script_file(const char *text)
{
	static char name[64];
	int fd;

	snprintf(name, sizeof name, "/tmp/vmm-cmds-XXXXXX");
	fd = mkstemp(name);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return name;
}

/* Run text with --script FILE (file) or on standard input. */
static struct run run_text(const char *text, bool file, const char *opt)
{
	struct run r;

	if (!file)
		return run_vmm(text, (const char *[]){ "--quiet", opt ? opt : "--quiet",
						       guest_elf_path(), NULL });
	char *name = script_file(text);
	r = run_vmm(NULL, (const char *[]){ "--quiet", opt ? opt : "--quiet", "--script", name,
					    guest_elf_path(), NULL });
	unlink(name);
	return r;
}

static const char clean_input[] =
	"mmap 0x100000000000 16K rw-\n"
	"touch 0x100000000000 8K write\n"
	"check\n"
	"check 0x100000000000 4K 0\n"
	"maps\n";

Test(vmm_commands, check_in_a_script_and_at_the_prompt)
{
	for (int file = 0; file < 2; file++) {
		struct run r = run_text(clean_input, file, NULL);

		cr_expect_eq(r.status, 0, "%s: stderr: %s", file ? "file" : "stdin", r.err);
		cr_expect(strstr(r.out, "touch 0x100000000000 0x2000 write -> ok\ncheck -> ok ("),
			  "the checker ran (%s):\n%s", file ? "file" : "stdin", r.out);
		cr_expect(strstr(r.out, "\ncheck 0x100000000000 0x1000 0x00 -> ok\nmaps:\n"),
			  "the scenario's check is still there:\n%s", r.out);
		run_free(&r);
	}
}

Test(vmm_commands, check_finding_violations_fails_the_run)
{
	static const char input[] =
		"mmap 0x100000000000 16K rw-\n"
		"touch 0x100000000000 8K read\n"
		"inject stray-pte 0x100000100000\n"
		"check\n"
		"maps\n";

	for (int file = 0; file < 2; file++) {
		struct run r = run_text(input, file, NULL);

		cr_expect_eq(r.status, 1, "stderr: %s", r.err);
		cr_expect(strstr(r.out, "\ncheck -> FAIL: 1 violation\nviolation: pte-outside-vma mm=1 "
				 "va=0x100000100000 "), "%s", r.out);
		cr_expect(strstr(r.out, "\nmaps:\n100000000000-100000004000 rw-p\n"),
			  "the run goes on:\n%s", r.out);
		run_free(&r);
	}
}

/* What `help` must print in vmm: generated from the tables vmm registers. */
static char *vmm_help(void)
{
	const struct scen_cmd_table *t[] = {
		&scen_operations, &scen_expectations, &icmd_commands, &inspect_vm_commands,
		&tlbcheck_commands, &trace_commands,
	};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	scen_help(f, t, sizeof t / sizeof t[0]);
	fclose(f);
	/* Each command once: a line starting with its synopsis and two spaces. */
	for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
		for (size_t i = 0; i < t[k]->n; i++) {
			const struct scen_cmd *c = &t[k]->cmds[i];
			char want[128];
			int n = 0;

			snprintf(want, sizeof want, "\n%s%s%s  ", c->name, c->args[0] ? " " : "", c->args);
			for (const char *p = buf; (p = strstr(p, want)) != NULL; p++)
				n++;
			cr_assert_eq(n, 1, "'%s' listed %d times:\n%s", want + 1, n, buf);
		}
	}
	return buf;
}

Test(vmm_commands, help_is_the_same_list_everywhere)
{
	char *want = vmm_help();

	cr_assert(strstr(want, "\ncheck [json]  ") && strstr(want, "\ncheck ADDR LEN BYTE  ") &&
		  strstr(want, "\nptdump [MODE] [START END]  ") && strstr(want, "\nmm use ID  ") &&
		  strstr(want, "\nexpect clean  ") && strstr(want, "\nhelp  "), "%s", want);
	for (int file = 0; file < 2; file++) {
		struct run r = run_text("help\n", file, NULL);

		cr_expect_eq(r.status, 0, "stderr: %s", r.err);
		cr_expect_str_eq(r.out, want, "%s", file ? "--script" : "standard input");
		run_free(&r);
	}
	free(want);
}

Test(vmm_commands, mem_is_read_as_a_scenario_number)
{
	/* Leading zeros are decimal, as in scenarios: 100 MiB, not octal 64. */
	static const char *const sizes[][2] = {
		{ "0100M", "guest: 100 MiB of RAM" }, { "0x40M", "guest: 64 MiB of RAM" },
		{ "98304K", "guest: 96 MiB of RAM" },
	};

	for (size_t i = 0; i < 3; i++) {
		struct run r = run_vmm("", (const char *[]){ "--mem", sizes[i][0], guest_elf_path(), NULL });

		cr_expect_eq(r.status, 0, "--mem %s: %s", sizes[i][0], r.err);
		cr_expect(strstr(r.err, sizes[i][1]), "--mem %s: %s", sizes[i][0], r.err);
		run_free(&r);
	}
	struct run r = run_vmm("", (const char *[]){ "--mem", "08k", guest_elf_path(), NULL });
	cr_expect_eq(r.status, 2, "a lowercase suffix is refused: %s", r.err);
	run_free(&r);
}

/* ---- the control socket of a vmm process ---- */

static int connect_retry(const char *path, struct vmm_proc *p)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	for (int i = 0; i < 600; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		cr_assert_geq(fd, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
		close(fd);
		cr_assert_eq(kill(p->pid, 0), 0, "vmm exited before serving");
		usleep(50 * 1000);
	}
	cr_assert_fail("no control socket at %s", path);
	return -1;
}

/* Send line and read its response up to the status line (malloc'ed). */
static char *request(int fd, const char *line)
{
	char *buf = malloc(1 << 16);
	size_t len = 0, start = 0;

	cr_assert_eq(send(fd, line, strlen(line), MSG_NOSIGNAL), (ssize_t)strlen(line));
	cr_assert_eq(send(fd, "\n", 1, MSG_NOSIGNAL), 1);
	for (;;) {
		cr_assert_lt(len, (1 << 16) - 1);
		cr_assert_eq(recv(fd, buf + len, 1, 0), 1, "closed after: %.*s", (int)len, buf);
		if (buf[len++] != '\n')
			continue;
		buf[len] = 0;
		if (strcmp(buf + start, "ok\n") == 0 || strncmp(buf + start, "error: ", 7) == 0)
			return buf;
		start = len;
	}
}

Test(vmm_commands, check_control_checks_after_each_request)
{
	char path[108], *r, *help = vmm_help();

	snprintf(path, sizeof path, "/tmp/vmm-cmds-%d.sock", (int)getpid());
	unlink(path);
	struct vmm_proc p = vmm_spawn(NULL, (const char *[]){ "--quiet", "--check", "--control", path,
							      guest_elf_path(), NULL });
	int fd = connect_retry(path, &p);

	r = request(fd, "mmap 0x100000000000 16K rw-");
	cr_expect_str_eq(r, "mmap 0x100000000000 0x4000 rw- -> 0x100000000000\nok\n");
	free(r);
	r = request(fd, "touch 0x100000000000 8K read");
	cr_expect_str_eq(r, "touch 0x100000000000 0x2000 read -> ok\nok\n");
	free(r);
	r = request(fd, "help");
	cr_expect(strncmp(r, help, strlen(help)) == 0 && strcmp(r + strlen(help), "ok\n") == 0,
		  "help over the socket:\n%s", r);
	free(r);
	r = request(fd, "inject writable-zero 0x100000001000");
	static const char injected[] = "inject writable-zero 0x100000001000 -> ok\n"
				       "# check: 1 violation\n"
				       "# violation: zero-writable mm=1 va=0x100000001000 ";
	cr_expect(strncmp(r, injected, strlen(injected)) == 0, "%s", r);
	cr_expect(strstr(r, "\nerror: the check after this line failed\n"), "%s", r);
	free(r);
	/* The server goes on serving, and the broken state stays visible. */
	r = request(fd, "check");
	cr_expect(strstr(r, "check -> FAIL: 1 violation\n") && strstr(r, "\nerror: check found violations\n"),
		  "%s", r);
	free(r);
	close(fd);
	kill(p.pid, SIGTERM);
	struct run res = vmm_wait(&p);
	cr_expect_eq(res.status, 0, "stderr: %s", res.err);
	cr_expect_neq(access(path, F_OK), 0, "the socket file is gone");
	run_free(&res);
	free(help);
}
