/*
 * One gdb connection: read packets, answer them, and while the guest runs
 * watch for its stop, its end, a Ctrl-C from gdb or the stub's end.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/gdb/gdb.h"
#include "vmm/gdb/server.h"
#include "vmm/vm_internal.h"

#define POLL_MS 200

enum wait_end { W_STOPPED, W_DEAD, W_QUIT, W_GONE };

static int send_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t k = send(fd, b, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -EPIPE;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int send_packet(void *io, const char *payload, size_t len)
{
	struct gdb_client *c = io;
	size_t n = gdb_frame(payload, len, c->frame, sizeof c->frame);

	if (!n)
		return -E2BIG;
	c->frame_len = n;
	return send_all(c->fd, c->frame, n);
}

static int send_str(struct gdb_client *c, const char *s)
{
	return send_packet(c, s, strlen(s));
}

static bool quitting(struct gdb_stub *s)
{
	struct pollfd p = { .fd = s->quit_fd, .events = POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* The bytes gdb sends while the guest runs: only Ctrl-C matters. */
static int take_while_running(struct gdb_client *c)
{
	uint8_t buf[256];
	ssize_t n = recv(c->fd, buf, sizeof buf, 0);

	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	for (ssize_t i = 0; i < n; i++)
		if (gdb_rx_feed(&c->rx, buf[i]) == GDB_RX_INTERRUPT)
			gdb_ctl_interrupt(c->stub->ctl, SIGINT);
	return 0;
}

/* Wait until every vCPU is held (the stop reply is then set). */
static enum wait_end wait_stopped(struct gdb_client *c, bool watch_client)
{
	struct gdb_ctl *ctl = c->stub->ctl;
	unsigned cpu;
	int sig;

	for (;;) {
		if (gdb_ctl_stopped(ctl, &cpu, &sig)) {
			gdb_set_stop(&c->session, cpu, sig);
			return W_STOPPED;
		}
		struct pollfd p[4] = {
			{ .fd = gdb_ctl_event_fd(ctl), .events = POLLIN },
			{ .fd = c->stub->quit_fd, .events = POLLIN },
			{ .fd = c->target.vm->dead_fd, .events = POLLIN },
			{ .fd = watch_client ? c->fd : -1, .events = POLLIN },
		};
		int n = poll(p, 4, POLL_MS);
		if (n < 0 && errno != EINTR)
			return W_GONE;
		if (n == 0)
			gdb_ctl_nudge(ctl);
		if (p[0].revents) {
			uint64_t v;
			if (read(p[0].fd, &v, sizeof v) < 0) {
				/* EAGAIN: drained already */
			}
		}
		if (p[1].revents)
			return W_QUIT;
		if (p[2].revents)
			return W_DEAD;
		if (p[3].revents && take_while_running(c) != 0)
			return W_GONE;
	}
}

/* The guest is gone: say how ('O' text, then W or X). */
static void report_end(struct gdb_client *c)
{
	struct vm *vm = c->target.vm;
	const char *why = vm_failure(vm);
	char msg[320], hex[2 * sizeof msg + 2] = "O";
	int n;

	if (why && atomic_load(&vm->state) == VM_FAILED) {
		n = snprintf(msg, sizeof msg, "vmm: the guest failed: %s\n", why);
		if (n > 0 && (size_t)n < sizeof msg) {
			gdb_hex_encode((const uint8_t *)msg, (size_t)n, hex + 1);
			send_packet(c, hex, 1 + 2 * (size_t)n);
		}
		send_str(c, "X0b");
		return;
	}
	snprintf(msg, sizeof msg, "W%02x", (unsigned)(vm->exit_code & 0xff));
	send_str(c, why ? msg : "W00");
}

/* After a resume: 0 to go on serving, -1 to close. */
static int run_until_stop(struct gdb_client *c)
{
	switch (wait_stopped(c, true)) {
	case W_STOPPED:
		return send_str(c, c->session.stop_reply) ? -1 : 0;
	case W_DEAD:
		report_end(c);
		return 0;
	case W_QUIT:
		report_end(c);
		return -1;
	default:
		return -1;
	}
}

/* One event of the receiver: 0 to go on, -1 to close. */
static int take_event(struct gdb_client *c, enum gdb_rx_event ev)
{
	switch (ev) {
	case GDB_RX_PACKET:
		break;
	case GDB_RX_BADSUM:
	case GDB_RX_TOOLONG:
		return c->session.no_ack || send_all(c->fd, "-", 1) == 0 ? 0 : -1;
	case GDB_RX_NACK:
		return c->frame_len && send_all(c->fd, c->frame, c->frame_len) ? -1 : 0;
	default:
		return 0;       /* '+', and Ctrl-C while stopped */
	}
	if (!c->session.no_ack && send_all(c->fd, "+", 1))
		return -1;
	switch (gdb_dispatch(&c->session, c->rx.buf, c->rx.len, &c->reply)) {
	case GDB_ANSWER:
		return send_packet(c, c->reply.buf, c->reply.len) ? -1 : 0;
	case GDB_RESUMED:
		return run_until_stop(c);
	case GDB_DETACH:
		send_packet(c, c->reply.buf, c->reply.len);
		return -1;
	default:
		return -1;
	}
}

/* Serve packets until the client goes or the stub stops. */
static void serve_packets(struct gdb_client *c)
{
	uint8_t buf[4096];

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = c->fd, .events = POLLIN },
			{ .fd = c->stub->quit_fd, .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return;
		if (p[1].revents)
			return;
		if (!p[0].revents)
			continue;
		ssize_t n = recv(c->fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (ssize_t i = 0; i < n; i++)
			if (take_event(c, gdb_rx_feed(&c->rx, buf[i])) != 0)
				return;
	}
}

void gdb_client_serve(struct gdb_stub *s, int fd)
{
	struct gdb_client *c = calloc(1, sizeof(*c));
	struct vm *vm;

	if (!c)
		return;
	/* The VM exists once its first vCPU has started (soon after boot starts). */
	while (!(vm = gdb_ctl_vm(s->ctl)) && !quitting(s))
		usleep(POLL_MS * 1000 / 4);
	if (!vm)
		goto out;
	c->stub = s;
	c->fd = fd;
	c->target = (struct gdb_vm_target){ .ctl = s->ctl, .vm = vm, .log = s->log };
	gdb_session_init(&c->session, &gdb_vm_target_ops, &c->target);
	c->session.send = send_packet;
	c->session.io = c;
	gdb_rx_init(&c->rx);
	/* gdb expects a stopped target when it attaches. */
	gdb_ctl_interrupt(s->ctl, SIGTRAP);
	if (wait_stopped(c, false) == W_STOPPED)
		serve_packets(c);
out:
	/* Without a debugger the guest runs free, with no breakpoint. */
	gdb_ctl_clear(s->ctl);
	gdb_ctl_resume(s->ctl, 0, false);
	free(c);
}
