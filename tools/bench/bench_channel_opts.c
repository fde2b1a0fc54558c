/*
 * bench-channel's command line: its options and defaults, --help and
 * --version (tools/bench/bench_cli.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "tools/bench/bench_channel_opts.h"
#include "tools/bench/bench_cli.h"

static const char help[] =
	"usage: bench-channel [--guest ELF] [--vmm PATH] [--spin-dir DIR] [--runs N]\n"
	"                     [--calls N] [--batches N] | --help | --version\n"
	"\n"
	"How fast the guest gets ready and the request channel answers, against the\n"
	"project's targets: fork + vm_create until the guest's HC_READY, and a spawned\n"
	"vmm until its ready line; the no-op round trip, one request per doorbell and\n"
	"64 per doorbell, free and with the threads pinned apart; guest ring-0\n"
	"instructions per request and what one costs (spin_1m - spin_0).  Prints a\n"
	"Markdown table and the command line that reproduces it.  Needs /dev/kvm.\n"
	"\n"
	"  --guest ELF     guest kernel (default $VMM_BIN/guest.elf)\n"
	"  --vmm PATH      vmm to spawn (default $VMM_BIN/vmm); VMM_BIN defaults to\n"
	"                  the build's bin/\n"
	"  --spin-dir DIR  where spin_0.elf and spin_1m.elf are (default the build's\n"
	"                  tests/guests/)\n"
	"  --runs N        start runs (default 20)\n"
	"  --calls N       no-op calls (default 2000)\n"
	"  --batches N     batches of 64 (default 500)\n"
	"\n"
	"Reproduce: build/bin/bench-channel (a plain build; where this machine has no\n"
	"/dev/kvm, inside tools/kvm-machine.sh; docs/benchmarks.md has the results).\n";

int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "guest", required_argument, NULL, 'g' }, { "vmm", required_argument, NULL, 'v' },
		{ "runs", required_argument, NULL, 'r' }, { "calls", required_argument, NULL, 'c' },
		{ "batches", required_argument, NULL, 'b' }, { "spin-dir", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' }, { "version", no_argument, NULL, BENCH_OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *bin = getenv("VMM_BIN") && *getenv("VMM_BIN") ? getenv("VMM_BIN") : BENCH_BIN_DEFAULT;
	static char guest[4096], vmm[4096];
	int c;

	*o = (struct opts){ guest, vmm, BENCH_SPIN_DIR_DEFAULT, 20, 2000, 500 };
	snprintf(guest, sizeof(guest), "%s/guest.elf", bin);
	snprintf(vmm, sizeof(vmm), "%s/vmm", bin);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'g': o->guest = optarg; break;
		case 'v': o->vmm = optarg; break;
		case 'r': o->runs = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'c': o->calls = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'b': o->batches = (unsigned)strtoul(optarg, NULL, 0); break;
		case 's': o->spin_dir = optarg; break;
		case 'h': fputs(help, stdout); return 1;
		case BENCH_OPT_VERSION: bench_version("bench-channel"); return 1;
		default: return bench_refuse("bench-channel", help, NULL);
		}
	}
	if (optind != argc)
		return bench_refuse("bench-channel", help, argv[optind]);
	if (!o->runs || !o->calls || !o->batches) {
		fputs("bench-channel: --runs, --calls and --batches need a number above 0\n", stderr);
		return bench_refuse("bench-channel", help, NULL);
	}
	return 0;
}
