/*
 * Inspection commands over guest memory alone (no request to the guest):
 * ptdump, stats, check, vmas, walk, mm list.  Each reads a consistent
 * snapshot (snapshot.h) and prints transcript-style lines; the formats are
 * in docs/inspection.md.  Used by the control socket and by scenario
 * scripts through the engine's extension hook (vmm/inspect/session.c).
 */
#ifndef VMM_INSPECT_ICMD_H
#define VMM_INSPECT_ICMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/gmem.h"

#define ICMD_UNKNOWN   (-1)  /* not an inspection command */
#define ICMD_OK        0
#define ICMD_FAIL      1     /* ran; found violations (check) */
#define ICMD_ERROR     2     /* bad arguments or unreadable state: message in err */

/*
 * Run (out != NULL) or only validate (out == NULL) one inspection command,
 * argv[0] being its keyword, on address space mm (0: the first used slot).
 * Returns ICMD_UNKNOWN if argv[0] is not an inspection command, else
 * ICMD_OK / ICMD_FAIL, or ICMD_ERROR with a one-line message (no newline)
 * in err.  Output goes to out only once the whole answer is known, so an
 * error never leaves half an answer behind.
 */
int icmd_run(const struct gmem *g, uint32_t mm, int argc, char **argv, FILE *out,
	     char *err, size_t errlen);

/* Parse a number as the scenario language does: decimal or 0x hex, optional
 * K/M/G suffix.  0 or -1 (also on overflow). */
int icmd_parse_number(const char *s, uint64_t *val);

/* The help text, one command per line (without the header). */
void icmd_help(FILE *out);

#endif
