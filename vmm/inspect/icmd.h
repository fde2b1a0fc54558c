/*
 * Inspection commands over guest memory alone (no request to the guest):
 * ptdump, vmas, walk, stats, check, mm list and `expect clean`, as a command
 * table of the scenario engine (vmm/script/cmd.h) that vmm registers in
 * every session, so that scripts, standard input and the control socket
 * know them alike.  Each reads a consistent snapshot (snapshot.h) and prints
 * transcript-style lines; the formats are in docs/inspection.md.  An answer
 * is printed only once it is complete, so an error never leaves half an
 * answer behind.
 */
#ifndef VMM_INSPECT_ICMD_H
#define VMM_INSPECT_ICMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/gmem.h"
#include "vmm/inspect/check.h"
#include "vmm/script/cmd.h"

/* The context icmd_commands run with. */
struct icmd_ctx {
	struct gmem g;                       /* the guest's RAM */
	/* The current address space (0: the first used mm slot). */
	uint32_t (*current_mm)(void *arg);
	/* NULL while the guest lives, else why it died; an error reading a
	 * dead guest's memory is then reported as the guest's death.  The
	 * function pointer may be NULL (memory that cannot die). */
	const char *(*failure)(void *arg);
	void *arg;
};

/* The table (struct icmd_ctx as context). */
extern const struct scen_cmd_table icmd_commands;

/*
 * Snapshot every mm with its walk and page array and run the checker: the
 * number of violations (rep filled: check_report_free it), or -1 with the
 * reason in msg.
 */
long icmd_run_checker(const struct gmem *g, struct check_report *rep, char *msg, size_t len);

#endif
