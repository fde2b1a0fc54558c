/*
 * Control socket server: see control.h and docs/inspection.md.
 *
 * One thread, poll(): the listening socket and every client are
 * non-blocking; a client's requests are cut into lines, one line runs at a
 * time (the VM serialises requests anyway) through control_respond
 * (control_respond.c: the scenario engine's one dispatch path), and its
 * response is queued and sent as the client reads it.  A client that
 * vanishes mid-request only loses its answer: sends use MSG_NOSIGNAL, so no
 * SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/control.h"
#include "vmm/inspect/session.h"
#include "vmm/script/script.h"
#include "vmm/vm.h"

#define POLL_MS          200

struct client {
	int fd;
	unsigned id;
	char name[32];
	char in[CONTROL_LINE_MAX + 1];
	size_t inlen;
	bool discarding;         /* skipping the rest of an overlong line */
	bool eof;                /* the peer will send nothing more */
	bool broken;             /* send/recv failed: drop */
	char *out;               /* queued response bytes [outoff, outlen) */
	size_t outlen, outoff, outcap;
	struct script_session *sess;
};

struct server {
	struct vm *vm;
	const struct control_opts *o;
	int lfd;
	struct scen_backend *be;
	struct inspect_ext ext;  /* the guest-only commands, for every client */
	struct client *clients[CONTROL_MAX_CLIENTS];
	unsigned nclients;
	unsigned next_id;
	bool guest_dead;
	int error;               /* -errno if poll failed */
};

static void logf_(struct server *s, const char *fmt, const char *a, const char *b)
{
	if (s->o->log) {
		fprintf(s->o->log, fmt, a, b);
		fflush(s->o->log);
	}
}

/* ---- socket setup ---- */

/* Can path take a new socket?  Its length, and what is there now: nothing,
 * or a stale socket (removed when remove_stale) is fine; another kind of
 * file (-EEXIST) or a live socket (-EADDRINUSE) is not.  sa gets the
 * address.  0 or -errno, with a message on stderr. */
static int path_problem(const char *path, struct sockaddr_un *sa, bool remove_stale)
{
	struct stat st;

	if (strlen(path) >= sizeof sa->sun_path) {
		fprintf(stderr, "vmm: control socket path too long (max %zu bytes): %s\n",
			sizeof sa->sun_path - 1, path);
		return -ENAMETOOLONG;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);

	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			fprintf(stderr, "vmm: %s exists and is not a socket; not replacing it\n", path);
			return -EEXIST;
		}
		/* A socket file: live if someone accepts on it, else stale. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)sa, sizeof *sa) == 0) {
			close(probe);
			fprintf(stderr, "vmm: %s is in use by another server\n", path);
			return -EADDRINUSE;
		}
		if (probe >= 0)
			close(probe);
		if (remove_stale && unlink(path) != 0) {
			int e = errno;
			fprintf(stderr, "vmm: cannot remove stale socket %s: %s\n", path, strerror(e));
			return -e;
		}
	} else if (errno != ENOENT) {
		int e = errno;
		fprintf(stderr, "vmm: %s: %s\n", path, strerror(e));
		return -e;
	}
	return 0;
}

int control_check_path(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof sa.sun_path];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int r;

	if (!*path) {
		fprintf(stderr, "vmm: the control socket path is empty\n");
		return -ENOENT;
	}
	if ((r = path_problem(path, &sa, false)) != 0)
		return r;
	/* The directory must exist and let us create the socket in it. */
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) != 0) {
		int e = errno;

		fprintf(stderr, "vmm: cannot create the control socket %s: %s: %s\n", path, dir,
			strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "vmm: cannot create the control socket %s: %s is not a directory\n",
			path, dir);
		return -ENOTDIR;
	}
	if (access(dir, W_OK | X_OK) != 0) {
		int e = errno;

		fprintf(stderr, "vmm: cannot create the control socket %s: %s: %s\n", path, dir,
			strerror(e));
		return -e;
	}
	return 0;
}

/* Bind a listening socket at path, mode 0600.  fd, or -errno (-ENAMETOOLONG,
 * -EEXIST for another kind of file, -EADDRINUSE for a live socket...). */
static int listen_at(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r = path_problem(path, &sa, true);

	if (r)
		return r;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		int e = errno;
		fprintf(stderr, "vmm: socket: %s\n", strerror(e));
		return -e;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		fprintf(stderr, "vmm: bind %s: %s\n", path, strerror(e));
		close(fd);
		return -e;
	}
	/* Nobody can connect before listen(), so restricting the mode here
	 * leaves no window (and avoids umask, which is process-wide). */
	if (chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
		int e = errno;
		fprintf(stderr, "vmm: %s: %s\n", path, strerror(e));
		close(fd);
		unlink(path);
		return -e;
	}
	return fd;
}

/* ---- clients ---- */

static int out_append(struct client *c, const char *data, size_t len)
{
	/* Nothing to add: and c->out may still be NULL, which memcpy must
	 * not be given even for 0 bytes. */
	if (len == 0)
		return 0;
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + len > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap < c->outlen + len)
			cap *= 2;
		char *n = realloc(c->out, cap);
		if (!n) {
			c->broken = true;
			return -1;
		}
		c->out = n;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	return 0;
}

static void out_str(struct client *c, const char *s)
{
	out_append(c, s, strlen(s));
}

static void client_free(struct server *s, unsigned i)
{
	struct client *c = s->clients[i];
	if (!s->o->quiet_clients)
		logf_(s, "vmm: control: %s%s disconnected\n", c->name, c->broken ? " (error)" : "");
	close(c->fd);
	script_session_free(c->sess);
	free(c->out);
	free(c);
	s->clients[i] = s->clients[--s->nclients];
	s->clients[s->nclients] = NULL;
}

static void accept_clients(struct server *s)
{
	while (s->nclients < CONTROL_MAX_CLIENTS) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct client *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			return;
		}
		c->fd = fd;
		c->id = ++s->next_id;
		snprintf(c->name, sizeof c->name, "client%u", c->id);
		c->sess = script_session_new(s->be, c->name);
		if (!c->sess) {
			close(fd);
			free(c);
			return;
		}
		if (inspect_attach(c->sess, &s->ext) != 0) {
			script_session_free(c->sess);
			close(fd);
			free(c);
			return;
		}
		s->clients[s->nclients++] = c;
		if (!s->o->quiet_clients)
			logf_(s, "vmm: control: %s connected%s\n", c->name, "");
	}
}

static void client_read(struct client *c)
{
	while (!c->eof && !c->broken) {
		char tmp[CONTROL_LINE_MAX];
		size_t room = CONTROL_LINE_MAX - c->inlen;
		if (room == 0 && !c->discarding)
			return;   /* a full line is waiting to be cut */
		ssize_t n = recv(c->fd, c->discarding ? tmp : c->in + c->inlen,
				 c->discarding ? sizeof tmp : room, MSG_DONTWAIT);
		if (n > 0) {
			if (c->discarding) {
				char *nl = memchr(tmp, '\n', (size_t)n);
				if (nl) {
					c->discarding = false;
					size_t rest = (size_t)n - (size_t)(nl + 1 - tmp);
					memcpy(c->in, nl + 1, rest);
					c->inlen = rest;
				}
			} else {
				c->inlen += (size_t)n;
			}
			continue;
		}
		if (n == 0)
			c->eof = true;
		else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			c->broken = true;
		return;
	}
}

static void client_write(struct client *c)
{
	while (c->outoff < c->outlen && !c->broken) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		c->broken = true;   /* EPIPE, ECONNRESET: the client is gone */
	}
}

/* Run line (len bytes) of c and queue its response. */
static void exec_line(struct server *s, struct client *c, const char *line, size_t len)
{
	char *resp;
	size_t n;

	if (control_respond(c->sess, line, len, &resp, &n) == SCRIPT_DEAD)
		s->guest_dead = true;
	if (resp && s->o->on_response)
		s->o->on_response(s->o->hook_ctx, resp, n);
	if (resp)
		out_append(c, resp, n);
	else
		out_str(c, "error: out of memory\n");
	free(resp);
}

/* Run the next complete line of c, if any.  Returns true if one ran. */
static bool client_step(struct server *s, struct client *c)
{
	if (c->broken || c->outlen - c->outoff >= CONTROL_OUT_HIGH)
		return false;
	char *nl = memchr(c->in, '\n', c->inlen);
	if (!nl) {
		if (c->inlen == CONTROL_LINE_MAX && !c->discarding) {
			char msg[64];
			snprintf(msg, sizeof msg, "error: line too long (max %d bytes)\n", CONTROL_LINE_MAX);
			out_str(c, msg);
			c->discarding = true;
			c->inlen = 0;
			return true;
		}
		if (!(c->eof && c->inlen > 0))
			return false;
		nl = c->in + c->inlen;   /* last line without a newline */
	}
	size_t len = (size_t)(nl - c->in);
	char line[CONTROL_LINE_MAX + 1];
	memcpy(line, c->in, len);
	line[len] = 0;
	size_t used = len < c->inlen ? len + 1 : len;
	memmove(c->in, c->in + used, c->inlen - used);
	c->inlen -= used;
	exec_line(s, c, line, len);
	return true;
}

static bool has_line(const struct client *c)
{
	return memchr(c->in, '\n', c->inlen) || (c->eof && c->inlen > 0) ||
	       (c->inlen == CONTROL_LINE_MAX && !c->discarding);
}

/* ---- the loop ---- */

static bool stopped(const struct server *s)
{
	return s->o->stop && *s->o->stop;
}

static void serve(struct server *s)
{
	struct pollfd pf[CONTROL_MAX_CLIENTS + 1];

	while (!stopped(s) && !s->guest_dead && !vm_failure(s->vm)) {
		bool ready = false;
		unsigned n = 0;
		pf[n++] = (struct pollfd){ .fd = s->lfd,
			.events = s->nclients < CONTROL_MAX_CLIENTS ? POLLIN : 0 };
		for (unsigned i = 0; i < s->nclients; i++) {
			struct client *c = s->clients[i];
			short ev = 0;
			if (!c->eof && c->outlen - c->outoff < CONTROL_OUT_HIGH)
				ev |= POLLIN;
			if (c->outoff < c->outlen)
				ev |= POLLOUT;
			pf[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
			if (has_line(c) && c->outlen - c->outoff < CONTROL_OUT_HIGH)
				ready = true;
		}
		if (poll(pf, n, ready ? 0 : POLL_MS) < 0 && errno != EINTR) {
			s->error = -errno;
			break;
		}
		if (pf[0].revents & POLLIN)
			accept_clients(s);
		for (unsigned i = 0; i < n - 1 && i < s->nclients; i++) {
			struct client *c = s->clients[i];
			if (pf[i + 1].revents & (POLLIN | POLLHUP | POLLERR))
				client_read(c);
			if (pf[i + 1].revents & (POLLOUT | POLLHUP | POLLERR))
				client_write(c);
		}
		/* One line per client per round. */
		for (unsigned i = 0; i < s->nclients && !s->guest_dead; i++) {
			struct client *c = s->clients[i];
			if (client_step(s, c))
				client_write(c);
		}
		for (unsigned i = s->nclients; i-- > 0;) {
			struct client *c = s->clients[i];
			bool done = c->eof && !has_line(c) && c->outoff == c->outlen;
			if (c->broken || done)
				client_free(s, i);
		}
	}
	/* Best effort: deliver what is queued (the guest's failure, say). */
	for (int round = 0; round < 10; round++) {
		bool pending = false;
		for (unsigned i = 0; i < s->nclients; i++) {
			client_write(s->clients[i]);
			pending |= s->clients[i]->outoff < s->clients[i]->outlen && !s->clients[i]->broken;
		}
		if (!pending)
			break;
		poll(NULL, 0, 10);
	}
}

int control_serve(struct vm *vm, const char *path, const struct control_opts *o)
{
	struct server s = { .vm = vm, .o = o };
	int ret;

	s.lfd = listen_at(path);
	if (s.lfd < 0)
		return s.lfd;
	s.be = backend_guest_new(vm);
	if (!s.be) {
		close(s.lfd);
		unlink(path);
		return vm_failure(vm) ? -EPIPE : -ENOMEM;
	}
	inspect_ext_init(&s.ext, vm, s.be);
	if (o->check_after_step) {
		s.be->after_step = inspect_after_step;
		s.be->after_step_ctx = &s.ext;
	}
	if (o->on_session)
		o->on_session(o->hook_ctx, &s.ext);
	logf_(&s, "vmm: control socket listening on %s%s\n", path, "");
	if (o->on_ready)
		o->on_ready(o->ctx, path);

	serve(&s);

	ret = (vm_failure(vm) || s.guest_dead) ? -EPIPE : s.error;
	while (s.nclients)
		client_free(&s, s.nclients - 1);
	close(s.lfd);
	unlink(path);
	backend_free(s.be);
	return ret;
}

int control_run(struct vm *vm, const char *path, volatile sig_atomic_t *stop, bool check,
		bool quiet)
{
	struct control_opts o = { .stop = stop, .log = stderr, .check_after_step = check,
				  .quiet_clients = quiet };
	return control_serve(vm, path, &o);
}
