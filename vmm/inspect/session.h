/*
 * The guest-only commands of a live VM, plugged into the scenario engine
 * (vmm/script): vmm registers the same tables in every session, whether it
 * reads a script, standard input or the control socket, so every line a
 * user can type goes through the one dispatch path and `help` lists the
 * same commands everywhere:
 *  - icmd_commands (vmm/inspect/icmd.h): ptdump, vmas, walk, stats, check,
 *    mm list, expect clean, over guest memory;
 *  - inspect_vm_commands: mm new/use/destroy and inject, which ask the guest
 *    or switch the scenario's address space.
 * And inspect_after_step(): the engine's after_step hook, running the
 * invariant checker and the TLB-coherence checker after every executed
 * line (vmm --check).
 */
#ifndef VMM_INSPECT_SESSION_H
#define VMM_INSPECT_SESSION_H

#include <stddef.h>
#include <stdio.h>

#include "vmm/inspect/icmd.h"
#include "vmm/script/cmd.h"

struct vm;
struct scen_backend;
struct script_session;

/* What the guest-only commands work on; shared by every session of a VM. */
struct inspect_ext {
	struct vm *vm;
	struct scen_backend *be;  /* the guest backend whose mm is "current" */
	struct icmd_ctx icmd;     /* set up by inspect_ext_init */
	/* the after_step hook the trace's runs before (vmm/trace/trace_cmd.h) */
	int (*trace_prev)(void *ctx, struct scen_backend *be, FILE *out, FILE *err);
	void *trace_prev_ctx;
};

/* The VM's table (struct inspect_ext as context). */
extern const struct scen_cmd_table inspect_vm_commands;

/* Fill x for vm and its guest backend be (both outlive x). */
void inspect_ext_init(struct inspect_ext *x, struct vm *vm, struct scen_backend *be);

/*
 * Register the guest-only tables in s (after the language's): icmd_commands
 * with &x->icmd, inspect_vm_commands with x.  0 or -ENOSPC.
 */
int inspect_attach(struct script_session *s, struct inspect_ext *x);

/*
 * after_step hook (struct scen_backend.after_step); ctx is a struct
 * inspect_ext.  Runs the checker over every mm; prints nothing while the
 * state is clean, else "check: N violations" and the violation lines to
 * err.  Then replays the TLB-coherence log if the VM keeps one
 * (vm_tlbcheck_step: a new violation is "tlbcheck: N violation(s)" and
 * its message).  Returns 0, 1 (violations or unreadable state) or 3
 * (guest dead).
 */
int inspect_after_step(void *ctx, struct scen_backend *be, FILE *out, FILE *err);

#endif
