/*
 * Running one line through the inspection commands as a vmm session would
 * (the language's tables first, then icmd_commands), on any guest memory:
 * for the format and documentation tests.
 */
#ifndef TESTS_INSPECT_ICMD_RUN_H
#define TESTS_INSPECT_ICMD_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/gmem.h"

#define ICMD_RUN_UNKNOWN (-1)   /* not an inspection command */

/*
 * Run line on g with mm current: the command's SCEN_CMD_* status (a parse
 * error is SCEN_CMD_ERROR), or ICMD_RUN_UNKNOWN.  *out gets what it printed
 * (malloc'ed, free it), err the problem message ("" if none).
 */
int icmd_run_line(const struct gmem *g, uint32_t mm, const char *line, char **out,
		  char *err, size_t errlen);

#endif
