/*
 * One inspection line on guest memory: see icmd_run.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/inspect/icmd_run.h"
#include "vmm/inspect/icmd.h"
#include "vmm/script/cmd.h"

static uint32_t current;

static uint32_t current_mm(void *arg)
{
	(void)arg;
	return current;
}

static const struct scen_cmd_table *const tables[] = {
	&scen_operations, &scen_expectations, &icmd_commands,
};

/* The entry a session picks (every table with fitting arguments, then by
 * name alone); *lang: it is the language's own. */
static const struct scen_cmd *lookup(int argc, char **argv, int *lang)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < 3; k++) {
			const struct scen_cmd *c = scen_cmd_find(tables[k], argc, argv, pass);

			if (c) {
				*lang = k < 2;
				return c;
			}
		}
	}
	return NULL;
}

int icmd_run_line(const struct gmem *g, uint32_t mm, const char *line, char **out,
		  char *err, size_t errlen)
{
	struct icmd_ctx ctx = { .g = *g, .current_mm = current_mm };
	char buf[512], *argv[16];
	int argc = scen_split(line, buf, sizeof buf, argv, 16), lang = 0, r;
	const struct scen_cmd *c = argc > 0 ? lookup(argc, argv, &lang) : NULL;
	size_t len = 0;
	FILE *f;

	*out = NULL;
	err[0] = 0;
	f = open_memstream(out, &len);
	if (!c || lang) {
		r = ICMD_RUN_UNKNOWN;
	} else {
		struct scen_stmt st = { .cmd = c };
		struct scen_io io = { .out = f, .err = stderr };

		current = mm;
		if (c->parse(argc, argv, &st, err, errlen) < 0) {
			r = SCEN_CMD_ERROR;
		} else {
			r = c->run(&ctx, &st, &io);
			if (io.msg[0])
				snprintf(err, errlen, "%s", io.msg);
		}
	}
	fclose(f);
	return r;
}
