/*
 * Processes and CPUs of language version 2: fork, process N, exit, cpu N
 * (docs/scenarios.md).  The bookkeeping that is the same for every backend
 * lives here: process numbers are given in order of creation from 1 and
 * never reused, each maps to the backend's handle, and the engine knows
 * which process is current and who forked whom.  The backend only forks,
 * selects and ends processes by handle.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/script/scen.h"

int scen_procs_init(struct script_session *s)
{
	s->cap_procs = 8;
	s->procs = calloc(s->cap_procs, sizeof(*s->procs));
	if (!s->procs)
		return -1;
	s->procs[0] = (struct scen_proc){ .handle = 0, .parent = 0, .alive = true };
	s->nprocs = 1;
	s->cur = 1;
	return 0;
}

void scen_procs_free(struct script_session *s)
{
	free(s->procs);
	s->procs = NULL;
	s->nprocs = s->cap_procs = 0;
}

/* Room for one more process: 0, or -1 (out of memory, or numbers exhausted). */
static int procs_reserve(struct script_session *s)
{
	struct scen_proc *v;
	unsigned cap;

	if (s->nprocs < s->cap_procs)
		return 0;
	if (s->cap_procs > UINT32_MAX / 4)
		return -1;
	cap = 2 * s->cap_procs;
	v = realloc(s->procs, cap * sizeof(*v));
	if (!v)
		return -1;
	s->procs = v;
	s->cap_procs = cap;
	return 0;
}

/* Print "TEXT -> ERRNO" (for results decided by the engine). */
static int print_errno(struct script_session *s, struct scen_io *io, const char *text, int e)
{
	char result[SCEN_RESULT_MAX];

	scen_format_errno(e, result, sizeof(result));
	return scen_print_result(s, io, text, result);
}

/* `fork`: the current process forks; its child gets the next number. */
int scen_run_fork(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char result[SCEN_RESULT_MAX];
	unsigned child;
	int64_t res;

	(void)st;
	if (!s->be->ops->fork)
		return scen_print_enosys(s, io, "fork");
	if (procs_reserve(s)) {
		scen_io_msg(io, "fork: no room for another process number");
		return SCEN_CMD_ERROR;
	}
	if (s->be->ops->fork(s->be, &child, &res))
		return scen_backend_dead(s, io);
	if (res < 0) {
		scen_format_call(res, false, result, sizeof(result));
		return scen_print_result(s, io, "fork", result);
	}
	s->procs[s->nprocs] = (struct scen_proc){ .handle = child, .parent = s->cur, .alive = true };
	s->nprocs++;
	snprintf(result, sizeof(result), "%u", s->nprocs);
	return scen_print_result(s, io, "fork", result);
}

/* A process or CPU number N (decimal in the transcript). */
static int parse_count(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	const char *kw = st->cmd->name;

	if (argc != 2) {
		scen_set_msg(msg, msglen, "%s: expected N", kw);
		return -1;
	}
	return scen_number_arg(kw, "N", argv[1], &st->n, msg, msglen);
}

int scen_parse_process(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	return parse_count(argc, argv, st, msg, msglen);
}

int scen_parse_cpu(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	return parse_count(argc, argv, st, msg, msglen);
}

/* Make process n (alive, not current) current in the backend and here. */
static int switch_to(struct script_session *s, unsigned n)
{
	if (s->be->ops->select(s->be, s->procs[n - 1].handle))
		return -1;
	s->cur = n;
	return 0;
}

/* `process N`: ok, or ESRCH if N never existed or has exited. */
int scen_run_process(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char text[64];

	snprintf(text, sizeof(text), "process %" PRIu64, st->n);
	if (st->n == 0 || st->n > s->nprocs || !s->procs[st->n - 1].alive)
		return print_errno(s, io, text, ESRCH);
	if (st->n != s->cur) {
		if (!s->be->ops->select)
			return scen_print_enosys(s, io, text);
		if (switch_to(s, (unsigned)st->n))
			return scen_backend_dead(s, io);
	}
	return scen_print_result(s, io, text, "ok");
}

/*
 * `exit`: the current process goes; its parent becomes current, or
 * process 1 if the parent has exited.  Process 1 cannot exit (EINVAL).
 */
int scen_run_exit(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	struct scen_proc *p = &s->procs[s->cur - 1];
	unsigned next;

	(void)st;
	if (s->cur == 1)
		return print_errno(s, io, "exit", EINVAL);
	if (!s->be->ops->exit || !s->be->ops->select)
		return scen_print_enosys(s, io, "exit");
	if (s->be->ops->exit(s->be, p->handle))
		return scen_backend_dead(s, io);
	p->alive = false;
	next = s->procs[p->parent - 1].alive ? p->parent : 1;
	if (switch_to(s, next))
		return scen_backend_dead(s, io);
	return scen_print_result(s, io, "exit", "ok");
}

/* `cpu N`: ok, or EINVAL for N >= 64.  No set_cpu: one CPU, always ok. */
int scen_run_cpu(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char text[64];

	snprintf(text, sizeof(text), "cpu %" PRIu64, st->n);
	if (st->n >= SCEN_MAX_CPUS)
		return print_errno(s, io, text, EINVAL);
	if (s->be->ops->set_cpu && s->be->ops->set_cpu(s->be, (unsigned)st->n))
		return scen_backend_dead(s, io);
	return scen_print_result(s, io, text, "ok");
}
