/*
 * `vmm --report` on a real guest (label kvm): the known scenario
 * tests/report/hole.scn gives a page with one step per line whose data show
 * the hole, and, when a browser is installed, the page opens in it without
 * console errors, with its five steps, and stepping changes the picture.
 * $VMM_REPORT_KEEP: also copy the page there (docs/report.md's pictures).
 * Arguments refused before the guest boots are checked here too.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/cli/run.h"
#include "tests/report/browser.h"

/* 0x100000000000, 0x100000006000, 0x10000000a000 and 0x100000010000. */
#define A0 "17592186044416"
#define A6 "17592186068992"
#define AA "17592186085376"
#define AG "17592186109952"

static const char transcript[] =
	"mmap 0x100000000000 0x10000 rw- -> 0x100000000000\n"
	"touch 0x100000000000 0x10000 write -> ok\n"
	"munmap 0x100000006000 0x4000 -> ok\n"
	"maps:\n100000000000-100000006000 rw-p\n10000000a000-100000010000 rw-p\n"
	"touch 0x100000006000 0x1000 read -> fault 0x100000006000 maperr\n";

/* The data line of step n (1-based) of the page, malloc'ed. */
static char *step_data(const char *html, int n)
{
	const char *p = strstr(html, "\"steps\":[\n");

	cr_assert(p);
	for (int i = 0; i < n && p; i++)
		p = strstr(p + 1, "\n{\"line\":");
	cr_assert(p, "no step %d", n);
	p++;
	return strndup(p, strcspn(p, "\n"));
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* One browser load (in the nested test machine a load takes minutes): the
 * page replays two keys, and its render history (data-history, "STEP:HASH"
 * per drawing of the strip) shows that each step drew another picture. */
static void browse(const char *page)
{
	char *dom, *console, buf[32], hist[256];
	char h1[64], h2[64], h3[64];
	unsigned n1, n2, n3;

	cr_assert_eq(browser_load(page, "#keys=ArrowRight,ArrowRight", NULL, &dom, &console), 0);
	cr_assert_str_empty(console, "console:\n%s", console);
	dom_body_attr(dom, "data-steps", buf, sizeof buf);
	cr_assert_str_eq(buf, "5");
	dom_body_attr(dom, "data-errors", buf, sizeof buf);
	cr_assert_str_eq(buf, "0");
	dom_body_attr(dom, "data-step", buf, sizeof buf);
	cr_assert_str_eq(buf, "3");
	dom_body_attr(dom, "data-history", hist, sizeof hist);
	cr_assert_eq(sscanf(hist, "%u:%63s %u:%63s %u:%63s", &n1, h1, &n2, h2, &n3, h3), 6, "%s", hist);
	cr_assert(n1 == 1 && n2 == 2 && n3 == 3, "%s", hist);
	cr_assert(strcmp(h1, h2) && strcmp(h2, h3), "stepping did not change the picture: %s", hist);
	free(console);
	free(dom);
}

Test(report_live, hole, .timeout = 1500)
{
	char dir[] = "/tmp/vmm-report-live-XXXXXX", page[128];
	const char *keep = getenv("VMM_REPORT_KEEP");
	char *html, *s3;

	cr_assert(mkdtemp(dir));
	snprintf(page, sizeof page, "%s/hole.html", dir);
	const char *argv[] = { prog_path("vmm"), "--quiet", "--script",
			       src_path("tests/report/hole.scn"), "--report", page,
			       prog_path("guest.elf"), NULL };
	struct prog_run r = prog_run(argv);
	cr_assert_eq(r.status, 0, "vmm: %s", r.err);
	cr_assert_str_eq(r.out, transcript, "the transcript is unchanged by --report");
	html = read_file(page);
	cr_assert(html);
	cr_assert_eq(count(html, "\n{\"line\":"), 5, "one step per executed line");
	s3 = step_data(html, 3);
	cr_assert(strstr(s3, "\"line\":\"munmap 0x100000006000 0x4000 -\\u003e ok\\n\""), "%s", s3);
	cr_assert(strstr(s3, "\"vmas\":[[" A0 "," A6 ","), "%s", s3);
	cr_assert(strstr(s3, "],[" AA "," AG ","), "%s", s3);
	cr_assert(strstr(s3, "\"pages\":[[" A0 "," A6 ",1],[" AA "," AG ",1]]"), "%s", s3);
	cr_assert(strstr(s3, "[" A6 "," AA ",3]"), "the hole is a change of VMA and pages: %s", s3);
	free(s3);
	s3 = step_data(html, 4);
	cr_assert(strstr(s3, "maps:\\n100000000000-100000006000 rw-p\\n"), "%s", s3);
	free(s3);
	if (keep && *keep) {
		FILE *f = fopen(keep, "w");
		cr_assert(f && fputs(html, f) >= 0 && fclose(f) == 0);
	}
	if (browser_path() && !getenv("VMM_REPORT_NO_BROWSER"))
		browse(page);
	free(html);
	prog_run_free(&r);
	unlink(page);
	rmdir(dir);
}

Test(report_live, refused_before_boot)
{
	const char *noarg[] = { prog_path("vmm"), "--report", NULL };
	const char *bad[] = { prog_path("vmm"), "--script", src_path("tests/report/hole.scn"),
			      "--report", "/nonexistent-dir/x.html", prog_path("guest.elf"), NULL };
	struct prog_run r = prog_run(noarg);

	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "option needs an argument: --report"), "%s", r.err);
	prog_run_free(&r);
	r = prog_run(bad);
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "cannot write the report /nonexistent-dir/x.html"), "%s", r.err);
	prog_run_free(&r);
}

/* Start vmm serving sock with --report page; its pid. */
static pid_t start_server(const char *sock, const char *page, const char *log)
{
	const char *argv[] = { prog_path("vmm"), "--quiet", "--control", sock, "--report", page,
			       prog_path("guest.elf"), NULL };
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		FILE *f = freopen(log, "w", stderr);
		if (!f || !freopen("/dev/null", "w", stdout))
			_exit(127);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Wait until sock exists (the server listens), as long as vmm lives. */
static void wait_listening(pid_t pid, const char *sock, const char *log)
{
	for (;;) {
		int st;
		if (access(sock, F_OK) == 0)
			return;
		cr_assert_eq(waitpid(pid, &st, WNOHANG), 0, "vmm ended before listening: %s",
			     read_file(log));
		usleep(20000);
	}
}

Test(report_live, control_session, .timeout = 900)
{
	char dir[] = "/tmp/vmm-report-ctl-XXXXXX", sock[96], page[96], log[96], cmd[1024];
	char *html, *s;
	int st;
	pid_t pid;

	cr_assert(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/s.sock", dir);
	snprintf(page, sizeof page, "%s/c.html", dir);
	snprintf(log, sizeof log, "%s/log", dir);
	pid = start_server(sock, page, log);
	wait_listening(pid, sock, log);
	snprintf(cmd, sizeof cmd,
		 "printf 'mmap 0x100000000000 8K rw-\\ntouch 0x100000000000 8K write\\n"
		 "bogus\\nmaps\\n' | %s -s %s >/dev/null 2>&1", prog_path("vmmctl"), sock);
	cr_assert_eq(WEXITSTATUS(system(cmd)), 1, "bogus is an error, the rest ran");
	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "vmm: %s", read_file(log));
	html = read_file(page);
	cr_assert(html);
	cr_assert_eq(count(html, "\n{\"line\":"), 3, "three requests ran a line");
	s = step_data(html, 1);
	cr_assert(strstr(s, "\"line\":\"mmap 0x100000000000 0x2000 rw- -\\u003e 0x100000000000\\n\""),
		  "%s", s);
	free(s);
	s = step_data(html, 3);
	cr_assert(strstr(s, "\"line\":\"maps:\\n100000000000-100000002000 rw-p\\n\""), "%s", s);
	cr_assert(strstr(s, "\"pages\":[[" A0 ",17592186052608,1]]"), "%s", s);
	free(s);
	free(html);
	unlink(page);
	unlink(log);
	rmdir(dir);
}
