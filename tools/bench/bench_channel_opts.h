/*
 * bench-channel's command line (bench_channel_opts.c).
 */
#ifndef TOOLS_BENCH_BENCH_CHANNEL_OPTS_H
#define TOOLS_BENCH_BENCH_CHANNEL_OPTS_H

struct opts {
	const char *guest, *vmm, *spin_dir;
	unsigned runs, calls, batches;
};

/* Options into *o (strings in static buffers): 0 to run; 1 when --help or
 * --version was answered (exit 0); 2 when refused, the usage on stderr. */
int parse_opts(int argc, char **argv, struct opts *o);

#endif
