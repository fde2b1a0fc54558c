/*
 * The control socket against the real guest: a session of scenario and
 * inspection commands with exact answers, errors, several clients, a
 * client that vanishes mid-request, the socket's mode, stale and foreign
 * files at the path, stopping, and the vmmctl client.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/inspect/live.h"
#include "vmm/control.h"
#include "vmm/inspect/session.h"
#include "vmm/script/cmd.h"
#include "vmm/tlbcheck/tlbcheck_cmd.h"
#include "vmm/trace/trace_cmd.h"

static struct vm *VM;
static char PATH[108];
static pthread_t SERVER;
static volatile sig_atomic_t STOP;
static atomic_int READY;
static int SERVER_RET;
static int CHECK;             /* check_after_step for the next server */

static void on_ready(void *ctx, const char *path)
{
	(void)ctx;
	(void)path;
	atomic_store(&READY, 1);
}

static void *server_main(void *arg)
{
	(void)arg;
	struct control_opts o = { .stop = &STOP, .on_ready = on_ready, .check_after_step = CHECK };
	SERVER_RET = control_serve(VM, PATH, &o);
	atomic_store(&READY, 2);
	return NULL;
}

static void start_server(void)
{
	VM = live_boot(0);
	snprintf(PATH, sizeof PATH, "/tmp/vmm-inspect-test-%d.sock", (int)getpid());
	unlink(PATH);
	STOP = 0;
	atomic_store(&READY, 0);
	cr_assert_eq(pthread_create(&SERVER, NULL, server_main, NULL), 0);
	for (int i = 0; i < 5000 && atomic_load(&READY) == 0; i++)
		usleep(1000);
	cr_assert_eq(atomic_load(&READY), 1, "the server did not start");
}

static void stop_server(void)
{
	if (!VM)
		return;
	STOP = 1;
	pthread_join(SERVER, NULL);
	vm_destroy(VM);
	VM = NULL;
}

static int ctl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, PATH);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect: %s", strerror(errno));
	return fd;
}

static void ctl_send(int fd, const char *text)
{
	size_t len = strlen(text);
	cr_assert_eq(send(fd, text, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Read one response (up to and including its status line). */
static char *ctl_read(int fd)
{
	static char buf[1 << 20];
	size_t len = 0, line_start = 0;
	for (;;) {
		cr_assert_lt(len, sizeof buf - 1, "response too long");
		ssize_t n = recv(fd, buf + len, 1, 0);
		cr_assert_eq(n, 1, "connection closed mid-response after: %.*s", (int)len, buf);
		len++;
		if (buf[len - 1] != '\n')
			continue;
		buf[len] = 0;
		const char *line = buf + line_start;
		if (strcmp(line, "ok\n") == 0 || strncmp(line, "error: ", 7) == 0)
			return buf;
		line_start = len;
	}
}

static char *ctl(int fd, const char *line)
{
	ctl_send(fd, line);
	ctl_send(fd, "\n");
	return ctl_read(fd);
}

TestSuite(control, .fini = stop_server, .timeout = 300);

Test(control, session)
{
	start_server();
	struct stat st;
	cr_assert_eq(stat(PATH, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", st.st_mode & 0777);

	int fd = ctl_connect();
	cr_assert_str_eq(ctl(fd, "mmap 0x100000000000 16K rw-"),
			 "mmap 0x100000000000 0x4000 rw- -> 0x100000000000\nok\n");
	cr_assert_str_eq(ctl(fd, "touch 0x100000000000 16K write"),
			 "touch 0x100000000000 0x4000 write -> ok\nok\n");
	cr_assert_str_eq(ctl(fd, "maps"), "maps:\n100000000000-100000004000 rw-p\nok\n");
	char *r = ctl(fd, "ptdump merged 0x100000000000 0x100000004000");
	const char *head = "ptdump merged 0x100000000000 0x100000004000:\n"
			   "0000100000000000-0000100000004000    16K urw";
	cr_assert(strncmp(r, head, strlen(head)) == 0, "%s", r);
	r = ctl(fd, "ptdump json 0x100000000000 0x100000004000");
	cr_assert(strncmp(r, "{\"pml4\":", 8) == 0 && strstr(r, "\"pages\":4"), "%s", r);
	r = ctl(fd, "check");
	cr_assert(strncmp(r, "check -> ok (", 13) == 0 && strstr(r, ")\nok\n"), "%s", r);
	r = ctl(fd, "stats");
	cr_assert(strncmp(r, "stats -> mm=", 12) == 0 && strstr(r, " vmas=1 rss_pages=4 "), "%s", r);
	r = ctl(fd, "vmas");
	cr_assert(strncmp(r, "vmas:\n100000000000-100000004000 rw-p ", 37) == 0, "%s", r);
	r = ctl(fd, "walk 0x100000001000");
	cr_assert(strstr(r, "  -> gpa 0x"), "%s", r);

	cr_assert_str_eq(ctl(fd, "expect vmas 1"), "expect vmas 1 -> ok\nok\n");
	cr_assert_str_eq(ctl(fd, "expect vmas 5"), "expect vmas 5 -> FAIL: 1\nerror: expectation failed\n");
	cr_assert_str_eq(ctl(fd, "munmap 0x100000000000 0x1000"),
			 "munmap 0x100000000000 0x1000 -> ok\nok\n");
	cr_assert_str_eq(ctl(fd, "expect result ok"), "expect result ok -> ok\nok\n");
	cr_assert_str_eq(ctl(fd, "expect maps"), "ok\n");
	cr_assert_str_eq(ctl(fd, "100000001000-100000004000 rw-p"), "ok\n");
	cr_assert_str_eq(ctl(fd, "end"), "expect maps -> ok\nok\n");

	cr_assert_str_eq(ctl(fd, ""), "ok\n");
	cr_assert_str_eq(ctl(fd, "# a comment"), "ok\n");
	r = ctl(fd, "frobnicate 1 2");
	cr_assert(strncmp(r, "error: ", 7) == 0, "%s", r);
	cr_assert(strchr(r, '\n') == r + strlen(r) - 1, "a single error line: %s", r);
	r = ctl(fd, "mmap 0x1000");
	cr_assert(strncmp(r, "error: mmap: ", 13) == 0, "%s", r);
	r = ctl(fd, "ptdump sideways");
	cr_assert_str_eq(r, "error: ptdump: unknown mode 'sideways' (merged, leaves, json, json-leaves, linux)\n");

	/* An overlong line is refused, and the connection goes on. */
	char *big = malloc(CONTROL_LINE_MAX + 100);
	memset(big, 'x', CONTROL_LINE_MAX + 99);
	big[CONTROL_LINE_MAX + 99] = 0;
	cr_assert_str_eq(ctl(fd, big), "error: line too long (max 4096 bytes)\n");
	free(big);
	cr_assert_str_eq(ctl(fd, "expect vmas 1"), "expect vmas 1 -> ok\nok\n");

	/* Address spaces. */
	r = ctl(fd, "mm new");
	cr_assert(strncmp(r, "mm new -> ", 10) == 0, "%s", r);
	unsigned id = (unsigned)strtoul(r + 10, NULL, 10);
	cr_assert_gt(id, 0);
	cr_assert_str_eq(ctl(fd, "maps"), "maps:\nok\n");
	r = ctl(fd, "mm list");
	char want[64];
	snprintf(want, sizeof want, "mm %u parent=0 pml4=", id);
	cr_assert(strstr(r, want) && strstr(r, " *\n"), "%s", r);
	cr_assert_str_eq(ctl(fd, "mm use 999"), "mm use 999 -> ESRCH\nok\n");
	snprintf(want, sizeof want, "mm destroy %u", id);
	r = ctl(fd, want);
	cr_assert(strstr(r, "-> EBUSY\nok\n"), "the current mm: %s", r);
	close(fd);
	cr_assert_null(vm_failure(VM));
}

/* The mm id of the current process, from `stats`. */
static unsigned current_mm_id(int fd)
{
	char *r = ctl(fd, "stats");

	cr_assert(strncmp(r, "stats -> mm=", 12) == 0, "%s", r);
	return (unsigned)strtoul(r + 12, NULL, 10);
}

/* The line of text that starts with prefix, without its newline ("" if none). */
static const char *line_in(const char *text, const char *prefix)
{
	static char line[512];
	const char *p = strstr(text, prefix);
	size_t n = p ? strcspn(p, "\n") : 0;

	snprintf(line, sizeof line, "%.*s", (int)n, p ? p : "");
	return line;
}

/* One mm's mm list line holds the counters this scenario makes. */
static void expect_mm_line(const char *list, unsigned id, const char *parent, const char *counts,
			   bool current)
{
	char head[64], line[512];

	snprintf(head, sizeof head, "mm %u parent=%s pml4=0x", id, parent);
	snprintf(line, sizeof line, "%s", line_in(list, head));
	cr_assert_neq(line[0], 0, "no line '%s...' in:\n%s", head, list);
	cr_assert(strstr(line, counts), "mm %u: want '%s' in '%s'", id, counts, line);
	cr_assert_eq(strcmp(line + strlen(line) - 2, " *") == 0, current, "%s", line);
}

/*
 * The host's view of processes (issue 9): after a fork and writes, the
 * parent and the child appear in mm list with the child's parent, and the
 * RSS and shared pages that the scenario makes; ptdump marks the frames
 * still shared and not those that a write made exclusive; after the child
 * exits, its own child shows it exited and keeps the child's pages.
 */
Test(control, fork_counters)
{
	unsigned p, c, g;
	char want[128], *r;
	int fd;

	start_server();
	fd = ctl_connect();
	p = current_mm_id(fd);
	/* Pages 0-3 written, 4 read (the zero page), 5 untouched. */
	cr_assert(strstr(ctl(fd, "mmap 0x100000000000 24K rw-"), "-> 0x100000000000\nok\n"));
	cr_assert(strstr(ctl(fd, "touch 0x100000000000 16K write"), "-> ok\nok\n"));
	cr_assert(strstr(ctl(fd, "touch 0x100000004000 4K read"), "-> ok\nok\n"));
	cr_assert_str_eq(ctl(fd, "fork"), "fork -> 2\nok\n");
	cr_assert_str_eq(ctl(fd, "process 2"), "process 2 -> ok\nok\n");
	c = current_mm_id(fd);
	/* The child copies page 0 and writes page 5 (its own). */
	cr_assert(strstr(ctl(fd, "touch 0x100000000000 4K write"), "-> ok\nok\n"));
	cr_assert(strstr(ctl(fd, "touch 0x100000005000 4K write"), "-> ok\nok\n"));

	r = ctl(fd, "mm list");
	snprintf(want, sizeof want, "%u", p);
	expect_mm_line(r, p, "0", " vmas=1 rss_pages=4 shared_pages=3 zero_ptes=1 pt_pages=3", false);
	expect_mm_line(r, c, want, " vmas=1 rss_pages=5 shared_pages=3 zero_ptes=1 pt_pages=3", true);
	cr_assert_null(strstr(r, "!"), "the walk agrees with the guest: %s", r);
	r = ctl(fd, "mm list json");
	snprintf(want, sizeof want, "{\"id\":%u,", c);
	cr_assert(strstr(r, want), "%s", r);
	snprintf(want, sizeof want, "\"parent\":%u,\"parent_live\":true,\"vmas\":1,\"rss_pages\":5,"
		 "\"shared_pages\":3,", p);
	cr_assert(strstr(r, want), "%s", r);
	r = ctl(fd, "stats");
	cr_assert(strstr(r, " rss_pages=5 shared_pages=3 zero_ptes=1 "), "%s", r);

	r = ctl(fd, "ptdump leaves 0x100000000000 0x100000006000");
	cr_assert(strstr(line_in(r, "0000100000000000: "), "--UW"), "the child's copy: %s", r);
	for (unsigned i = 1; i <= 3; i++) {
		snprintf(want, sizeof want, "000010000000%u000: ", i);
		cr_assert(strstr(line_in(r, want), "--U- shared"), "page %u: %s", i, r);
	}
	cr_assert(strstr(line_in(r, "0000100000004000: "), "--U- zero"), "%s", r);
	cr_assert(strstr(line_in(r, "0000100000005000: "), "--UW"), "%s", r);
	cr_assert_null(strstr(line_in(r, "0000100000000000: "), "shared"), "%s", r);
	cr_assert_null(strstr(line_in(r, "0000100000005000: "), "shared"), "%s", r);
	r = ctl(fd, "ptdump 0x100000000000 0x100000006000");
	cr_assert(strstr(r, "0000100000001000-0000100000004000    12K ur-- ad- pte shared\n"), "%s", r);

	/* In the parent, page 0 is mapped once again: exclusive, though still
	 * read-only (its next write reuses it). */
	cr_assert_str_eq(ctl(fd, "process 1"), "process 1 -> ok\nok\n");
	r = ctl(fd, "ptdump leaves 0x100000000000 0x100000006000");
	cr_assert(strstr(line_in(r, "0000100000000000: "), "--U-"), "%s", r);
	cr_assert_null(strstr(line_in(r, "0000100000000000: "), "shared"), "%s", r);
	cr_assert(strstr(line_in(r, "0000100000003000: "), "--U- shared"), "%s", r);

	/* The child forks (process 3) and exits: the grandchild keeps the
	 * child's pages, now its alone, and its parent shows as exited. */
	cr_assert_str_eq(ctl(fd, "process 2"), "process 2 -> ok\nok\n");
	cr_assert_str_eq(ctl(fd, "fork"), "fork -> 3\nok\n");
	cr_assert_str_eq(ctl(fd, "process 3"), "process 3 -> ok\nok\n");
	g = current_mm_id(fd);
	cr_assert_str_eq(ctl(fd, "process 2"), "process 2 -> ok\nok\n");
	cr_assert_str_eq(ctl(fd, "exit"), "exit -> ok\nok\n");
	r = ctl(fd, "mm list");
	snprintf(want, sizeof want, "%u(exited)", c);
	expect_mm_line(r, p, "0", " vmas=1 rss_pages=4 shared_pages=3 zero_ptes=1 pt_pages=3", true);
	expect_mm_line(r, g, want, " vmas=1 rss_pages=5 shared_pages=3 zero_ptes=1 pt_pages=3", false);
	snprintf(want, sizeof want, "mm %u ", c);
	cr_assert_null(strstr(r, want), "the child is gone: %s", r);
	r = ctl(fd, "check");
	cr_assert(strncmp(r, "check -> ok", 11) == 0, "%s", r);
	close(fd);
	cr_assert_null(vm_failure(VM));
}

Test(control, clients_and_disconnects)
{
	start_server();
	int a = ctl_connect(), b = ctl_connect();
	cr_assert_str_eq(ctl(a, "mmap 0x100000000000 4M rw-"),
			 "mmap 0x100000000000 0x400000 rw- -> 0x100000000000\nok\n");
	/* Pipelined requests come back in order. */
	ctl_send(b, "expect vmas 1\nmaps\nmunmap 0x100000000000 0x1000\n");
	cr_assert_str_eq(ctl_read(b), "expect vmas 1 -> ok\nok\n");
	cr_assert_str_eq(ctl_read(b), "maps:\n100000000000-100000400000 rw-p\nok\n");
	cr_assert_str_eq(ctl_read(b), "munmap 0x100000000000 0x1000 -> ok\nok\n");
	/* Each client has its own `expect result`. */
	cr_assert_str_eq(ctl(a, "expect result ok"),
			 "expect result ok -> FAIL: 0x100000000000\nerror: expectation failed\n");

	/* A client sends a long request and vanishes before the answer. */
	int c = ctl_connect();
	ctl_send(c, "touch 0x100000001000 0x3ff000 write\nptdump leaves\n");
	close(c);
	cr_assert_str_eq(ctl(b, "expect vmas 1"), "expect vmas 1 -> ok\nok\n");
	char *r = ctl(b, "check");
	cr_assert(strncmp(r, "check -> ok", 11) == 0, "%s", r);
	r = ctl(b, "stats");
	cr_assert(strstr(r, " rss_pages=1023 "), "the vanished client's touch ran: %s", r);
	cr_assert_null(vm_failure(VM));

	/* More clients than the server takes wait for a slot. */
	int many[CONTROL_MAX_CLIENTS];
	for (int i = 0; i < CONTROL_MAX_CLIENTS - 2; i++)
		many[i] = ctl_connect();
	for (int i = 0; i < CONTROL_MAX_CLIENTS - 2; i++) {
		cr_assert_str_eq(ctl(many[i], "expect vmas 1"), "expect vmas 1 -> ok\nok\n");
		close(many[i]);
	}
	close(a);
	close(b);
}

Test(control, stop_removes_the_socket)
{
	start_server();
	int fd = ctl_connect();
	/* Answered: the server has taken this client (one still in the
	 * listen backlog would see a reset, not end of file). */
	cr_assert_str_eq(ctl(fd, ""), "ok\n");
	STOP = 1;
	pthread_join(SERVER, NULL);
	cr_assert_eq(SERVER_RET, 0);
	cr_assert_neq(access(PATH, F_OK), 0, "the socket file is gone");
	char c;
	cr_assert_eq(recv(fd, &c, 1, 0), 0, "the client sees end of file");
	close(fd);
	vm_destroy(VM);
	VM = NULL;
}

Test(control, refuses_a_regular_file_and_replaces_a_stale_socket)
{
	VM = live_boot(0);
	snprintf(PATH, sizeof PATH, "/tmp/vmm-inspect-test-%d.sock", (int)getpid());
	FILE *f = fopen(PATH, "w");
	fputs("precious\n", f);
	fclose(f);
	struct control_opts o = { .stop = &STOP };
	STOP = 0;
	cr_assert_eq(control_serve(VM, PATH, &o), -EEXIST);
	f = fopen(PATH, "r");
	char buf[32] = "";
	cr_assert_not_null(fgets(buf, sizeof buf, f));
	fclose(f);
	cr_assert_str_eq(buf, "precious\n");
	unlink(PATH);

	/* A socket file nobody listens on is stale: replaced. */
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	strcpy(sa.sun_path, PATH);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
	close(s);
	atomic_store(&READY, 0);
	cr_assert_eq(pthread_create(&SERVER, NULL, server_main, NULL), 0);
	for (int i = 0; i < 5000 && atomic_load(&READY) == 0; i++)
		usleep(1000);
	cr_assert_eq(atomic_load(&READY), 1);
	int fd = ctl_connect();
	cr_assert_str_eq(ctl(fd, "maps"), "maps:\nok\n");

	/* A live socket is not taken over by a second server. */
	cr_assert_eq(control_serve(VM, PATH, &o), -EADDRINUSE);
	cr_assert_str_eq(ctl(fd, "maps"), "maps:\nok\n");
	close(fd);
}

Test(control, vmmctl_client)
{
	const char *bin = getenv("VMM_BIN");
	char ctlpath[4096], cmd[8192];
	snprintf(ctlpath, sizeof ctlpath, "%s/vmmctl", bin ? bin : "build/bin");
	if (access(ctlpath, X_OK) != 0)
		cr_skip_test("no vmmctl at %s", ctlpath);
	start_server();

	snprintf(cmd, sizeof cmd, "%s -s %s mmap 0x100000000000 8K rw- 2>&1", ctlpath, PATH);
	FILE *p = popen(cmd, "r");
	char out[4096] = "";
	size_t n = fread(out, 1, sizeof out - 1, p);
	out[n] = 0;
	cr_assert_eq(pclose(p), 0);
	cr_assert_str_eq(out, "mmap 0x100000000000 0x2000 rw- -> 0x100000000000\n");

	snprintf(cmd, sizeof cmd, "printf 'maps\\nbogus\\nexpect vmas 1\\n' | %s -s %s 2>&1", ctlpath, PATH);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof out - 1, p);
	out[n] = 0;
	int st = pclose(p);
	cr_assert_eq(WEXITSTATUS(st), 1, "an error makes the exit status 1");
	cr_assert(strncmp(out, "maps:\n100000000000-100000002000 rw-p\nerror: ", 44) == 0, "%s", out);
	cr_assert(strstr(out, "\nexpect vmas 1 -> ok\n"), "%s", out);

	snprintf(cmd, sizeof cmd, "%s -s /nonexistent/sock maps 2>/dev/null", ctlpath);
	cr_assert_eq(WEXITSTATUS(system(cmd)), 2);
}

/* A request that prints nothing as a connection's first: nothing is queued
 * yet, and appending no bytes must not touch the empty buffer (under the
 * sanitizers a memcpy from or to NULL aborts the server). */
Test(control, first_request_prints_nothing)
{
	start_server();
	static const char *const first[] = { "", "# a comment", "expect maps", "   " };
	for (unsigned i = 0; i < 4; i++) {
		int fd = ctl_connect();
		cr_assert_str_eq(ctl(fd, first[i]), "ok\n", "first request '%s'", first[i]);
		close(fd);
	}
	int fd = ctl_connect();
	cr_assert_str_eq(ctl(fd, "expect vmas 0"), "expect vmas 0 -> ok\nok\n");
	close(fd);
	cr_assert_null(vm_failure(VM));
}

/* The line's bytes: a NUL is refused, control bytes come back escaped. */
Test(control, hostile_bytes)
{
	start_server();
	int fd = ctl_connect();
	/* ctl_send stops at a NUL: send by hand. */
	cr_assert_eq(send(fd, "maps\nmaps\0 frob\n", 16, MSG_NOSIGNAL), 16);
	cr_assert_str_eq(ctl_read(fd), "maps:\nok\n");
	cr_assert_str_eq(ctl_read(fd), "error: NUL byte in line\n");
	cr_assert_str_eq(ctl(fd, "frob\033]0;x\007"), "error: unknown operation 'frob\\x1b]0;x\\x07'\n");
	cr_assert_str_eq(ctl(fd, "maps"), "maps:\nok\n");
	close(fd);
}

/* help over the socket: the list generated from the tables vmm registers. */
Test(control, help_lists_every_command)
{
	const struct scen_cmd_table *t[] = {
		&scen_operations, &scen_expectations, &icmd_commands, &inspect_vm_commands,
		&tlbcheck_commands, &trace_commands,
	};
	char *want = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&want, &len);
	scen_help(f, t, sizeof t / sizeof t[0]);
	fputs("ok\n", f);
	fclose(f);
	start_server();
	int fd = ctl_connect();
	cr_assert_str_eq(ctl(fd, "help"), want);
	close(fd);
	free(want);
}

/* --check --control: the checker runs after each executed request; a
 * violation becomes the request's status, its lines comments. */
Test(control, check_after_each_request)
{
	CHECK = 1;
	start_server();
	CHECK = 0;
	int fd = ctl_connect();
	cr_assert_str_eq(ctl(fd, "mmap 0x100000000000 16K rw-"),
			 "mmap 0x100000000000 0x4000 rw- -> 0x100000000000\nok\n");
	cr_assert_str_eq(ctl(fd, "touch 0x100000000000 8K read"),
			 "touch 0x100000000000 0x2000 read -> ok\nok\n");
	char *r = ctl(fd, "inject stray-pte 0x100000100000");
	const char *head = "inject stray-pte 0x100000100000 -> ok\n# check: 1 violation\n"
			   "# violation: pte-outside-vma mm=1 va=0x100000100000 ";
	cr_assert(strncmp(r, head, strlen(head)) == 0, "%s", r);
	cr_assert(strstr(r, "\nerror: the check after this line failed\n"), "%s", r);
	cr_assert_null(vm_failure(VM));
	close(fd);
}
