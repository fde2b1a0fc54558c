/*
 * gdb's `monitor LINE` (qRcmd): the line goes through the inspection
 * commands' table (vmm/inspect/icmd.h), the one every vmm session knows,
 * so ptdump, vmas, maps --full, walk, stats, check... work here as they do
 * at the prompt, and a command added to that table works here too.  They
 * read guest memory only: no request goes to the guest, which is stopped
 * (and whose channel the scenario may be using).  `maps` alone is
 * `maps --full` (the plain `maps` of the scenario language asks the
 * guest); `help` lists what there is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/gdb/target.h"
#include "vmm/inspect/icmd.h"
#include "vmm/script/cmd.h"
#include "vmm/vm.h"

#define LINE_MAX_BYTES 1024

static const struct scen_cmd_table *const tables[] = { &icmd_commands };
#define NTABLES (sizeof tables / sizeof tables[0])

static const char *failure(void *vm)
{
	return vm_failure(vm);
}

static const struct scen_cmd *find(int argc, char **argv, bool any)
{
	for (size_t i = 0; i < NTABLES; i++) {
		const struct scen_cmd *c = scen_cmd_find(tables[i], argc, argv, any);
		if (c)
			return c;
	}
	return NULL;
}

/* Parse and run one command line of argc words: 0, or -1 (the problem is
 * printed to f). */
static int run_words(struct vm *vm, int argc, char **argv, FILE *f)
{
	struct icmd_ctx ctx = { .g = vm_gmem(vm), .failure = failure, .arg = vm };
	const struct scen_cmd *c = find(argc, argv, false);
	struct scen_stmt st = { .cmd = c, .ctx = &ctx, .line = 1 };
	struct scen_io io = { .out = f, .err = f };
	char msg[SCEN_MSG_MAX] = "";
	int r;

	if (!c) {
		if (find(argc, argv, true))
			fprintf(f, "error: %s: wrong number of arguments; try 'monitor help'\n", argv[0]);
		else
			fprintf(f, "error: unknown monitor command '%s'; try 'monitor help'\n", argv[0]);
		return -1;
	}
	if (c->parse(argc, argv, &st, msg, sizeof msg) != 0) {
		fprintf(f, "error: %s\n", msg);
		free(st.maps);
		return -1;
	}
	r = c->run(&ctx, &st, &io);
	free(st.maps);
	if (r == SCEN_CMD_ERROR || r == SCEN_CMD_DEAD) {
		fprintf(f, "error: %s\n", io.msg);
		return -1;
	}
	return r == SCEN_CMD_OK ? 0 : -1;
}

int gdb_monitor_run(struct vm *vm, const char *line, char **out)
{
	char buf[LINE_MAX_BYTES], *words[SCEN_MAX_WORDS + 1], full[] = "--full";
	size_t size = 0;
	FILE *f = open_memstream(out, &size);
	int argc, r = 0;

	if (!f) {
		*out = NULL;
		return -1;
	}
	argc = scen_split(line, buf, sizeof buf, words, SCEN_MAX_WORDS);
	if (argc < 0) {
		fprintf(f, "error: the line is too long\n");
		r = -1;
	} else if (argc == 0 || strcmp(words[0], "help") == 0) {
		scen_help(f, tables, NTABLES);
		fprintf(f, "(maps alone is maps --full: memory is read, the stopped guest is not asked)\n");
	} else {
		if (argc == 1 && strcmp(words[0], "maps") == 0)
			words[argc++] = full;
		r = run_words(vm, argc, words, f);
	}
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return r;
}
