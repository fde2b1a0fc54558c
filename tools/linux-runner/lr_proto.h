/*
 * The protocol between linux-runner (backend_linux.c, procs.c) and the
 * scenario processes: linux-runner-child (child.c), which is process 1 of
 * a scenario, and the processes it and they fork.
 *
 * Channels.  Every scenario process has a channel of its own to the runner:
 * one end of an AF_UNIX SOCK_STREAM socketpair that the runner created, at
 * descriptor LR_CHAN_FD in the process (the runner keeps the other end).
 * The runner starts process 1 with its end there (execve); standard input
 * is /dev/null and standard output goes to the runner's standard error, so
 * nothing a scenario process prints can reach the transcript.
 *
 * Messages.  A process reads struct lr_req and answers on the same channel:
 * first, once, one struct lr_resp when it is ready (result 0, or -errno of
 * what failed in its setup); then for each request one struct lr_resp,
 * except LR_MAPS (a stream of struct lr_map ending with a record flagged
 * LR_MAP_END), LR_PAGEMAP (one SCEN_PAGE_* byte per page) and LR_EXIT
 * (nothing: the process exits).
 *
 * Fork.  The runner creates a new socketpair and sends LR_FORK with one end
 * attached to the request (SCM_RIGHTS).  The process forks: the child moves
 * that end to LR_CHAN_FD (which closes its inherited copy of the parent's
 * channel), reopens what it holds of its own address space
 * (/proc/self/pagemap) and answers its ready struct lr_resp on the new
 * channel; the parent closes the end and answers LR_FORK with the child's
 * pid (or -errno).  A child inherits the parent's CPU affinity.
 *
 * Exit and reaping.  Scenario processes ignore SIGCHLD, so a process whose
 * parent is alive is reaped by the kernel when it exits; the runner is a
 * child subreaper, so an orphan becomes the runner's child, and the runner
 * reaps it.  The runner holds a pidfd per process and, after LR_EXIT, polls
 * it until the process has exited: its address space is gone (exit_mm runs
 * before the pidfd is notified) before the next operation.  A process whose
 * channel reaches end of file exits, so no process outlives the runner.
 */
#ifndef TOOLS_LINUX_RUNNER_LR_PROTO_H
#define TOOLS_LINUX_RUNNER_LR_PROTO_H

#include <stdint.h>

#define LR_CHAN_FD         3           /* a scenario process's channel */

enum lr_op {
	LR_MMAP,           /* addr, len, prot, how (SCEN_MMAP_*), flags (SCEN_MAP_*):
	                      result address or -errno */
	LR_MUNMAP,         /* addr, len: result 0 or -errno */
	LR_MPROTECT,       /* addr, len, prot: result 0 or -errno */
	LR_ACCESS,         /* addr, len, prot = enum scen_access_op, byte:
	                      result enum scen_access_status, out0 = address,
	                      out1 = SCEN_FAULT_* or the byte found */
	LR_MAPS,           /* addr = lo, len = hi: the mappings intersecting [lo, hi) */
	LR_COUNT,          /* result: the number of mappings, or -errno */
	LR_PAGEMAP,        /* addr (page aligned), len = pages: SCEN_PAGE_* bytes */
	LR_MREMAP,         /* addr, len = old length, arg = new length, flags
	                      (SCEN_MREMAP_*), arg2 = new address: result address
	                      or -errno */
	LR_MADVISE,        /* addr, len, how = enum scen_advice: result 0 or -errno */
	LR_MLOCK,          /* addr, len, flags = 1 for MLOCK_ONFAULT: 0 or -errno */
	LR_MUNLOCK,        /* addr, len: result 0 or -errno */
	LR_FORK,           /* a socket attached: result the child's pid or -errno */
	LR_EXIT,           /* no answer: the process exits */
	LR_CPU,            /* arg = host CPU to run on: result 0 or -errno */
};

struct lr_req {
	uint32_t op;
	uint32_t prot;
	uint32_t how;
	uint32_t byte;
	uint32_t flags;
	uint32_t pad;
	uint64_t addr;
	uint64_t len;
	uint64_t arg;
	uint64_t arg2;
};

struct lr_resp {
	int64_t result;
	uint64_t out0;
	uint64_t out1;
};

#define LR_MAP_SHARED      (1u << 0)
#define LR_MAP_END         (1u << 1)   /* the record after the last mapping */

struct lr_map {
	uint64_t start;
	uint64_t end;
	uint32_t prot;     /* SCEN_PROT_* */
	uint32_t flags;    /* LR_MAP_* */
};

#define LR_PAGEMAP_CHUNK   4096u       /* pages a process reads at once */

#endif
