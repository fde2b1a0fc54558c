/*
 * The scenario backend that runs operations on the host's own Linux: the
 * behavioural oracle for the guest.
 *
 * The operations run in a separate process, linux-runner-child (child.c),
 * so that the runner's own mappings, allocations and sanitizer shadow never
 * mix with the scenario's.  It is found next to linux-runner's executable,
 * or at $LINUX_RUNNER_CHILD.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/linux-runner/backend_linux.h"
#include "tools/linux-runner/lr_proto.h"
#include "tools/linux-runner/pipe_io.h"

struct linux_backend {
	struct scen_backend be;            /* first: backends are cast to it */
	pid_t child;
	int req_fd;                        /* parent -> child */
	int resp_fd;                       /* child -> parent */
	uint64_t baseline;                 /* the child's mappings before the scenario */
};

/* ---- the parent: the backend's operations ---- */

static struct linux_backend *to_linux(struct scen_backend *be)
{
	return (struct linux_backend *)be;
}

/* Say why the child is gone; always -1. */
static int child_died(struct linux_backend *l)
{
	int status;

	if (l->child > 0 && waitpid(l->child, &status, 0) == l->child) {
		if (WIFSIGNALED(status))
			snprintf(l->be.failure, sizeof(l->be.failure),
				 "the child process was killed by signal %d", WTERMSIG(status));
		else
			snprintf(l->be.failure, sizeof(l->be.failure),
				 "the child process exited with status %d", WEXITSTATUS(status));
		l->child = -1;
	} else if (!l->be.failure[0]) {
		snprintf(l->be.failure, sizeof(l->be.failure), "the child process stopped answering");
	}
	return -1;
}

static int send_req(struct linux_backend *l, uint32_t op, uint64_t addr, uint64_t len,
		    uint32_t prot, uint32_t how, uint32_t byte)
{
	struct lr_req q = {
		.op = op, .prot = prot, .how = how, .byte = byte, .addr = addr, .len = len,
	};

	if (l->child <= 0 || write_all(l->req_fd, &q, sizeof(q)))
		return child_died(l);
	return 0;
}

static int call(struct linux_backend *l, uint32_t op, uint64_t addr, uint64_t len,
		uint32_t prot, uint32_t how, uint32_t byte, struct lr_resp *r)
{
	if (send_req(l, op, addr, len, prot, how, byte))
		return -1;
	if (read_all(l->resp_fd, r, sizeof(*r)))
		return child_died(l);
	return 0;
}

static int linux_mmap(struct scen_backend *be, uint64_t addr, uint64_t len,
		      unsigned prot, unsigned how, int64_t *result)
{
	struct lr_resp r;

	if (call(to_linux(be), LR_MMAP, addr, len, prot, how, 0, &r))
		return -1;
	*result = r.result;
	return 0;
}

static int linux_munmap(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result)
{
	struct lr_resp r;

	if (call(to_linux(be), LR_MUNMAP, addr, len, 0, 0, 0, &r))
		return -1;
	*result = r.result;
	return 0;
}

static int linux_mprotect(struct scen_backend *be, uint64_t addr, uint64_t len,
			  unsigned prot, int64_t *result)
{
	struct lr_resp r;

	if (call(to_linux(be), LR_MPROTECT, addr, len, prot, 0, 0, &r))
		return -1;
	*result = r.result;
	return 0;
}

static int linux_access(struct scen_backend *be, enum scen_access_op op, uint64_t addr,
			uint64_t len, uint8_t byte, struct scen_access_result *res)
{
	struct lr_resp r;

	if (call(to_linux(be), LR_ACCESS, addr, len, (uint32_t)op, 0, byte, &r))
		return -1;
	memset(res, 0, sizeof(*res));
	res->status = (enum scen_access_status)r.result;
	res->addr = r.out0;
	res->detail = (unsigned)r.out1;
	return 0;
}

static int linux_maps(struct scen_backend *be, uint64_t lo, uint64_t hi,
		      struct scen_map **maps, size_t *n)
{
	struct linux_backend *l = to_linux(be);
	struct scen_map *v = NULL;
	size_t cnt = 0, cap = 0;
	struct lr_map rec;

	*maps = NULL;
	*n = 0;
	if (send_req(l, LR_MAPS, lo, hi, 0, 0, 0))
		return -1;
	for (;;) {
		if (read_all(l->resp_fd, &rec, sizeof(rec))) {
			free(v);
			return child_died(l);
		}
		if (rec.flags & LR_MAP_END)
			break;
		if (cnt == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			struct scen_map *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv) {
				/* Keep reading so that the pipe stays in step. */
				continue;
			}
			v = nv;
			cap = ncap;
		}
		v[cnt].start = rec.start;
		v[cnt].end = rec.end;
		v[cnt].prot = rec.prot;
		v[cnt].shared = rec.flags & LR_MAP_SHARED;
		cnt++;
	}
	*maps = v;
	*n = cnt;
	return 0;
}

static int linux_count(struct linux_backend *l, uint64_t *count)
{
	struct lr_resp r;

	if (call(l, LR_COUNT, 0, 0, 0, 0, 0, &r))
		return -1;
	if (r.result < 0) {
		snprintf(l->be.failure, sizeof(l->be.failure),
			 "the child cannot read /proc/self/maps (errno %lld)", (long long)-r.result);
		return -1;
	}
	*count = (uint64_t)r.result;
	return 0;
}

static int linux_vma_count(struct scen_backend *be, uint64_t *count)
{
	struct linux_backend *l = to_linux(be);
	uint64_t now;

	if (linux_count(l, &now))
		return -1;
	*count = now - l->baseline;
	return 0;
}

static int linux_pte_present(struct scen_backend *be, uint64_t addr, uint64_t npages,
			     bool *present)
{
	struct linux_backend *l = to_linux(be);
	uint8_t buf[LR_PAGEMAP_CHUNK];

	if (send_req(l, LR_PAGEMAP, addr, npages, 0, 0, 0))
		return -1;
	for (uint64_t done = 0; done < npages;) {
		uint64_t n = npages - done < LR_PAGEMAP_CHUNK ? npages - done : LR_PAGEMAP_CHUNK;

		if (read_all(l->resp_fd, buf, n))
			return child_died(l);
		for (uint64_t i = 0; i < n; i++)
			present[done + i] = buf[i] != 0;
		done += n;
	}
	return 0;
}

static void linux_destroy(struct scen_backend *be)
{
	struct linux_backend *l = to_linux(be);
	int status;

	close(l->req_fd);
	close(l->resp_fd);
	if (l->child > 0)
		waitpid(l->child, &status, 0);
	free(l);
}

static const struct scen_backend_ops linux_ops = {
	.name = "linux",
	.mmap = linux_mmap,
	.munmap = linux_munmap,
	.mprotect = linux_mprotect,
	.access = linux_access,
	.maps = linux_maps,
	.vma_count = linux_vma_count,
	.pte_present = linux_pte_present,
	.destroy = linux_destroy,
};

/* The helper's path: $LINUX_RUNNER_CHILD, or beside our own executable. */
static int child_path(char *buf, size_t size)
{
	const char *env = getenv("LINUX_RUNNER_CHILD");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	snprintf(buf, size, "%s/linux-runner-child", self);
	return 0;
}

struct scen_backend *backend_linux_new(FILE *err)
{
	struct linux_backend *l = calloc(1, sizeof(*l));
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
	char path[PATH_MAX + 32];
	struct lr_resp ready;
	struct scen_map *maps;
	size_t n;

	if (!l) {
		fprintf(err, "linux-runner: out of memory\n");
		return NULL;
	}
	l->be.ops = &linux_ops;
	l->child = -1;
	/* A dead child must show as a failed write, not kill the runner. */
	signal(SIGPIPE, SIG_IGN);
	if (child_path(path, sizeof(path))) {
		fprintf(err, "linux-runner: cannot find linux-runner-child\n");
		goto fail;
	}
	if (access(path, X_OK)) {
		fprintf(err, "linux-runner: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	if (pipe2(to_child, O_CLOEXEC) || pipe2(from_child, O_CLOEXEC)) {
		fprintf(err, "linux-runner: pipe: %s\n", strerror(errno));
		goto fail;
	}
	fflush(NULL);
	l->child = fork();
	if (l->child < 0) {
		fprintf(err, "linux-runner: fork: %s\n", strerror(errno));
		goto fail;
	}
	if (l->child == 0) {
		if (dup2(to_child[0], 0) < 0 || dup2(from_child[1], 1) < 0)
			_exit(127);
		execl(path, "linux-runner-child", (char *)NULL);
		_exit(127);
	}
	close(to_child[0]);
	close(from_child[1]);
	l->req_fd = to_child[1];
	l->resp_fd = from_child[0];
	if (read_all(l->resp_fd, &ready, sizeof(ready)) || ready.result) {
		if (ready.result)
			fprintf(err, "linux-runner: linux-runner-child could not set up: %s\n",
				strerror((int)-ready.result));
		else
			fprintf(err, "linux-runner: %s did not start\n", path);
		linux_destroy(&l->be);
		return NULL;
	}
	if (linux_count(l, &l->baseline)) {
		fprintf(err, "linux-runner: %s\n", l->be.failure);
		linux_destroy(&l->be);
		return NULL;
	}
	/* The window must start empty, or the scenario's maps would not be its own. */
	if (linux_maps(&l->be, SCEN_WINDOW_START, SCEN_WINDOW_END, &maps, &n) == 0) {
		if (n)
			fprintf(err, "linux-runner: warning: %zu mapping(s) already in the "
				"scenario window\n", n);
		free(maps);
	}
	return &l->be;
fail:
	for (int i = 0; i < 2; i++) {
		if (to_child[i] >= 0)
			close(to_child[i]);
		if (from_child[i] >= 0)
			close(from_child[i]);
	}
	free(l);
	return NULL;
}
