/*
 * `tlbcheck [json]`: drain the VM's TLB-coherence log, replay it and print
 * the verdict with its counts (tlbcheck_print's format, docs/tlb.md), a
 * command table of the scenario engine's type that every session of a VM
 * has (registered by inspect_attach).  A violation or a refused log fails
 * the command, as `check` fails on a violation.
 */
#include <string.h>

#include "vmm/inspect/session.h"
#include "vmm/tlbcheck/tlbcheck_cmd.h"
#include "vmm/tlbcheck/vm_tlbcheck.h"

/* "tlbcheck" or "tlbcheck json" (--json too, as the inspection commands). */
static int parse_tlbcheck(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	st->how = 0;
	if (argc == 1)
		return 0;
	if (argc == 2 && (!strcmp(argv[1], "json") || !strcmp(argv[1], "--json"))) {
		st->how = 1;
		return 0;
	}
	scen_set_msg(msg, msglen, "tlbcheck: expected nothing or 'json'");
	return -1;
}

static int run_tlbcheck(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct inspect_ext *x = ctx;
	struct tlbcheck_counts c;
	char msg[TLBCHECK_MSG_MAX];
	enum tlbcheck_verdict v = vm_tlbcheck(x->vm, msg, sizeof msg, &c);

	tlbcheck_print(io->out, v, msg, &c, st->how != 0);
	if (v == TLBV_VIOLATION || v == TLBV_REFUSED) {
		scen_io_msg(io, "tlbcheck found %s", v == TLBV_VIOLATION ? "a violation" :
			    "the log unusable");
		return SCEN_CMD_FAIL;
	}
	return SCEN_CMD_OK;
}

static const struct scen_cmd cmds[] = {
	{ "tlbcheck", "[json]", "replay the TLB-coherence log (vmm --check): the verdict and counts",
	  0, 1, parse_tlbcheck, run_tlbcheck },
};

const struct scen_cmd_table tlbcheck_commands = { cmds, sizeof(cmds) / sizeof(cmds[0]) };
