/*
 * The recorder's state (report.c), for the module's own files.
 */
#ifndef VMM_REPORT_REPORT_INT_H
#define VMM_REPORT_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/report/report.h"

struct report {
	char *title;
	struct rstep *steps;
	size_t nsteps, cap;
	size_t bytes;          /* rstep_bytes of the kept steps */
	size_t dropped;        /* steps not kept: the report was full */
	bool full;
	uint64_t *anon;        /* anon_vma pointers; number = index + 1 */
	size_t nanon;
};

/* Append helpers for the step's capped lists (report_model.c). */

#endif
