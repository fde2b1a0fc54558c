/*
 * vmm --out-dir (and linux-runner --out-dir): several scenarios, one after
 * another, on one booted guest (one linux-runner process).
 *
 * Each FILE runs in a new session with a new process (the previous one's
 * processes are gone) and writes its transcript to DIR/NAME.out, its
 * diagnostics to DIR/NAME.err and its exit status (0 to 3, as vmm's own)
 * to DIR/NAME.status, NAME being FILE's last component without ".scn".
 * Saves a boot (a process start) per scenario: what a corpus or a
 * differential campaign spends most of its time on where vmm starts
 * slowly (under a sanitizer, in tools/kvm-machine.sh).
 */
#ifndef VMM_BATCH_H
#define VMM_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Run one scenario from in (named name), transcript to out, diagnostics to
 * err: an exit status (vmm/exit_status.h). */
typedef int (*batch_run_fn)(void *ctx, const char *name, FILE *in, FILE *out, FILE *err);

/* Before the guest boots: every script readable, no two with the same
 * NAME, dir a directory (made if missing) where files can be written.
 * 0, or -1 with the reason on err. */
int batch_check(const char *const *scripts, size_t n, const char *dir, FILE *err);

/* Run the scripts in order.  With dead_ends_run, stops at the first that
 * leaves the backend dead (exit status 3: vmm's guest is gone), and err
 * says how many were not run.  Returns the highest exit status of the
 * scenarios that ran, or 1 if that is 0 and a result file could not be
 * written. */
int batch_run(const char *const *scripts, size_t n, const char *dir, batch_run_fn run,
	      void *ctx, bool dead_ends_run, FILE *err);

#endif
