/*
 * Running programs for the command-line tests: see run.h.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/cli/run.h"

extern char **environ;

const char *prog_path(const char *name)
{
	/* A few at once: one call may name the program and its guest. */
	static char bufs[4][4096];
	static unsigned next;
	char *buf = bufs[next++ % 4];
	const char *dir = getenv("VMM_BIN");

	snprintf(buf, sizeof bufs[0], "%s/%s", dir ? dir : "build/bin", name);
	return buf;
}

const char *src_path(const char *rel)
{
	static char buf[4096];
	const char *dir = getenv("VMM_SRC");

	snprintf(buf, sizeof buf, "%s/%s", dir ? dir : ".", rel);
	return buf;
}

char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];

	if (!f)
		return NULL;
	buf = calloc(1, 1);
	while (buf && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		char *nb = realloc(buf, len + n + 1);

		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		memcpy(buf + len, chunk, n);
		len += n;
		buf[len] = 0;
	}
	fclose(f);
	return buf;
}

struct prog_run prog_run(const char *const *argv)
{
	struct prog_run r = { .status = -1 };
	char out[] = "/tmp/vmm-cli-out-XXXXXX", err[] = "/tmp/vmm-cli-err-XXXXXX";
	int ofd = mkstemp(out), efd = mkstemp(err), st;
	posix_spawn_file_actions_t fa;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) == 0 &&
	    waitpid(pid, &st, 0) == pid)
		r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	posix_spawn_file_actions_destroy(&fa);
	close(ofd);
	close(efd);
	r.out = read_file(out);
	r.err = read_file(err);
	unlink(out);
	unlink(err);
	return r;
}

void prog_run_free(struct prog_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}
