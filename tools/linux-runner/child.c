/*
 * linux-runner-child: process 1 of a linux-runner scenario, and through
 * fork(2) every other scenario process (lr_proto.h).  linux-runner starts
 * it with its channel at LR_CHAN_FD and sends it the operations one by one.
 *
 * It is a program of its own, never built with AddressSanitizer: ASan's
 * shadow memory covers the start of the scenario window, and a scenario must
 * find the window empty and the address space holding only what it mapped.
 * After its setup it allocates nothing and maps nothing, so every mapping
 * beyond its baseline is the scenario's.
 *
 *  - mmap/munmap/mprotect/mremap/madvise/mlock2/munlock are raw system
 *    calls with the scenario's arguments;
 *  - touch/fill/check access memory (child_access.c);
 *  - maps and counts come from /proc/self/maps, page states from
 *    /proc/self/pagemap (child_info.c);
 *  - `fork` is fork(2): the child takes over the channel that came with
 *    the request; `exit` is _exit(2);
 *  - transparent huge pages are disabled (PR_SET_THP_DISABLE) so that a
 *    fault populates 4 KiB, as in the guest;
 *  - CAP_SYS_RAWIO is dropped, so that mmap below vm.mmap_min_addr fails as
 *    for any ordinary process even when linux-runner runs as root;
 *  - RLIMIT_STACK is 8 MiB (it bounds growsdown mappings) and
 *    RLIMIT_MEMLOCK unlimited when allowed, as the language wants.
 */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tools/linux-runner/child.h"
#include "tools/linux-runner/pipe_io.h"
#include "vmm/script/script.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

#define STACK_LIMIT        (8ULL << 20)   /* RLIMIT_STACK of the language */

void child_send(const void *buf, size_t len)
{
	if (write_all(LR_CHAN_FD, buf, len))
		_exit(1);
}

/*
 * Read one request; *fd is a descriptor that came with it (SCM_RIGHTS), or
 * -1.  0, or -1 at end of file or on error.
 */
static int recv_req(struct lr_req *q, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	size_t got = 0;

	*fd = -1;
	while (got < sizeof(*q)) {
		struct iovec iov = { (char *)q + got, sizeof(*q) - got };
		struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(LR_CHAN_FD, &m, MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
			    c->cmsg_len == CMSG_LEN(sizeof(int))) {
				if (*fd >= 0)
					close(*fd);
				memcpy(fd, CMSG_DATA(c), sizeof(int));
			}
		}
		got += (size_t)n;
	}
	return 0;
}

static int64_t raw_result(long r)
{
	return r == -1 ? -errno : r;
}

static int64_t do_mmap(const struct lr_req *q)
{
	long flags = MAP_ANONYMOUS;

	flags |= q->flags & SCEN_MAP_SHARED ? MAP_SHARED : MAP_PRIVATE;
	if (q->flags & SCEN_MAP_NORESERVE)
		flags |= MAP_NORESERVE;
	if (q->flags & SCEN_MAP_POPULATE)
		flags |= MAP_POPULATE;
	if (q->flags & SCEN_MAP_LOCKED)
		flags |= MAP_LOCKED;
	if (q->flags & SCEN_MAP_GROWSDOWN)
		flags |= MAP_GROWSDOWN;
	if (q->how == SCEN_MMAP_FIXED)
		flags |= MAP_FIXED;
	else if (q->how == SCEN_MMAP_NOREPLACE)
		flags |= MAP_FIXED_NOREPLACE;
	return raw_result(syscall(SYS_mmap, q->how == SCEN_MMAP_ANY ? 0 : q->addr, q->len,
				  (long)q->prot, flags, -1L, 0L));
}

static int64_t do_mremap(const struct lr_req *q)
{
	long flags = 0;

	if (q->flags & SCEN_MREMAP_MAYMOVE)
		flags |= MREMAP_MAYMOVE;
	if (q->flags & SCEN_MREMAP_DONTUNMAP)
		flags |= MREMAP_DONTUNMAP;
	if (q->flags & SCEN_MREMAP_FIXED)
		flags |= MREMAP_FIXED;
	return raw_result(syscall(SYS_mremap, q->addr, q->len, q->arg, flags, q->arg2));
}

static int64_t do_madvise(const struct lr_req *q)
{
	static const int advice[SCEN_ADV_COUNT] = {
		[SCEN_ADV_NORMAL] = MADV_NORMAL,
		[SCEN_ADV_RANDOM] = MADV_RANDOM,
		[SCEN_ADV_SEQUENTIAL] = MADV_SEQUENTIAL,
		[SCEN_ADV_DONTNEED] = MADV_DONTNEED,
		[SCEN_ADV_DONTFORK] = MADV_DONTFORK,
		[SCEN_ADV_DOFORK] = MADV_DOFORK,
		[SCEN_ADV_WIPEONFORK] = 18,        /* MADV_WIPEONFORK */
		[SCEN_ADV_KEEPONFORK] = 19,        /* MADV_KEEPONFORK */
		[SCEN_ADV_POPULATE_READ] = 22,     /* MADV_POPULATE_READ */
		[SCEN_ADV_POPULATE_WRITE] = 23,    /* MADV_POPULATE_WRITE */
	};

	if (q->how >= SCEN_ADV_COUNT)
		return -EINVAL;
	return raw_result(syscall(SYS_madvise, q->addr, q->len, (long)advice[q->how]));
}

static int64_t do_cpu(uint64_t cpu)
{
	cpu_set_t set;

	if (cpu >= CPU_SETSIZE)
		return -EINVAL;
	CPU_ZERO(&set);
	CPU_SET((int)cpu, &set);
	return raw_result(sched_setaffinity(0, sizeof(set), &set));
}

/*
 * LR_FORK with the new channel fd.  Returns 1 in the child (which has
 * answered its ready message on its own channel), else 0 with the
 * parent's answer in r.
 */
static int do_fork(int fd, struct lr_resp *r)
{
	pid_t pid;

	if (fd < 0) {
		r->result = -EBADF;
		return 0;
	}
	pid = fork();
	if (pid == 0) {
		struct lr_resp ready = { .result = 0 };

		if (dup2(fd, LR_CHAN_FD) < 0)
			_exit(1);
		close(fd);
		ready.result = child_open_pagemap();
		child_send(&ready, sizeof(ready));
		if (ready.result)
			_exit(1);
		return 1;
	}
	close(fd);
	r->result = pid < 0 ? -errno : pid;
	return 0;
}

/* One request into r: 0 to answer r, 1 when answered already (or not at all). */
static int handle(const struct lr_req *q, int fd, struct lr_resp *r)
{
	switch ((enum lr_op)q->op) {
	case LR_MMAP:
		r->result = do_mmap(q);
		return 0;
	case LR_MUNMAP:
		r->result = raw_result(syscall(SYS_munmap, q->addr, q->len));
		return 0;
	case LR_MPROTECT:
		r->result = raw_result(syscall(SYS_mprotect, q->addr, q->len, (long)q->prot));
		return 0;
	case LR_ACCESS:
		child_access(q, r);
		return 0;
	case LR_MAPS:
		child_walk_maps(q->addr, q->len, 1);
		return 1;
	case LR_COUNT:
		r->result = child_walk_maps(0, 0, 0);
		return 0;
	case LR_PAGEMAP:
		child_send_pagemap(q->addr, q->len);
		return 1;
	case LR_MREMAP:
		r->result = do_mremap(q);
		return 0;
	case LR_MADVISE:
		r->result = do_madvise(q);
		return 0;
	case LR_MLOCK:
		r->result = raw_result(syscall(SYS_mlock2, q->addr, q->len,
					       q->flags ? (long)MLOCK_ONFAULT : 0L));
		return 0;
	case LR_MUNLOCK:
		r->result = raw_result(syscall(SYS_munlock, q->addr, q->len));
		return 0;
	case LR_FORK:
		return do_fork(fd, r);
	case LR_EXIT:
		_exit(0);
	case LR_CPU:
		r->result = do_cpu(q->arg);
		return 0;
	}
	r->result = -EINVAL;
	return 0;
}

static void serve(void)
{
	struct lr_req q;
	struct lr_resp r;
	int fd;

	while (recv_req(&q, &fd) == 0) {
		memset(&r, 0, sizeof(r));
		if (q.op != LR_FORK && fd >= 0)
			close(fd);
		child_zerocheck_before(&q);
		if (handle(&q, q.op == LR_FORK ? fd : -1, &r) == 0)
			child_send(&r, sizeof(r));
		child_zerocheck_after();
	}
}

/* Behave as an unprivileged process for mmap_min_addr; failure is harmless. */
static void drop_rawio(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return;
	data[CAP_SYS_RAWIO / 32].effective &= ~(1u << (CAP_SYS_RAWIO % 32));
	data[CAP_SYS_RAWIO / 32].permitted &= ~(1u << (CAP_SYS_RAWIO % 32));
	data[CAP_SYS_RAWIO / 32].inheritable &= ~(1u << (CAP_SYS_RAWIO % 32));
	(void)syscall(SYS_capset, &hdr, data);
}

/* The limits results depend on: 0 or -errno. */
static int set_limits(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_STACK, &rl))
		return -errno;
	rl.rlim_cur = STACK_LIMIT;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < STACK_LIMIT)
		rl.rlim_max = STACK_LIMIT;
	if (setrlimit(RLIMIT_STACK, &rl))
		return -errno;
	/* Only root may lift it; as root mlock is unlimited anyway. */
	rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
	(void)setrlimit(RLIMIT_MEMLOCK, &rl);
	return 0;
}

int main(void)
{
	struct lr_resp ready;
	int e;

	memset(&ready, 0, sizeof(ready));
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		ready.result = -errno;
	drop_rawio();
	/* Children that exit are reaped by the kernel (lr_proto.h). */
	signal(SIGCHLD, SIG_IGN);
	if (!ready.result && (e = set_limits()))
		ready.result = e;
	if (!ready.result && (e = child_access_setup()))
		ready.result = e;
	if (!ready.result && (e = child_open_pagemap()))
		ready.result = e;
	child_zerocheck_init();
	child_send(&ready, sizeof(ready));
	if (ready.result)
		return 1;
	serve();
	return 0;
}
