/*
 * The scenario backend that runs operations on the host's own Linux: the
 * behavioural oracle for the guest.
 *
 * The operations run in separate processes, linux-runner-child (child.c)
 * and the processes it forks, so that the runner's own mappings,
 * allocations and sanitizer shadow never mix with the scenario's.  The
 * child program is found next to linux-runner's executable, or at
 * $LINUX_RUNNER_CHILD.  procs.c manages the processes; this file is the
 * table of operations.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/linux-runner/backend_linux.h"
#include "tools/linux-runner/lr_backend.h"

#define MAX_MAP_COUNT      65530   /* the language's vm.max_map_count */

static struct linux_backend *to_linux(struct scen_backend *be)
{
	return (struct linux_backend *)be;
}

/* A request with one struct lr_resp answer whose result is the outcome. */
static int simple(struct scen_backend *be, const struct lr_req *q, int64_t *result)
{
	struct lr_resp r;

	if (lr_call(to_linux(be), q, &r))
		return -1;
	*result = r.result;
	return 0;
}

static int linux_mmap(struct scen_backend *be, uint64_t addr, uint64_t len,
		      unsigned prot, unsigned how, unsigned flags, int64_t *result)
{
	struct lr_req q = { .op = LR_MMAP, .addr = addr, .len = len, .prot = prot,
			    .how = how, .flags = flags };

	return simple(be, &q, result);
}

static int linux_munmap(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result)
{
	struct lr_req q = { .op = LR_MUNMAP, .addr = addr, .len = len };

	return simple(be, &q, result);
}

static int linux_mprotect(struct scen_backend *be, uint64_t addr, uint64_t len,
			  unsigned prot, int64_t *result)
{
	struct lr_req q = { .op = LR_MPROTECT, .addr = addr, .len = len, .prot = prot };

	return simple(be, &q, result);
}

static int linux_mremap(struct scen_backend *be, uint64_t addr, uint64_t old_len,
			uint64_t new_len, unsigned flags, uint64_t new_addr, int64_t *result)
{
	struct lr_req q = { .op = LR_MREMAP, .addr = addr, .len = old_len, .arg = new_len,
			    .flags = flags, .arg2 = new_addr };

	return simple(be, &q, result);
}

static int linux_madvise(struct scen_backend *be, uint64_t addr, uint64_t len,
			 enum scen_advice advice, int64_t *result)
{
	struct lr_req q = { .op = LR_MADVISE, .addr = addr, .len = len, .how = advice };

	return simple(be, &q, result);
}

static int linux_mlock(struct scen_backend *be, uint64_t addr, uint64_t len, bool onfault,
		       int64_t *result)
{
	struct lr_req q = { .op = LR_MLOCK, .addr = addr, .len = len, .flags = onfault };

	return simple(be, &q, result);
}

static int linux_munlock(struct scen_backend *be, uint64_t addr, uint64_t len,
			 int64_t *result)
{
	struct lr_req q = { .op = LR_MUNLOCK, .addr = addr, .len = len };

	return simple(be, &q, result);
}

static int linux_access(struct scen_backend *be, enum scen_access_op op, uint64_t addr,
			uint64_t len, uint8_t byte, struct scen_access_result *res)
{
	struct lr_req q = { .op = LR_ACCESS, .addr = addr, .len = len, .prot = (uint32_t)op,
			    .byte = byte };
	struct lr_resp r;

	if (lr_call(to_linux(be), &q, &r))
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
	struct lr_req q = { .op = LR_MAPS, .addr = lo, .len = hi };
	struct scen_map *v = NULL;
	size_t cnt = 0, cap = 0;
	struct lr_map rec;

	*maps = NULL;
	*n = 0;
	if (lr_send(l, &q))
		return -1;
	for (;;) {
		if (lr_recv(l, &rec, sizeof(rec))) {
			free(v);
			return -1;
		}
		if (rec.flags & LR_MAP_END)
			break;
		if (cnt == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			struct scen_map *nv = realloc(v, ncap * sizeof(*nv));

			if (!nv)
				continue;   /* keep reading so that the channel stays in step */
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
	struct lr_req q = { .op = LR_COUNT };
	struct lr_resp r;

	if (lr_call(l, &q, &r))
		return -1;
	if (r.result < 0) {
		snprintf(l->be.failure, sizeof(l->be.failure),
			 "a scenario process cannot read /proc/self/maps (errno %lld)",
			 (long long)-r.result);
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

static int linux_page_share(struct scen_backend *be, uint64_t addr, uint64_t npages,
			    uint8_t *state)
{
	struct linux_backend *l = to_linux(be);
	struct lr_req q = { .op = LR_PAGEMAP, .addr = addr, .len = npages };

	if (lr_send(l, &q))
		return -1;
	for (uint64_t done = 0; done < npages;) {
		uint64_t n = npages - done < LR_PAGEMAP_CHUNK ? npages - done : LR_PAGEMAP_CHUNK;

		if (lr_recv(l, state + done, n))
			return -1;
		done += n;
	}
	return 0;
}

static int linux_pte_present(struct scen_backend *be, uint64_t addr, uint64_t npages,
			     bool *present)
{
	uint8_t buf[LR_PAGEMAP_CHUNK];

	for (uint64_t done = 0; done < npages;) {
		uint64_t n = npages - done < LR_PAGEMAP_CHUNK ? npages - done : LR_PAGEMAP_CHUNK;

		if (linux_page_share(be, addr + done * 0x1000, n, buf))
			return -1;
		for (uint64_t i = 0; i < n; i++)
			present[done + i] = buf[i] != SCEN_PAGE_NONE;
		done += n;
	}
	return 0;
}

/* CPU N runs on our CPU N mod (the CPUs we may use). */
static int linux_set_cpu(struct scen_backend *be, unsigned cpu)
{
	struct linux_backend *l = to_linux(be);

	l->want_cpu = l->cpus[cpu % l->ncpus];
	return 0;
}

static void linux_destroy(struct scen_backend *be)
{
	struct linux_backend *l = to_linux(be);

	lr_stop_all(l);
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
	.mremap = linux_mremap,
	.madvise = linux_madvise,
	.mlock = linux_mlock,
	.munlock = linux_munlock,
	.fork = lr_fork,
	.select = lr_select,
	.exit = lr_exit,
	.set_cpu = linux_set_cpu,
	.page_share = linux_page_share,
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

/* The CPUs we may run on, for `cpu N`; warn where results may differ. */
static void host_facts(struct linux_backend *l, FILE *err)
{
	cpu_set_t set;
	char buf[32] = "";
	int fd;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		for (int c = 0; c < CPU_SETSIZE && l->ncpus < LR_MAX_HOST_CPUS; c++)
			if (CPU_ISSET(c, &set))
				l->cpus[l->ncpus++] = c;
	if (l->ncpus == 0)
		l->cpus[l->ncpus++] = sched_getcpu() > 0 ? sched_getcpu() : 0;
	fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		buf[n > 0 ? n : 0] = '\0';
		close(fd);
		if (n > 0 && atol(buf) != MAX_MAP_COUNT)
			fprintf(err, "linux-runner: warning: vm.max_map_count is %ld, not %d\n",
				atol(buf), MAX_MAP_COUNT);
	}
	if (geteuid() != 0)
		fprintf(err, "linux-runner: warning: not root: mlock may fail where the "
			"language expects it to succeed\n");
}

struct scen_backend *backend_linux_new(FILE *err)
{
	struct linux_backend *l = calloc(1, sizeof(*l));
	char path[PATH_MAX + 32];
	struct scen_map *maps;
	size_t n;

	if (!l) {
		fprintf(err, "linux-runner: out of memory\n");
		return NULL;
	}
	l->be.ops = &linux_ops;
	l->want_cpu = -1;
	/* A dead process must show as a failed write, not kill the runner. */
	signal(SIGPIPE, SIG_IGN);
	host_facts(l, err);
	if (child_path(path, sizeof(path))) {
		fprintf(err, "linux-runner: cannot find linux-runner-child\n");
		free(l);
		return NULL;
	}
	if (access(path, X_OK)) {
		fprintf(err, "linux-runner: %s: %s\n", path, strerror(errno));
		free(l);
		return NULL;
	}
	if (lr_start(l, path, err) || linux_count(l, &l->baseline)) {
		if (l->be.failure[0])
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
}
