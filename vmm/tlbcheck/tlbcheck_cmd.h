/* The TLB-coherence checker's command in the sessions of a VM (tlbcheck_cmd.c). */
#ifndef VMM_TLBCHECK_TLBCHECK_CMD_H
#define VMM_TLBCHECK_TLBCHECK_CMD_H

#include "vmm/script/cmd.h"

/* `tlbcheck [json]` (struct inspect_ext as context). */
extern const struct scen_cmd_table tlbcheck_commands;

#endif
