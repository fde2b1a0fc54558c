/*
 * The gdb stub's life: listening, its thread, stopping (vmm/gdb/gdb.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/gdb/gdb.h"
#include "vmm/gdb/server.h"

static void *server_main(void *arg)
{
	struct gdb_stub *s = arg;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = s->listen_fd, .events = POLLIN },
			{ .fd = s->quit_fd, .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		gdb_client_serve(s, fd);
		close(fd);
	}
	return NULL;
}

int gdb_stub_start(const char *spec, bool held, FILE *log, struct gdb_stub **out,
		   char *err, size_t errlen)
{
	struct gdb_stub *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->log = log ? log : stderr;
	s->quit_fd = -1;
	s->listen_fd = gdb_listen(spec, err, errlen);
	if (s->listen_fd < 0) {
		r = s->listen_fd;
		free(s);
		return r;
	}
	if (strncmp(spec, "unix:", 5) == 0)
		s->unix_path = strdup(spec + 5);
	s->ctl = gdb_ctl_new(held);
	s->quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r = !s->ctl || s->quit_fd < 0 || (strncmp(spec, "unix:", 5) == 0 && !s->unix_path) ?
		ENOMEM : pthread_create(&s->thread, NULL, server_main, s);
	s->thread_started = r == 0;
	if (r) {
		snprintf(err, errlen, "--gdb: cannot start the stub: %s", strerror(r));
		gdb_stub_free(s);
		return -r;
	}
	*out = s;
	return 0;
}

struct vm_debugger *gdb_stub_debugger(struct gdb_stub *s)
{
	return gdb_ctl_debugger(s->ctl);
}

void gdb_stub_stop(struct gdb_stub *s)
{
	uint64_t one = 1;

	if (!s || !s->thread_started)
		return;
	if (write(s->quit_fd, &one, sizeof one) != sizeof one) {
		/* cannot fail: a fresh counter */
	}
	pthread_join(s->thread, NULL);
	s->thread_started = false;
	/* Clients still waiting to be accepted see the end too. */
	close(s->listen_fd);
	s->listen_fd = -1;
	/* No debugger any more: the guest runs free until it is destroyed. */
	gdb_ctl_clear(s->ctl);
	gdb_ctl_resume(s->ctl, 0, false);
}

void gdb_stub_free(struct gdb_stub *s)
{
	if (!s)
		return;
	gdb_stub_stop(s);
	if (s->quit_fd >= 0)
		close(s->quit_fd);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->unix_path)
		unlink(s->unix_path);
	free(s->unix_path);
	gdb_ctl_free(s->ctl);
	free(s);
}
