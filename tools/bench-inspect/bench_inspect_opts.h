/*
 * bench-inspect's command line (bench_inspect_opts.c).
 */
#ifndef TOOLS_BENCH_INSPECT_BENCH_INSPECT_OPTS_H
#define TOOLS_BENCH_INSPECT_BENCH_INSPECT_OPTS_H

#include <stdbool.h>
#include <stdint.h>

struct opts {
	const char *guest;
	uint64_t mem, size;
	unsigned runs;
	bool write, synthetic;
};

/* Options into *o: 0 to run; 1 when --help or --version was answered
 * (exit 0); 2 when refused, the usage on stderr. */
int parse_opts(int argc, char **argv, struct opts *o);

#endif
