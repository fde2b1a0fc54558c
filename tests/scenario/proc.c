/*
 * Helpers of the scenario tests (see proc.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/scenario/proc.h"

pid_t proc_start(char *const argv[], const char *in_path, const char *out_path,
		 const char *err_path)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid != 0)
		return pid;
	{
		int in = open(in_path ? in_path : "/dev/null", O_RDONLY);
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
		    dup2(err, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
}

int proc_wait(pid_t pid)
{
	int status;

	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int proc_run(char *const argv[], const char *in_path, const char *out_path,
	     const char *err_path)
{
	return proc_wait(proc_start(argv, in_path, out_path, err_path));
}

char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = 2 * cap + 8192);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f) ? -1 : 0;
}

void bin_path(const char *name, char *buf, size_t size)
{
	const char *dir = getenv("VMM_BIN");

	snprintf(buf, size, "%s/%s", dir && *dir ? dir : "build/bin", name);
}

void src_path(const char *rel, char *buf, size_t size)
{
	const char *dir = getenv("VMM_SRC");

	snprintf(buf, size, "%s/%s", dir && *dir ? dir : ".", rel);
}

char *make_tmpdir(const char *tag)
{
	char *dir;

	if (asprintf(&dir, "/tmp/scen-%s-XXXXXX", tag) < 0)
		return NULL;
	if (!mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

void remove_tmpdir(char *dir)
{
	DIR *d;
	struct dirent *e;

	if (!dir)
		return;
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d))) {
			char path[4096];

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
	free(dir);
}

char *diff_files(const char *a, const char *b)
{
	char out[4096], err[4096];
	char *argv[] = { "/usr/bin/diff", "-u", (char *)a, (char *)b, NULL };
	char *text;

	snprintf(out, sizeof(out), "%s.diff", b);
	snprintf(err, sizeof(err), "%s.differr", b);
	proc_run(argv, NULL, out, err);
	text = slurp(out, NULL);
	unlink(out);
	unlink(err);
	return text ? text : strdup("(diff failed)\n");
}

int vmm_available(char *why, size_t size)
{
	char vmm[4096], guest[4096];

	bin_path("vmm", vmm, sizeof(vmm));
	bin_path("guest.elf", guest, sizeof(guest));
	if (access(vmm, X_OK)) {
		snprintf(why, size, "%s is not built", vmm);
		return 0;
	}
	if (access(guest, R_OK)) {
		snprintf(why, size, "%s is not built", guest);
		return 0;
	}
	return 1;
}
