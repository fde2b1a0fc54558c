/*
 * The listening socket of the gdb stub: TCP on the loopback address, or a
 * UNIX socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/gdb/gdb.h"
#include "vmm/gdb/server.h"

int gdb_addr_check(const char *spec, char *err, size_t errlen)
{
	struct sockaddr_un un;
	char *end;
	long port;

	if (strncmp(spec, "unix:", 5) == 0) {
		if (spec[5] == '\0' || strlen(spec + 5) >= sizeof un.sun_path) {
			snprintf(err, errlen, "--gdb unix:PATH needs a path of 1 to %zu bytes",
				 sizeof un.sun_path - 1);
			return -1;
		}
		return 0;
	}
	errno = 0;
	port = strtol(spec, &end, 10);
	if (errno || end == spec || *end || port < 1 || port > 65535) {
		snprintf(err, errlen, "--gdb needs a TCP port (1-65535) or unix:PATH, not '%s'", spec);
		return -1;
	}
	return 0;
}

static int listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0) {
		e = errno;
		close(fd);
		snprintf(err, errlen, "--gdb unix:%s: %s%s", path, strerror(e),
			 e == EADDRINUSE ? " (remove it if no vmm uses it)" : "");
		return -e;
	}
	return fd;
}

static int listen_tcp(int port, char *err, size_t errlen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, e;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 1) < 0) {
		e = errno;
		close(fd);
		snprintf(err, errlen, "--gdb %d: 127.0.0.1:%d: %s", port, port, strerror(e));
		return -e;
	}
	return fd;
}

int gdb_listen(const char *spec, char *err, size_t errlen)
{
	if (gdb_addr_check(spec, err, errlen) != 0)
		return -EINVAL;
	if (strncmp(spec, "unix:", 5) == 0)
		return listen_unix(spec + 5, err, errlen);
	return listen_tcp(atoi(spec), err, errlen);
}
