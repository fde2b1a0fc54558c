/*
 * bench-inspect's command line: its options and defaults, --help and
 * --version (tools/bench/bench_cli.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/bench-inspect/bench_inspect_opts.h"
#include "tools/bench/bench_cli.h"

static const char help[] =
	"usage: bench-inspect [--guest ELF] [--mem SIZE] [--size SIZE] [--runs N]\n"
	"                     [--touch read|write] [--synthetic] | --help | --version\n"
	"\n"
	"The host's cost of inspecting a large address space: an mm with SIZE mapped\n"
	"in 4 KiB pages, every page faulted in, then RUNS dumps of its page tables as\n"
	"merged ranges (host CPU and wall time per dump, snapshot retries), a full\n"
	"check, and the latency of guest requests while dumps run against an idle\n"
	"baseline.  Prints a table and the command line that reproduces it.  Needs\n"
	"/dev/kvm unless --synthetic.\n"
	"\n"
	"  --guest ELF    guest kernel (default " BENCH_BIN_DEFAULT "/guest.elf)\n"
	"  --mem SIZE     guest RAM (default 512M for read, SIZE + 512M for write)\n"
	"  --size SIZE    bytes mapped in 4 KiB pages (default 1G)\n"
	"  --runs N       dumps to time (default 21)\n"
	"  --touch MODE   fault pages in by reading (zero page, default) or writing\n"
	"  --synthetic    build the page tables in a host buffer, no VM\n"
	"\n"
	"Reproduce: bench-inspect in a plain build's bin/ (where this machine has no\n"
	"/dev/kvm, inside tools/kvm-machine.sh); docs/inspection.md has the results.\n";

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);
	switch (*end) {
	case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	}
	return *end ? 0 : v;
}

int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "guest", required_argument, NULL, 'g' }, { "mem", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' }, { "runs", required_argument, NULL, 'r' },
		{ "touch", required_argument, NULL, 't' }, { "synthetic", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, BENCH_OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	bool bad_touch = false;
	int c;

	*o = (struct opts){ .guest = BENCH_BIN_DEFAULT "/guest.elf", .size = 1ULL << 30, .runs = 21 };
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'g': o->guest = optarg; break;
		case 'm': o->mem = parse_size(optarg); break;
		case 's': o->size = parse_size(optarg) & ~0xfffULL; break;
		case 'r': o->runs = (unsigned)strtoul(optarg, NULL, 0); break;
		case 't':
			o->write = strcmp(optarg, "write") == 0;
			bad_touch |= !o->write && strcmp(optarg, "read") != 0;
			break;
		case 'S': o->synthetic = true; break;
		case 'h': fputs(help, stdout); return 1;
		case BENCH_OPT_VERSION: bench_version("bench-inspect"); return 1;
		default: return bench_refuse("bench-inspect", help, NULL);
		}
	}
	if (optind != argc)
		return bench_refuse("bench-inspect", help, argv[optind]);
	if (!o->size || !o->runs || bad_touch) {
		fputs("bench-inspect: --size and --runs need a number above 0, --touch read or write\n",
		      stderr);
		return bench_refuse("bench-inspect", help, NULL);
	}
	if (!o->mem)
		o->mem = o->write ? o->size + (512ULL << 20) : 512ULL << 20;
	return 0;
}
