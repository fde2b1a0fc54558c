/*
 * Inspection commands plugged into the scenario engine (vmm/script): the
 * guest-only commands of docs/inspection.md (ptdump, vmas, walk, stats,
 * check, mm list/new/use/destroy, help) for a live VM, as
 *  - inspect_command(): one command, for the control socket;
 *  - inspect_script_extra(): the engine's extension hook, so that scenario
 *    files can use them too (plus `expect clean`);
 *  - inspect_after_step(): the engine's after_step hook, running the
 *    invariant checker after every executed line (vmm --check).
 */
#ifndef VMM_INSPECT_SESSION_H
#define VMM_INSPECT_SESSION_H

#include <stddef.h>
#include <stdio.h>

struct vm;
struct scen_backend;
struct script_session;

struct inspect_ext {
	struct vm *vm;
	struct scen_backend *be;  /* the guest backend whose mm is "current" */
	struct script_session *session;  /* optional: gets the result of `mm
	                                    new/use/destroy` for `expect result` */
};

#define INSPECT_DEAD          3   /* the guest died during the command */

/*
 * Run one inspection command (argv[0] its keyword; `check` only without
 * arguments).  Returns ICMD_UNKNOWN (not one, vmm/inspect/icmd.h),
 * ICMD_OK, ICMD_FAIL (check found violations), ICMD_ERROR (message in err,
 * nothing on out) or INSPECT_DEAD (reason in err).  out == NULL only
 * validates the arguments.
 */
int inspect_command(struct inspect_ext *x, int argc, char **argv, FILE *out,
		    char *err, size_t errlen);

/* script_extra_fn (vmm/script/script.h); ctx is a struct inspect_ext. */
int inspect_script_extra(void *ctx, int argc, char **argv, FILE *out, FILE *err);

/*
 * after_step hook (struct scen_backend.after_step); ctx is a struct
 * inspect_ext.  Runs the checker over every mm; prints nothing while the
 * state is clean, else "check: N violations" and the violation lines to
 * err.  Returns 0, 1 (violations or unreadable state) or 3 (guest dead).
 */
int inspect_after_step(void *ctx, struct scen_backend *be, FILE *out, FILE *err);

#endif
