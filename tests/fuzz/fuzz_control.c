/*
 * libFuzzer target: the control socket (vmm/control.c: cutting a client's
 * bytes into lines, overlong lines, NUL bytes, a last line without a
 * newline) and everything a request reaches (control_respond, the engine,
 * the inspection commands, mm new/use/destroy and inject, the guest
 * backend, `--check`'s hook), against a hostile guest: the fake VM of
 * fuzz_vm.c, whose RAM and answers come from the fuzzer.
 *
 * Input: a flags byte (bit 0: serve with --check), a little-endian u16 R
 * and R bytes of guest RAM (fuzz_ram.h), a u16 A and A bytes of guest
 * answers (fuzz_vm.c), then the bytes a client sends.  control_serve runs
 * in a thread; each input is one client connection, which sends
 * everything, reads until the server closes it, and checks the protocol:
 * exactly one status line (`ok` or `error: ...`) per request line, unless
 * the guest died.  The server lives on between inputs (starting one costs
 * more than most inputs) unless something could carry over: it is
 * restarted after a guest death, after an input that may have switched the
 * current mm, and to change --check.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_ram.h"
#include "tests/fuzz/fuzz_vm.h"
#include "vmm/control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

/* Requests per input: every one may run the checker over the guest's whole
 * state, and a few of them reach what many would (a longer input is cut
 * after the 16th line). */
#define MAX_REQUESTS 16

struct server {
	struct vm *vm;
	struct control_opts opts;
	pthread_t thread;
	volatile sig_atomic_t stop;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;              /* listening, or control_serve returned */
	volatile bool done;      /* control_serve returned */
	int ret;
};

static char sock_path[108];

static void on_ready(void *ctx, const char *path)
{
	struct server *s = ctx;

	(void)path;
	pthread_mutex_lock(&s->lock);
	s->ready = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static void *serve(void *arg)
{
	struct server *s = arg;

	s->ret = control_serve(s->vm, sock_path, &s->opts);
	s->done = true;
	on_ready(s, NULL);
	return NULL;
}

static int connect_to(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	if (fd < 0)
		abort();
	while (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (errno == EISCONN)   /* an interrupted connect went on */
			break;
		if (errno != EINTR)
			abort();
	}
	return fd;
}

/* Make the server's poll() return, so that it sees stop (it may have
 * stopped already: the guest died). */
static void wake(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	if (fd >= 0) {
		connect(fd, (struct sockaddr *)&sa, sizeof sa);
		close(fd);
	}
}

/* Send in[0..n) and read the whole response (until the server closes)
 * into a malloc'ed buffer. */
static char *talk(const uint8_t *in, size_t n, size_t *outlen)
{
	int fd = connect_to();
	size_t sent = 0, len = 0, cap = 4096;
	char *out = malloc(cap);

	if (n == 0)
		shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN | (sent < n ? POLLOUT : 0) };
		if (poll(&pf, 1, -1) < 0) {
			if (errno == EINTR)   /* libFuzzer's SIGALRM (-timeout) */
				continue;
			abort();
		}
		if ((pf.revents & POLLOUT) && sent < n) {
			ssize_t k = send(fd, in + sent, n - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k > 0 && (sent += (size_t)k) == n)
				shutdown(fd, SHUT_WR);
		}
		if (pf.revents & (POLLIN | POLLHUP | POLLERR)) {
			if (len == cap && !(out = realloc(out, cap *= 2)))
				abort();
			ssize_t k = recv(fd, out + len, cap - len, MSG_DONTWAIT);
			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR))
				break;
			if (k > 0)
				len += (size_t)k;
		}
	}
	close(fd);
	*outlen = len;
	return out;
}

/* Requests in what the client sent: lines, a last one without a newline
 * included; an overlong line is one request too (one error). */
static size_t count_requests(const uint8_t *in, size_t n)
{
	size_t lines = 0;

	for (size_t i = 0; i < n; i++)
		lines += in[i] == '\n';
	return lines + (n > 0 && in[n - 1] != '\n');
}

static size_t count_status(const char *out, size_t len)
{
	size_t k = 0;

	for (size_t i = 0; i < len;) {
		const char *nl = memchr(out + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (out + i)) : len - i;
		if ((l == 2 && memcmp(out + i, "ok", 2) == 0) ||
		    (l >= 7 && memcmp(out + i, "error: ", 7) == 0))
			k++;
		i += l + 1;
	}
	return k;
}

/* The server, started when none runs (the first input, or after the
 * previous one stopped it or asked for another kind). */
static struct server *server_start(struct vm *vm, bool check)
{
	struct server *s = calloc(1, sizeof *s);

	if (!s)
		abort();
	*s = (struct server){ .vm = vm, .lock = PTHREAD_MUTEX_INITIALIZER,
			      .cond = PTHREAD_COND_INITIALIZER };
	s->opts = (struct control_opts){ .stop = &s->stop, .on_ready = on_ready, .ctx = s,
					 .check_after_step = check };
	fuzz_vm_reset(vm, (struct fuzz_bytes){ NULL, 0 });   /* OP_MM_CREATE: sane */
	if (pthread_create(&s->thread, NULL, serve, s) != 0)
		abort();
	pthread_mutex_lock(&s->lock);
	while (!s->ready)
		pthread_cond_wait(&s->cond, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return s;
}

static void server_stop(struct server *s)
{
	s->stop = 1;
	wake();
	pthread_join(s->thread, NULL);
	free(s);
}

/* The running server, if any. */
static struct server *live;

/* At exit, before LeakSanitizer's check (registered earlier, so run
 * later): a server still serving held its session's objects on its
 * thread's stack, and the check once took them for leaked (after a
 * campaign's last input); stopped, it frees them all. */
static void stop_at_exit(void)
{
	if (live) {
		server_stop(live);
		live = NULL;
	}
}

/* The bytes of the first max lines of in (n bytes). */
static size_t first_lines(const uint8_t *in, size_t n, unsigned max)
{
	for (size_t i = 0; i < n; i++)
		if (in[i] == '\n' && --max == 0)
			return i + 1;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct vm vm;
	static bool registered;
	struct server *s = live;
	struct fuzz_bytes ramb, rest, ans, lines;
	bool check;

	if (!sock_path[0])
		snprintf(sock_path, sizeof sock_path, "/tmp/vmm-fuzz-control-%d.sock", (int)getpid());
	if (len < 1)
		return 0;
	check = data[0] & 1;
	split_u16(data + 1, len - 1, &ramb, &rest);
	split_u16(rest.p, rest.n, &ans, &lines);
	lines.n = first_lines(lines.p, lines.n, MAX_REQUESTS);
	if (s && s->done) {   /* it stopped by itself after the last input */
		pthread_join(s->thread, NULL);
		free(s);
		s = live = NULL;
	}
	if (s && s->opts.check_after_step != check) {
		server_stop(s);
		s = live = NULL;
	}
	if (!registered)
		registered = atexit(stop_at_exit) == 0;
	if (!s)
		s = live = server_start(&vm, check);
	/* The server waits in poll(): the RAM and the guest are the input's. */
	fuzz_ram_fill(ramb.p, ramb.n);
	fuzz_vm_reset(&vm, ans);

	size_t outlen;
	char *out = talk(lines.p, lines.n, &outlen);
	/* A guest whose answer the host refused is dead too (the session says
	 * so in its status line): then the server is on its way out. */
	bool died = vm.failed || s->done ||
		    memmem(out, outlen, "error: the guest backend died", 29);

	/* The protocol holds while the guest lives. */
	if (!died && count_status(out, outlen) != count_requests(lines.p, lines.n)) {
		fprintf(stderr, "fuzz_control: %zu status lines for %zu requests; the response:\n",
			count_status(out, outlen), count_requests(lines.p, lines.n));
		fwrite(out, 1, outlen, stderr);
		abort();
	}
	free(out);
	/* Nothing may carry over to the next input: a server whose guest died
	 * is gone, and one whose current mm may have changed goes too. */
	if (s && (died || memmem(lines.p, lines.n, "mm ", 3))) {
		server_stop(s);
		s = live = NULL;
	}
	/* The input's bytes are gone after this call: a server stopped later
	 * (its backend's last OP_MM_DESTROY) meets a sane guest. */
	vm.ans = (struct fuzz_bytes){ NULL, 0 };
	return 0;
}
