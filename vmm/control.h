/*
 * The control socket: a UNIX stream socket (mode 0600) on which clients
 * (vmmctl, socat, tests) send lines of the scenario language plus the
 * inspection commands of docs/inspection.md, and get back the transcript.
 *
 * Protocol (docs/inspection.md, "Control protocol"): each request is one
 * line; its response is zero or more output lines followed by exactly one
 * status line, `ok` or `error: MESSAGE`, which no output line can look
 * like.  Requests run one at a time, in arrival order per client and
 * round-robin between clients; all clients share the VM and its current
 * address space, each has its own parser state (`expect maps` blocks,
 * `expect result`).
 */
#ifndef VMM_CONTROL_H
#define VMM_CONTROL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vmm/exit_status.h"      /* control_serve's results, for now */

struct vm;
struct script_session;
struct inspect_ext;

#define CONTROL_LINE_MAX      4096        /* longest request line */
#define CONTROL_MAX_CLIENTS   16
#define CONTROL_OUT_HIGH      (1u << 20)  /* stop reading a client with this much unsent */

struct control_opts {
	volatile sig_atomic_t *stop;          /* nonzero: return (may be NULL) */
	/* Called once the socket listens (tests use it to connect). */
	void (*on_ready)(void *ctx, const char *path);
	void *ctx;
	FILE *log;                            /* connections and errors (NULL: none) */
	int check_after_step;                 /* run the checker after every executed
						 line (vmm --check --control) */
	bool quiet_clients;                   /* do not log connects and disconnects
						 (vmm --quiet) */
	/* Called once the server's backend and its guest-only commands exist
	 * (the checker hook installed), before any request: a caller may chain
	 * a hook of its own (vmm --report).  May be NULL. */
	void (*on_session)(void *ctx, struct inspect_ext *x);
	/* Called with each request's whole response (its output lines and
	 * status line).  May be NULL. */
	void (*on_response)(void *ctx, const char *resp, size_t len);
	void *hook_ctx;                       /* for on_session and on_response */
};

/*
 * Check, before anything is started, that a control socket can be created
 * at path: its length, its directory (exists, writable), and what is there
 * now (nothing or a stale socket; not another kind of file, not a live
 * socket).  Changes nothing.  0, or control_serve's -errno for that path
 * (-ENOTDIR, -ENOENT or -EACCES for the directory) with a message on
 * stderr.
 */
int control_check_path(const char *path);

/*
 * Serve the control socket at path until *o->stop becomes nonzero or the
 * guest fails.  A stale socket file at path is replaced; any other existing
 * file is refused.  The socket file is removed on return.  Returns 0
 * (stopped), -EPIPE (the guest failed: vm_failure says why), or another
 * -errno: for an unusable path -ENAMETOOLONG, -EEXIST (not a socket),
 * -EADDRINUSE (another server's), or what lstat, unlink or bind said; for
 * other failures what socket, listen or poll said, -ENOMEM.  Messages go
 * to stderr.
 */
int control_serve(struct vm *vm, const char *path, const struct control_opts *o);

/* control_serve with the connection log on stderr: what vmm's main calls
 * for --control PATH (check: --check; quiet: --quiet, no connect and
 * disconnect lines).  stop is set by its SIGINT/SIGTERM handler. */
int control_run(struct vm *vm, const char *path, volatile sig_atomic_t *stop, bool check,
		bool quiet);

/*
 * The response to one request line of len bytes (control_respond.c): run it
 * in session s (script_session_exec) and return, in a malloc'ed *resp of
 * *resplen bytes, its output lines, the session's diagnostics as "# "
 * comment lines, and the status line ("ok" or "error: MESSAGE").  *resp is
 * NULL if memory ran out.  Returns the line's SCRIPT_* status (SCRIPT_DEAD:
 * the guest died, stop serving).
 */
int control_respond(struct script_session *s, const char *line, size_t len,
		    char **resp, size_t *resplen);

#endif
