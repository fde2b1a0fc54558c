/*
 * Internals of the scenario engine shared by its files (parse.c, cmd.c,
 * ops.c, expect.c, runner.c) and visible to the unit tests.
 */
#ifndef VMM_SCRIPT_SCEN_H
#define VMM_SCRIPT_SCEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/script/cmd.h"
#include "vmm/script/script.h"

struct scen_table_ref {
	const struct scen_cmd_table *t;
	void *ctx;
};

/* A process of a session (version 2); process N is procs[N - 1]. */
struct scen_proc {
	unsigned handle;                 /* the backend's handle */
	unsigned parent;                 /* the number of its parent (0 for process 1) */
	bool alive;
};

struct script_session {
	struct scen_backend *be;
	char *name;
	unsigned line;                   /* lines fed so far */
	char prev[SCEN_RESULT_MAX];      /* the previous operation's result */
	bool has_prev;
	bool in_block;                   /* inside `expect maps` ... `end` */
	struct scen_stmt block;
	size_t block_cap;
	struct scen_table_ref tables[SCRIPT_MAX_TABLES]; /* [0], [1]: the engine's */
	unsigned ntables;
	int status;                      /* SCRIPT_OK or SCRIPT_FAIL so far */
	bool dead;
	struct scen_proc *procs;         /* every process created, in order */
	unsigned nprocs;                 /* the last process number given */
	unsigned cap_procs;
	unsigned cur;                    /* the current process's number */
};

/* Parse PROT ("rw-"): 0 or -1. */
int scen_parse_prot(const char *s, unsigned *prot);
/* Parse PROT argument of kw: 0 or -1 with msg. */
int scen_prot_arg(const char *kw, const char *s, unsigned *prot, char *msg, size_t msglen);
/* Parse BYTE argument (a number up to 0xff) of kw: 0 or -1 with msg. */
int scen_byte_arg(const char *kw, const char *s, uint8_t *byte, char *msg, size_t msglen);

/* Parse one line inside an `expect maps` block ("START-END PERMS"): 0 or -1
 * with msg. */
int scen_parse_map_line(int argc, char **argv, struct scen_map *m, char *msg, size_t msglen);

/* A `maps` line, without newline: "100000000000-100000004000 rw-p". */
void scen_format_map(const struct scen_map *m, char *buf, size_t size);
/* PROT as three characters plus NUL into buf[4]. */
void scen_format_prot(unsigned prot, char buf[4]);
/* An errno as the transcript prints it ("EINVAL", or "ERRNO_200"). */
void scen_format_errno(int e, char *buf, size_t size);

/* The mappings intersecting the scenario window: 0, or -1 if the backend
 * died (ops.c, used by expect maps). */
int scen_window_maps(struct script_session *s, struct scen_map **maps, size_t *n);
/* Print mapping lines (ops.c). */
void scen_print_maps(const struct scen_map *maps, size_t n, FILE *out);
/* A dead backend as a run result: SCEN_CMD_DEAD with its reason in io->msg. */
int scen_backend_dead(struct script_session *s, struct scen_io *io);

/* The entry argv names among the session's tables (cmd.c), its table's
 * context in *ctx; NULL with msg if none. */
const struct scen_cmd *scen_session_lookup(const struct script_session *s, int argc,
					   char **argv, void **ctx, char *msg, size_t msglen);
/* The run function of `help` (cmd.c); ctx is the session. */
int scen_run_help(void *ctx, const struct scen_stmt *st, struct scen_io *io);

/* The session's process table with process 1 (handle 0) current:
 * 0, or -1 out of memory (process.c). */
int scen_procs_init(struct script_session *s);
void scen_procs_free(struct script_session *s);

/* Print "TEXT -> RESULT" and remember RESULT for `expect result` (ops.c). */
int scen_print_result(struct script_session *s, struct scen_io *io, const char *text,
		      const char *result);
/* The result text of a call: an errno name for -4095..-1, else `ok` for 0
 * when !is_addr, else the value in hex (ops.c). */
void scen_format_call(int64_t res, bool is_addr, char *buf, size_t size);
/* Print "TEXT -> ENOSYS" for an operation the backend does not have. */
int scen_print_enosys(struct script_session *s, struct scen_io *io, const char *text);

/* The parse and run functions of the version-2 entries of the engine's
 * operation table (ops_v2.c, process.c). */
int scen_parse_mremap(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);
int scen_run_mremap(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int scen_parse_madvise(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);
int scen_run_madvise(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int scen_parse_mlock(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);
int scen_run_mlock(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int scen_parse_munlock(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);
int scen_run_munlock(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int scen_run_fork(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int scen_parse_process(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);
int scen_run_process(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int scen_run_exit(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int scen_parse_cpu(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);
int scen_run_cpu(void *ctx, const struct scen_stmt *st, struct scen_io *io);

/* Free what a statement owns (maps); *st stays valid but empty. */
void scen_stmt_release(struct scen_stmt *st);

#endif
