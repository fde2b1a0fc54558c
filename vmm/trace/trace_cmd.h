/*
 * The trace's commands and per-line output in the sessions of a VM
 * (trace_cmd.c).
 */
#ifndef VMM_TRACE_TRACE_CMD_H
#define VMM_TRACE_TRACE_CMD_H

#include "vmm/script/cmd.h"

struct inspect_ext;
struct script_session;

/* `trace on [FORMAT]`, `trace off` (struct inspect_ext as context). */
extern const struct scen_cmd_table trace_commands;

/* Register trace_commands in s; if the per-line output is on (vmm
 * --trace), hook x's backend.  0 or -ENOSPC. */
int trace_attach(struct script_session *s, struct inspect_ext *x);

/* Put the trace's after_step hook in front of the backend's (once): after
 * every line, what the guest recorded is printed, then the previous hook
 * runs.  Call it after any other hook was set. */
void trace_hook_backend(struct inspect_ext *x);

#endif
