/*
 * The real gdb (Debian's, in batch mode) against vmm --gdb (docs/gdb.md):
 * a munmap sent on the control socket stops in do_munmap; bt shows it
 * under the request handler; finish returns 0; the registers and a
 * page-table page through the direct map; monitor maps once the request is
 * done; five breakpoints refused; continue, and the transcript is the one
 * of the same lines without gdb.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/layout.h"
#include "tests/cli/run.h"
#include "tests/gdb/spawn.h"

static char dir[64];

static const char *in_dir(const char *name)
{
	static char bufs[8][512];
	static unsigned next;
	char *b = bufs[next++ % 8];

	snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
	return b;
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/vmm-gdb-XXXXXX");
	cr_assert(mkdtemp(dir), "mkdtemp");
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		cr_log_warn("could not remove %s", dir);
}

/* vmm serving the control socket TAG.ctl (and gdb at g.sock if gdb). */
static pid_t start_vmm(const char *tag, bool gdb)
{
	char ctl[64], out[64], err[64], gdbarg[600];

	snprintf(ctl, sizeof ctl, "%s.ctl", tag);
	snprintf(out, sizeof out, "%s.out", tag);
	snprintf(err, sizeof err, "%s.err", tag);
	snprintf(gdbarg, sizeof gdbarg, "unix:%s", in_dir("g.sock"));
	const char *argv[8];
	size_t a = 0;

	argv[a++] = prog_path("vmm");
	argv[a++] = "--control";
	argv[a++] = in_dir(ctl);
	if (gdb) {
		argv[a++] = "--gdb";
		argv[a++] = gdbarg;
	}
	argv[a++] = prog_path("guest.elf");
	argv[a] = NULL;
	pid_t pid = spawn_to_files(argv, in_dir(out), in_dir(err));
	cr_assert(pid > 0, "cannot start vmm");
	cr_assert(wait_for_path(in_dir(ctl), 300000), "vmm did not serve %s", in_dir(ctl));
	return pid;
}

/* Send line to the control socket of tag; append the answer to t. */
static void ctl_line(const char *tag, const char *line, char *t, size_t tlen)
{
	char ctl[64];

	snprintf(ctl, sizeof ctl, "%s.ctl", tag);
	const char *argv[] = { prog_path("vmmctl"), "-s", in_dir(ctl), line, NULL };
	struct prog_run r = prog_run(argv);
	cr_assert_eq(r.status, 0, "vmmctl %s: %s", line, r.err);
	strncat(t, r.out, tlen - strlen(t) - 1);
	prog_run_free(&r);
}

static void stop_vmm(pid_t pid, const char *tag)
{
	char err[64];

	snprintf(err, sizeof err, "%s.err", tag);
	kill(pid, SIGTERM);
	int st = spawn_wait(pid, 120000);
	char *e = read_file(in_dir(err));
	cr_assert_eq(st, 0, "vmm (%s) exited %d: %s", tag, st, e ? e : "");
	free(e);
}

static bool file_has_text(const char *path)
{
	char *s = read_file(path);
	bool r = s && *s;

	free(s);
	return r;
}

/* The gdb session, in the order of the file's comment. */
static pid_t start_gdb(void)
{
	char target[600], shell[2048], pml4e[128];

	snprintf(target, sizeof target, "target remote %s", in_dir("g.sock"));
	snprintf(shell, sizeof shell, "shell %s -s %s 'munmap 0x100000001000 4K' > %s 2>&1 &",
		 prog_path("vmmctl"), in_dir("with.ctl"), in_dir("munmap.out"));
	/* PML4 entry 32 maps 0x100000000000 (bits 47..39). */
	snprintf(pml4e, sizeof pml4e, "x/8gx 0x%llx + ($cr3 & ~0xfff) + 32 * 8",
		 (unsigned long long)DIRECT_MAP_BASE);
	const char *cmds[] = {
		target, "break do_munmap", shell, "continue", "bt", "info registers", pml4e,
		"finish", "finish", "finish", "monitor maps", "monitor nosuch",
		"break split_vma", "break munmap_range", "break request_handle",
		"break channel_serve", "break vma_free", "continue", "delete", "continue",
	};
	size_t n = sizeof cmds / sizeof cmds[0];
	const char *argv[4 + 2 * (sizeof cmds / sizeof cmds[0]) + 1];
	size_t a = 0;

	argv[a++] = "gdb";
	argv[a++] = "-nx";
	argv[a++] = "-batch";
	argv[a++] = prog_path("guest.elf");
	for (size_t i = 0; i < n; i++) {
		argv[a++] = "-ex";
		argv[a++] = cmds[i];
	}
	argv[a] = NULL;
	pid_t pid = spawn_to_files(argv, in_dir("gdb.out"), NULL);
	cr_assert(pid > 0, "cannot start gdb (Debian: apt-get install gdb)");
	return pid;
}

static void assert_in_order(const char *text, const char *first, const char *second)
{
	const char *a = strstr(text, first);

	cr_assert(a, "no '%s' in gdb's output:\n%s", first, text);
	cr_assert(strstr(a, second), "no '%s' after '%s' in gdb's output:\n%s", second, first,
		  text);
}

/* x/8gx printed PML4 entry 32 first: present, and not zero. */
static void assert_pml4e(const char *text)
{
	char prefix[32];
	unsigned long long addr, e;
	const char *p;

	snprintf(prefix, sizeof prefix, "\n0x%llx", (unsigned long long)DIRECT_MAP_BASE >> 24);
	for (p = strstr(text, prefix); p; p = strstr(p + 1, prefix))
		if (sscanf(p + 1, "0x%llx:\t0x%llx", &addr, &e) == 2)
			break;
	cr_assert(p, "no x/8gx line at the direct map in:\n%s", text);
	cr_assert_eq(addr & 0xfff, 32 * 8, "x/8gx line: %.80s", p + 1);
	cr_assert(e & 1, "PML4 entry 32 is not present: %.80s", p + 1);
}

static void assert_session(const char *g, const char *vmm_err)
{
	assert_in_order(g, "Breakpoint 1, do_munmap (", "#0  do_munmap (");
	assert_in_order(g, "#0  do_munmap (", "request_handle (");
	assert_in_order(g, "request_handle (", "channel_serve (cpu=");
	assert_in_order(g, "rip            0x", "<do_munmap>");
	cr_assert(strstr(g, "cr3            0x"), "no cr3 in:\n%s", g);
	assert_pml4e(g);
	assert_in_order(g, "0xffff888", "Value returned is $1 = 0");  /* finish, after x */
	/* monitor maps once the request is over: the munmap's split. */
	assert_in_order(g, "100000000000-100000001000 rw-p", "100000002000-100000004000 rw-p");
	cr_assert(strstr(g, "unknown monitor command 'nosuch'"), "%s", g);
	assert_in_order(g, "Cannot insert breakpoint", "Command aborted.");
	cr_assert(strstr(vmm_err, "refused: all 4 debug registers"), "vmm said:\n%s", vmm_err);
	cr_assert(strstr(g, "[Inferior 1 (Remote target) exited normally]"), "%s", g);
}

Test(gdb, break_in_do_munmap, .init = setup, .fini = teardown, .timeout = 850)
{
	char with[4096] = "", without[4096] = "";
	pid_t vmm = start_vmm("with", true), gdb;

	ctl_line("with", "mmap 0x100000000000 16K rw-", with, sizeof with);
	ctl_line("with", "touch 0x100000000000 16K write", with, sizeof with);
	gdb = start_gdb();
	/* The munmap, sent from gdb once attached, answers after the session. */
	for (unsigned i = 0; i < 6000 && !file_has_text(in_dir("munmap.out")); i++)
		usleep(100000);
	char *m = read_file(in_dir("munmap.out"));
	cr_assert(m && *m, "the munmap was never answered");
	strncat(with, m, sizeof with - strlen(with) - 1);
	free(m);
	ctl_line("with", "maps", with, sizeof with);
	stop_vmm(vmm, "with");
	int st = spawn_wait(gdb, 120000);
	char *g = read_file(in_dir("gdb.out")), *ve = read_file(in_dir("with.err"));
	cr_assert(g && ve);
	cr_assert_eq(st, 0, "gdb exited %d:\n%s", st, g);
	assert_session(g, ve);
	free(g);
	free(ve);

	vmm = start_vmm("without", false);
	ctl_line("without", "mmap 0x100000000000 16K rw-", without, sizeof without);
	ctl_line("without", "touch 0x100000000000 16K write", without, sizeof without);
	ctl_line("without", "munmap 0x100000001000 4K", without, sizeof without);
	ctl_line("without", "maps", without, sizeof without);
	stop_vmm(vmm, "without");
	cr_assert_str_eq(with, without);
	cr_assert(strstr(with, "munmap 0x100000001000 0x1000 -> ok"), "%s", with);
}
