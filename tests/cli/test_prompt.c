/*
 * vmm's interactive prompt (vmm/prompt.c) at a real terminal (a pty), on a
 * stand-in backend: the prompt, the continuation prompt inside an `expect
 * maps` block, history recalled with the arrow keys and saved to
 * $VMM_HISTORY, end of input.
 */
#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <pty.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include "tests/cli/run.h"
#include "vmm/prompt.h"
#include "vmm/script/script.h"

/* A backend whose every mapping succeeds and whose address space shows
 * nothing: enough for the prompt's lines. */
static int fake_mmap(struct scen_backend *be, uint64_t addr, uint64_t len, unsigned prot,
		     unsigned how, unsigned flags, int64_t *result)
{
	(void)be, (void)len, (void)prot, (void)how, (void)flags;
	*result = (int64_t)addr;
	return 0;
}

static int fake_maps(struct scen_backend *be, uint64_t lo, uint64_t hi, struct scen_map **maps,
		     size_t *n)
{
	(void)be, (void)lo, (void)hi;
	*maps = NULL;
	*n = 0;
	return 0;
}

static void fake_destroy(struct scen_backend *be)
{
	(void)be;
}

static const struct scen_backend_ops fake_ops = {
	.name = "fake", .mmap = fake_mmap, .maps = fake_maps, .destroy = fake_destroy,
};

static unsigned count(const char *text, const char *want)
{
	unsigned n = 0;

	for (const char *p = strstr(text, want); p; p = strstr(p + 1, want))
		n++;
	return n;
}

/* Read from fd until want appears times times in all read so far (20 s at
 * most); the text read so far. */
static const char *expect_text(int fd, const char *want, unsigned times)
{
	static char buf[16384];
	static size_t len;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (count(buf, want) < times) {
		ssize_t n;

		if (poll(&p, 1, 20000) <= 0 || len >= sizeof buf - 1)
			break;
		n = read(fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = 0;
	}
	cr_assert_geq(count(buf, want), times, "not %u times '%s' in: %s", times, want, buf);
	return buf;
}

/* The terminal's side the prompt reads (opened by name: a pty master's own
 * termios are not the slave's). */
static int slave_fd = -1;

/* Wait until libedit has the terminal in its editing mode (not canonical,
 * no echo): text typed before, while it is still in the mode it restores
 * between lines, is echoed by the terminal and cut into lines by it, and a
 * ^D there is no end of input for libedit.  The prompt on the screen is
 * not enough: under load a line typed right after it was seen echoed by the
 * terminal (the terminal still in its line mode), and a ^D then left the
 * prompt waiting for good.  At most 4000 looks 5 ms apart: a hang guard,
 * not a speed test. */
static void wait_editing(void)
{
	struct termios t;

	for (unsigned i = 0; i < 4000; i++) {
		cr_assert_eq(tcgetattr(slave_fd, &t), 0);
		if (!(t.c_lflag & (ICANON | ECHO)))
			return;
		usleep(5000);
	}
	cr_assert_fail("libedit never set the terminal up for editing (lflag %#x)",
		       (unsigned)t.c_lflag);
}

static void type(int fd, const char *s)
{
	wait_editing();
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Type ^D until the prompt exits.  A terminal set up again (TCSAFLUSH)
 * after the prompt went out drops what was typed meanwhile, so one ^D can
 * be lost: a ^D then waited for forever hung the test until ctest's limit.
 * At most 600 rounds of 100 ms, a ^D every 20: a hang guard, not a speed
 * test.  The child's pid once it exited, else 0. */
static pid_t end_of_input(int fd, pid_t pid, int *status)
{
	for (unsigned i = 0; i < 600; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r != 0)
			return r;
		if (i == 0)
			wait_editing();
		if (i % 20 == 0) {
			/* A failed write: the child is closing the terminal. */
			ssize_t w = write(fd, "\004", 1);
			(void)w;
		}
		usleep(100000);
	}
	return 0;
}

static pid_t child;

/* A failed assertion must not leave the prompt running: it holds the test's
 * output pipes open and ctest would wait for it. */
static void kill_child(void)
{
	if (child > 0)
		kill(child, SIGKILL);
}

/* Each line is typed only once its prompt is out and libedit edits
 * (wait_editing): what is typed earlier may be discarded or misread. */
Test(prompt, editing_continuation_and_history, .fini = kill_child)
{
	char hist[] = "/tmp/vmm-history-XXXXXX", slave[256];
	int hfd = mkstemp(hist), master, status;
	pid_t pid;

	close(hfd);
	unlink(hist);
	pid = forkpty(&master, slave, NULL, NULL);
	cr_assert_geq(pid, 0);
	child = pid;
	if (pid == 0) {
		struct scen_backend be = { .ops = &fake_ops };
		struct script_session *s = script_session_new(&be, "<stdin>");

		setenv("TERM", "xterm", 1);
		setenv("VMM_HISTORY", hist, 1);
		_exit(prompt_run(s, "<stdin>", stdin, stdout, stderr));
	}
	slave_fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(slave_fd, 0, "%s", slave);
	expect_text(master, PROMPT_MAIN, 1);
	type(master, "mmap 0x100000000000 4K rw-\r");
	expect_text(master, "mmap 0x100000000000 0x1000 rw- -> 0x100000000000", 1);
	expect_text(master, PROMPT_MAIN, 2);
	type(master, "expect maps\r");
	expect_text(master, PROMPT_CONTINUE, 1);
	type(master, "end\r");
	expect_text(master, "expect maps -> ok", 1);
	expect_text(master, PROMPT_MAIN, 3);
	/* Three lines back: the mmap, run again. */
	type(master, "\033[A\033[A\033[A\r");
	expect_text(master, "mmap 0x100000000000 0x1000 rw- -> 0x100000000000", 2);
	expect_text(master, PROMPT_MAIN, 4);
	cr_assert_eq(end_of_input(master, pid, &status), pid, "the prompt did not end on ^D");
	child = 0;
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
	close(master);
	close(slave_fd);
	char *saved = read_file(hist);
	cr_assert(saved && strstr(saved, "mmap"), "history saved: %s", saved ? saved : "(none)");
	free(saved);
	unlink(hist);
}
