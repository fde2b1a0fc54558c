/*
 * Invariant checker of the guest's memory manager, from guest memory alone
 * (a consistent snapshot, snapshot.h).  The rules, and the name each
 * violation carries, are listed in docs/inspection.md:
 *
 *   vma-list, map-count, walk, frame-outside-ram, pte-outside-vma,
 *   pte-not-user, pte-prot-none, pte-write, zero-writable, frame-type,
 *   frame-refcount, frame-leak, zero-refcount, zero-page, free-refcount,
 *   pgtable-type, pgtable-shared, pgtable-empty-gap, frames-free,
 *   frames-total, frames-zero, mm-counter, mm-table.
 */
#ifndef VMM_INSPECT_CHECK_H
#define VMM_INSPECT_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/inspect/snapshot.h"

/* Violations kept in a report; later ones are only counted. */
#define CHECK_MAX_KEPT        1000

#define VIOL_HAS_VA           (1u << 0)
#define VIOL_HAS_PTE          (1u << 1)
#define VIOL_HAS_MM           (1u << 2)

struct violation {
	const char *rule;        /* static rule name */
	unsigned what;           /* VIOL_HAS_* */
	uint32_t mm;
	uint64_t va;
	uint64_t pte;
	char msg[200];
};

struct check_report {
	struct violation *v;     /* the first CHECK_MAX_KEPT */
	size_t n;                /* kept */
	size_t total;            /* found */
	/* what was checked */
	unsigned mms;
	size_t vmas, leaves, tables, frames;
};

/*
 * Check every rule on s, which must have been taken with walk and pages for
 * every mm (opts.mm = 0); otherwise returns -EINVAL.  Returns the number of
 * violations found (0 = clean) and fills *r (free with check_report_free),
 * or -ENOMEM.
 */
long check_snapshot(const struct snapshot *s, struct check_report *r);

/*
 * Print the kept violations, one per line:
 *   violation: RULE [mm=ID] [va=0xADDR] [pte=0xVALUE]: MESSAGE
 * then "... and N more" if some were only counted.
 */
void check_report_print(FILE *out, const struct check_report *r);

void check_report_free(struct check_report *r);

#endif
