/*
 * Internals of linux-runner's backend (backend_linux.c, procs.c): the
 * scenario processes it drives, one channel each (lr_proto.h).
 */
#ifndef TOOLS_LINUX_RUNNER_LR_BACKEND_H
#define TOOLS_LINUX_RUNNER_LR_BACKEND_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "tools/linux-runner/lr_proto.h"
#include "vmm/script/script.h"

/* Live scenario processes at most; a fork beyond is refused (EAGAIN). */
#define LR_MAX_PROCS       64
#define LR_MAX_HOST_CPUS   1024

/* A scenario process; its slot index is its backend handle. */
struct lr_proc {
	pid_t pid;                         /* 0: the slot is free */
	int pidfd;
	int sock;                          /* the runner's end of its channel */
	int cpu;                           /* the host CPU it is pinned to, -1 none */
};

struct linux_backend {
	struct scen_backend be;            /* first: backends are cast to it */
	struct lr_proc procs[LR_MAX_PROCS];
	unsigned sel;                      /* the selected process's slot */
	int want_cpu;                      /* host CPU for operations, -1 until `cpu` */
	int cpus[LR_MAX_HOST_CPUS];        /* the host CPUs we may run on */
	unsigned ncpus;
	uint64_t baseline;                 /* process 1's mappings before the scenario */
};

/*
 * Start process 1 (linux-runner-child at path) in slot 0, selected, and
 * wait for its ready message: 0, or -1 with a message on err.
 */
int lr_start(struct linux_backend *l, const char *path, FILE *err);

/* Send q to the selected process, pinning it to want_cpu first if needed:
 * 0, or -1 (it died: be.failure says how). */
int lr_send(struct linux_backend *l, const struct lr_req *q);
/* Read len bytes of its answer: 0 or -1 (died). */
int lr_recv(struct linux_backend *l, void *buf, size_t len);
/* lr_send then one struct lr_resp. */
int lr_call(struct linux_backend *l, const struct lr_req *q, struct lr_resp *r);

/* The backend's fork, select and exit (scen_backend_ops). */
int lr_fork(struct scen_backend *be, unsigned *child, int64_t *result);
int lr_select(struct scen_backend *be, unsigned handle);
int lr_exit(struct scen_backend *be, unsigned handle);

/* End every process (closing its channel) and reap what is ours. */
void lr_stop_all(struct linux_backend *l);

#endif
