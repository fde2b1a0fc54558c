/*
 * linux-runner's scenario processes: starting process 1, forking, selecting
 * and ending processes, their channels and CPU pinning (lr_proto.h says
 * how the channels, fork and reaping work).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/linux-runner/lr_backend.h"
#include "tools/linux-runner/pipe_io.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define EXIT_WAIT_MS       10000   /* how long an exiting process may take */
#define STOP_WAIT_MS       5000    /* the same at the end of the run */

static struct linux_backend *to_linux(struct scen_backend *be)
{
	return (struct linux_backend *)be;
}

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Has the process exited within ms?  Reap it if it is our child. */
static bool wait_exit(const struct lr_proc *p, int ms, siginfo_t *si)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };

	memset(si, 0, sizeof(*si));
	if (p->pidfd < 0 || poll(&pfd, 1, ms) != 1)
		return false;
	/* ECHILD when its parent, a scenario process, reaped it. */
	(void)waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, si, WEXITED | WNOHANG);
	return true;
}

/* Say why the process in slot h stopped answering; always -1. */
static int proc_died(struct linux_backend *l, unsigned h)
{
	struct lr_proc *p = &l->procs[h];
	char *f = l->be.failure;
	size_t fs = sizeof(l->be.failure);
	siginfo_t si;

	if (f[0])
		return -1;
	if (!wait_exit(p, 1000, &si))
		snprintf(f, fs, "the scenario process %d stopped answering", (int)p->pid);
	else if (si.si_pid && si.si_code == CLD_EXITED)
		snprintf(f, fs, "the scenario process %d exited with status %d", (int)p->pid,
			 si.si_status);
	else if (si.si_pid)
		snprintf(f, fs, "the scenario process %d was killed by signal %d", (int)p->pid,
			 si.si_status);
	else
		snprintf(f, fs, "the scenario process %d has exited", (int)p->pid);
	return -1;
}

/* Pin the selected process to want_cpu if it is not there: 0 or -1. */
static int pin(struct linux_backend *l)
{
	struct lr_proc *p = &l->procs[l->sel];
	struct lr_req q = { .op = LR_CPU, .arg = (uint64_t)l->want_cpu };
	struct lr_resp r;

	if (l->want_cpu < 0 || p->cpu == l->want_cpu)
		return 0;
	if (write_all(p->sock, &q, sizeof(q)) || read_all(p->sock, &r, sizeof(r)))
		return proc_died(l, l->sel);
	if (r.result < 0) {
		snprintf(l->be.failure, sizeof(l->be.failure),
			 "the scenario process %d cannot run on CPU %d: %s", (int)p->pid,
			 l->want_cpu, strerror((int)-r.result));
		return -1;
	}
	p->cpu = l->want_cpu;
	return 0;
}

int lr_send(struct linux_backend *l, const struct lr_req *q)
{
	struct lr_proc *p = &l->procs[l->sel];

	if (p->pid <= 0) {
		snprintf(l->be.failure, sizeof(l->be.failure), "no scenario process is selected");
		return -1;
	}
	if (pin(l))
		return -1;
	if (write_all(p->sock, q, sizeof(*q)))
		return proc_died(l, l->sel);
	return 0;
}

int lr_recv(struct linux_backend *l, void *buf, size_t len)
{
	if (read_all(l->procs[l->sel].sock, buf, len))
		return proc_died(l, l->sel);
	return 0;
}

int lr_call(struct linux_backend *l, const struct lr_req *q, struct lr_resp *r)
{
	if (lr_send(l, q))
		return -1;
	return lr_recv(l, r, sizeof(*r));
}

/* Send q with fd attached (SCM_RIGHTS): 0 or -1. */
static int send_with_fd(int sock, const struct lr_req *q, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)q, sizeof(*q) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c;
	ssize_t n;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do
		n = sendmsg(sock, &m, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	/* The rest of a short send, without the descriptor. */
	return write_all(sock, (const char *)q + n, sizeof(*q) - (size_t)n);
}

/* A new process in slot k: its pid from the parent's answer, its channel
 * end sock; wait for its ready message.  0, or -1 (be.failure). */
static int adopt(struct linux_backend *l, unsigned k, pid_t pid, int sock)
{
	struct lr_proc *p = &l->procs[k];
	struct lr_resp ready;

	*p = (struct lr_proc){ .pid = pid, .pidfd = pidfd_open(pid), .sock = sock,
			       .cpu = l->procs[l->sel].cpu };
	if (p->pidfd < 0) {
		snprintf(l->be.failure, sizeof(l->be.failure), "pidfd_open(%d): %s", (int)pid,
			 strerror(errno));
		return -1;
	}
	if (read_all(sock, &ready, sizeof(ready)))
		return proc_died(l, k);
	if (ready.result) {
		snprintf(l->be.failure, sizeof(l->be.failure),
			 "the forked scenario process %d could not set up: %s", (int)pid,
			 strerror((int)-ready.result));
		return -1;
	}
	return 0;
}

int lr_fork(struct scen_backend *be, unsigned *child, int64_t *result)
{
	struct linux_backend *l = to_linux(be);
	struct lr_req q = { .op = LR_FORK };
	struct lr_resp r;
	unsigned k = 0;
	int sv[2];

	while (k < LR_MAX_PROCS && l->procs[k].pid)
		k++;
	if (k == LR_MAX_PROCS) {
		fprintf(stderr, "linux-runner: fork refused: %d scenario processes are alive, "
			"the most linux-runner keeps\n", LR_MAX_PROCS);
		*result = -EAGAIN;
		return 0;
	}
	if (l->procs[l->sel].pid <= 0) {
		snprintf(l->be.failure, sizeof(l->be.failure), "no scenario process is selected");
		return -1;
	}
	/* Pinned first, so that the child inherits the CPU. */
	if (pin(l))
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(l->be.failure, sizeof(l->be.failure), "socketpair: %s", strerror(errno));
		return -1;
	}
	if (send_with_fd(l->procs[l->sel].sock, &q, sv[1])) {
		close(sv[0]);
		close(sv[1]);
		return proc_died(l, l->sel);
	}
	close(sv[1]);
	if (lr_recv(l, &r, sizeof(r))) {
		close(sv[0]);
		return -1;
	}
	if (r.result < 0) {
		close(sv[0]);
		*result = r.result;
		return 0;
	}
	*child = k;
	*result = 0;
	return adopt(l, k, (pid_t)r.result, sv[0]);
}

int lr_select(struct scen_backend *be, unsigned handle)
{
	struct linux_backend *l = to_linux(be);

	if (handle >= LR_MAX_PROCS || l->procs[handle].pid <= 0) {
		snprintf(l->be.failure, sizeof(l->be.failure), "no scenario process %u", handle);
		return -1;
	}
	l->sel = handle;
	return 0;
}

/* Forget slot h (its process has exited). */
static void release(struct lr_proc *p)
{
	close(p->sock);
	if (p->pidfd >= 0)
		close(p->pidfd);
	memset(p, 0, sizeof(*p));
}

int lr_exit(struct scen_backend *be, unsigned handle)
{
	struct linux_backend *l = to_linux(be);
	struct lr_req q = { .op = LR_EXIT };
	struct lr_proc *p;
	siginfo_t si;

	if (handle == 0 || lr_select(be, handle))
		return -1;
	p = &l->procs[handle];
	if (write_all(p->sock, &q, sizeof(q)))
		return proc_died(l, handle);
	/* Its address space is gone once it has exited (lr_proto.h). */
	if (!wait_exit(p, EXIT_WAIT_MS, &si)) {
		snprintf(l->be.failure, sizeof(l->be.failure),
			 "the scenario process %d did not exit", (int)p->pid);
		return -1;
	}
	release(p);
	return 0;
}

void lr_stop_all(struct linux_backend *l)
{
	siginfo_t si;
	int status;

	for (unsigned k = 0; k < LR_MAX_PROCS; k++)
		if (l->procs[k].pid > 0)
			shutdown(l->procs[k].sock, SHUT_RDWR);
	for (unsigned k = 0; k < LR_MAX_PROCS; k++) {
		struct lr_proc *p = &l->procs[k];

		if (p->pid <= 0)
			continue;
		if (k == 0)
			waitpid(p->pid, &status, 0);
		else
			wait_exit(p, STOP_WAIT_MS, &si);
		release(p);
	}
}

/* In the forked runner: put the channel at LR_CHAN_FD and exec path. */
static void exec_child(const char *path, int chan)
{
	int nul;

	if (chan == LR_CHAN_FD ? fcntl(chan, F_SETFD, 0) : dup2(chan, LR_CHAN_FD) < 0)
		_exit(127);
	nul = open("/dev/null", O_RDONLY);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(2, 1) < 0)
		_exit(127);
	execl(path, "linux-runner-child", (char *)NULL);
	_exit(127);
}

int lr_start(struct linux_backend *l, const char *path, FILE *err)
{
	struct lr_resp ready = { .result = 0 };
	int sv[2];
	pid_t pid;

	/* Orphaned scenario processes become ours, to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		fprintf(err, "linux-runner: socketpair: %s\n", strerror(errno));
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(err, "linux-runner: fork: %s\n", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0)
		exec_child(path, sv[1]);
	close(sv[1]);
	l->procs[0] = (struct lr_proc){ .pid = pid, .pidfd = pidfd_open(pid), .sock = sv[0],
					.cpu = -1 };
	l->sel = 0;
	if (read_all(sv[0], &ready, sizeof(ready))) {
		fprintf(err, "linux-runner: %s did not start\n", path);
		return -1;
	}
	if (ready.result) {
		fprintf(err, "linux-runner: linux-runner-child could not set up: %s\n",
			strerror((int)-ready.result));
		return -1;
	}
	return 0;
}
