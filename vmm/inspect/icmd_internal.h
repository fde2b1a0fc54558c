/*
 * What the inspection command files share (icmd.c: the table, ptdump,
 * stats, walk, mm list; icmd_vmas.c: the commands over one snapshot of
 * VMAs, leaves and pages: vmas, maps --full, smaps, check, expect clean).
 * Not for use outside vmm/inspect/.
 */
#ifndef VMM_INSPECT_ICMD_INTERNAL_H
#define VMM_INSPECT_ICMD_INTERNAL_H

#include "vmm/inspect/icmd.h"
#include "vmm/inspect/snapshot.h"

/* A JSON form was asked for (st->how of the commands without modes). */
#define ICMD_JSON             1u

/* The current address space (0: the first used slot). */
uint32_t icmd_current_mm(const struct icmd_ctx *c);

/* The used slot with id mm, or the first used one for mm 0; NULL if none. */
const struct mm_desc *icmd_pick_mm(const struct mm_table *t, uint32_t mm);

/* A command could not read what it needed (io->msg says why): an error,
 * or the guest's death if that is the reason. */
int icmd_read_error(const struct icmd_ctx *c, struct scen_io *io);

/* Is word the JSON option ("json" or "--json")? */
bool icmd_is_json(const char *word);

/* Parse "NAME [json]" (argv[0] the name's first word, words the name's
 * word count). */
int icmd_parse_json_opt(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);

/* The run functions of icmd_vmas.c. */
int icmd_parse_maps_full(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);
int icmd_run_vmas(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int icmd_run_maps_full(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int icmd_run_smaps(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int icmd_parse_check(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);
int icmd_run_check(void *ctx, const struct scen_stmt *st, struct scen_io *io);
int icmd_run_clean(void *ctx, const struct scen_stmt *st, struct scen_io *io);
/* icmd_tlb.c */
int icmd_run_tlb(void *ctx, const struct scen_stmt *st, struct scen_io *io);

#endif
