/*
 * vmm --out-dir: several scenarios, one after another, on one booted guest.
 *
 * Each FILE runs in a new session with a new process (the previous one's
 * processes are gone) and writes its transcript to DIR/NAME.out, its
 * diagnostics to DIR/NAME.err and its exit status (0 to 3, as vmm's own)
 * to DIR/NAME.status, NAME being FILE's last component without ".scn".
 * Saves a boot per scenario: what a corpus or a differential campaign
 * spends most of its time on where vmm starts slowly.
 */
#ifndef VMM_BATCH_H
#define VMM_BATCH_H

#include <stddef.h>
#include <stdio.h>

/* Run one scenario from in (named name), transcript to out, diagnostics to
 * err: an exit status (vmm/exit_status.h). */
typedef int (*batch_run_fn)(void *ctx, const char *name, FILE *in, FILE *out, FILE *err);

/* Before the guest boots: every script readable, no two with the same
 * NAME, dir a directory (made if missing) where files can be written.
 * 0, or -1 with the reason on err. */
int batch_check(const char *const *scripts, size_t n, const char *dir, FILE *err);

/* Run the scripts in order.  Stops at the first that leaves the guest
 * dead (exit status 3): the ones after it are not run, and err says so.
 * Returns the highest exit status of the scenarios that ran (3 if the
 * guest died), or 1 if a result file could not be written. */
int batch_run(const char *const *scripts, size_t n, const char *dir, batch_run_fn run,
	      void *ctx, FILE *err);

#endif
