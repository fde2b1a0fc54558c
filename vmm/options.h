/*
 * vmm's command line: its options, their checks, --help.
 */
#ifndef VMM_OPTIONS_H
#define VMM_OPTIONS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vmm/trace/trace.h"
#include "vmm/vm.h"

#define VMM_DEFAULT_CPUS 2

struct options {
	struct vm_config cfg;
	const char *script, *control, *report, *trace_path, *gdb, *out_dir;
	const char **scripts;     /* every --script, in order (argv's strings) */
	size_t nscripts;
	FILE *script_file, *report_file, *trace_file;
	bool info, check, trace, gdb_wait;
	enum trace_format trace_format;
	char guest[PATH_MAX];
};

/* "vmm: MSG: ARG" and a pointer to --help on stderr; the exit status 2. */
int bad_usage(const char *msg, const char *arg);

/* Parse argv into o (o->scripts has room for argc entries): -1 to go on,
 * else the exit status (--help and --version print and give 0). */
int options_parse(int argc, char **argv, struct options *o);

#endif
