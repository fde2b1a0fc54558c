/*
 * vmmctl: send lines to a vmm control socket and print the answers.
 *
 *   vmmctl [-s PATH] [-r] [COMMAND...]
 *   vmmctl --help | --version
 *
 * With COMMAND, its words joined by spaces are one request; without, every
 * line of standard input is one.  Each request is sent, then its response
 * read up to the status line (`ok` or `error: ...`, docs/inspection.md):
 * output lines go to standard output, `error:` lines to standard error, and
 * `ok` is dropped (printed with -r).  Exit status: 0 every request said ok,
 * 1 some said error, 2 usage or connection problem.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DEFAULT_SOCKET "vmm.sock"

static const char usage[] =
	"usage: vmmctl [-s PATH] [-r] [COMMAND...]\n"
	"       vmmctl --help | --version\n"
	"Send COMMAND (its words joined by spaces), or every line of standard\n"
	"input, to the control socket of a running vmm (vmm --control PATH) and\n"
	"print the answers: output lines on standard output, error status lines\n"
	"on standard error.\n"
	"  -s, --socket PATH  the socket (default: $VMM_CONTROL, else ./" DEFAULT_SOCKET ")\n"
	"  -r, --raw          also print each response's status line (ok)\n"
	"  -h, --help         this text\n"
	"  -V, --version      the version\n"
	"Commands: every line vmm takes in a script, the scenario language and the\n"
	"guest-only commands (send 'help' for the list).  Exit status: 0 all ok,\n"
	"1 some request failed, 2 usage or connection error.\n";

struct conn {
	int fd;
	char buf[65536];
	size_t len, off;
};

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof sa.sun_path) {
		fprintf(stderr, "vmmctl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "vmmctl: cannot connect to %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Next line from the server into *line (malloc'ed, without newline):
 * 1, or 0 at end of connection, -1 on error. */
static int read_line(struct conn *c, char **line, size_t *cap)
{
	size_t used = 0;
	for (;;) {
		char *nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		size_t take = nl ? (size_t)(nl - (c->buf + c->off)) : c->len - c->off;
		if (used + take + 1 > *cap) {
			size_t ncap = (used + take + 1) * 2;
			char *n = realloc(*line, ncap);
			if (!n)
				return -1;
			*line = n;
			*cap = ncap;
		}
		memcpy(*line + used, c->buf + c->off, take);
		used += take;
		(*line)[used] = 0;
		c->off += take;
		if (nl) {
			c->off++;
			return 1;
		}
		ssize_t n = recv(c->fd, c->buf, sizeof c->buf, 0);
		if (n < 0 && errno == EINTR)
			n = 0, c->len = c->off = 0;
		else if (n <= 0)
			return n == 0 ? 0 : -1;
		c->len = (size_t)n;
		c->off = 0;
	}
}

/* Send one request and print its response: 0 ok, 1 error, 2 lost. */
static int request(struct conn *c, const char *req, bool raw)
{
	char *line = NULL;
	size_t cap = 0;
	int ret = 2;

	if (send_all(c->fd, req, strlen(req)) != 0 || send_all(c->fd, "\n", 1) != 0) {
		fprintf(stderr, "vmmctl: connection lost: %s\n", strerror(errno));
		return 2;
	}
	for (;;) {
		int r = read_line(c, &line, &cap);
		if (r <= 0) {
			fprintf(stderr, "vmmctl: connection closed before the answer to '%s' ended\n", req);
			break;
		}
		if (strcmp(line, "ok") == 0) {
			if (raw)
				puts(line);
			ret = 0;
			break;
		}
		if (strncmp(line, "error: ", 7) == 0) {
			fflush(stdout);
			if (raw)
				puts(line);
			else
				fprintf(stderr, "%s\n", line);
			ret = 1;
			break;
		}
		puts(line);
	}
	fflush(stdout);
	free(line);
	return ret;
}

int main(int argc, char **argv)
{
	const char *path = getenv("VMM_CONTROL");
	bool raw = false;
	int opt;

	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};

	/* '+': the command's own words (ptdump --format linux) are not ours. */
	while ((opt = getopt_long(argc, argv, "+s:rhV", opts, NULL)) != -1) {
		switch (opt) {
		case 's': path = optarg; break;
		case 'r': raw = true; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("vmmctl (vmm-mm) %s\n", VMM_MM_VERSION); return 0;
		default: fprintf(stderr, "try 'vmmctl --help'\n"); return 2;
		}
	}
	if (!path || !*path)
		path = DEFAULT_SOCKET;

	static struct conn c;
	c.fd = connect_to(path);
	if (c.fd < 0)
		return 2;

	int status = 0;
	if (optind < argc) {
		size_t len = 0;
		for (int i = optind; i < argc; i++)
			len += strlen(argv[i]) + 1;
		char *req = malloc(len + 1);
		if (!req)
			return 2;
		req[0] = 0;
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				strcat(req, " ");
			strcat(req, argv[i]);
		}
		if (strchr(req, '\n')) {
			fprintf(stderr, "vmmctl: a command must be one line\n");
			free(req);
			return 2;
		}
		status = request(&c, req, raw);
		free(req);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		while ((n = getline(&line, &cap, stdin)) >= 0) {
			if (n > 0 && line[n - 1] == '\n')
				line[n - 1] = 0;
			int r = request(&c, line, raw);
			if (r > status)
				status = r;
			if (r == 2)
				break;
		}
		free(line);
	}
	close(c.fd);
	return status;
}
