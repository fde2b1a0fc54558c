/*
 * vmm's command line (options.h): every option checked for its form before
 * anything is opened; main.c checks the files it names.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/exit_status.h"
#include "vmm/gdb/gdb.h"
#include "vmm/options.h"
#include "vmm/script/cmd.h"
#include "vmm/script/script.h"

_Static_assert(VM_MAX_CPUS == 8, "--help says 1 to 8 CPUs");

static const char usage[] =
	"usage: vmm [OPTIONS] [GUEST.ELF]\n"
	"       vmm --info | --help | --version\n"
	"\n"
	"Boot GUEST.ELF (an x86-64 ELF kernel built for this vmm; without it, the\n"
	"installed guest.elf, or $VMM_GUEST) on KVM and run a scenario against its\n"
	"memory manager: from FILE with --script, from a control socket with\n"
	"--control, otherwise from standard input (with line editing, history and a\n"
	"prompt when it is a terminal) until end of input.  The transcript goes to\n"
	"standard output; guest console lines ([guest] ...) and diagnostics to\n"
	"standard error.  Scripts, standard input and the control socket take the\n"
	"same commands: the scenario language (vmm-scenario(5)) plus the guest-only\n"
	"ones (ptdump, vmas, maps --full, smaps, walk, stats, check, tlbcheck, mm,\n"
	"inject, expect clean); the command help lists them all.\n"
	"\n"
	"options:\n"
	"  --script FILE   run the scenario in FILE (parsed whole before it runs)\n"
	"  --out-dir DIR   with one or more --script FILE: run them one after\n"
	"                  another on one guest, each with a new process, and write\n"
	"                  each one's transcript, diagnostics and exit status to\n"
	"                  DIR/NAME.out, .err and .status (NAME: FILE's name without\n"
	"                  .scn; DIR is made if missing); a scenario that kills the\n"
	"                  guest ends the run; vmm exits with the highest status\n"
	"  --mem SIZE      guest RAM, a multiple of 2M from 16M to 3G (default 128M):\n"
	"                  a number as in scenarios, decimal (leading zeros allowed)\n"
	"                  or 0x hex, with an optional suffix K, M or G\n"
	"  --cpus N        guest CPUs, 1 to 8 (default 2): one host thread each;\n"
	"                  requests run on CPU 0 unless a `cpu N` line moves the\n"
	"                  scenario (vmm-scenario(5)); vmm is ready when all are\n"
	"                  online\n"
	"  --check         run the invariant checker (docs/inspection.md) after every\n"
	"                  executed line: a scenario stops at the first violation\n"
	"                  (exit 1); with --control, a request after which it finds\n"
	"                  one is answered 'error: the check after this line failed'.\n"
	"                  The guest also logs its TLB flushes and frees, and the\n"
	"                  TLB-coherence checker (docs/tlb.md) replays them after\n"
	"                  every line the same way\n"
	"  --control PATH  serve a control socket (mode 0600) at PATH instead of\n"
	"                  reading a scenario: clients such as vmmctl send lines\n"
	"                  while the VM runs; SIGINT or SIGTERM stops it\n"
	"  --gdb PORT      serve gdb's remote protocol for the guest kernel on\n"
	"                  127.0.0.1:PORT (--gdb unix:PATH: on a UNIX socket), one\n"
	"                  client at a time: target remote :PORT (docs/gdb.md)\n"
	"  --gdb-wait      with --gdb: hold the guest before its first instruction\n"
	"                  until gdb lets it run\n"
	"  --report FILE   write FILE, one self-contained HTML page that shows every\n"
	"                  executed line's effect on the scenario window (VMAs, pages,\n"
	"                  page tables, what changed) with its transcript; with\n"
	"                  --control, every request until the server stops\n"
	"                  (docs/report.md)\n"
	"  --trace[=FORMAT]  print the memory manager's steps (docs/trace.md) after\n"
	"                  every line, to standard error (a control socket: to the\n"
	"                  client, as '# ' lines); FORMAT text (default), json or\n"
	"                  chrome; the `trace on|off` command switches it too\n"
	"  --trace-file FILE  write the trace to FILE instead (implies --trace)\n"
	"  --timeout SECONDS  declare the guest stopped when a request has had no\n"
	"                  answer and made no progress for this long (default 120;\n"
	"                  decimals allowed, e.g. 0.5): a long request that keeps\n"
	"                  the guest working is never cut short; on a terminal a\n"
	"                  progress line shows requests that run over a second\n"
	"  --quiet         do not print guest console lines, nor the control\n"
	"                  socket's connect and disconnect lines\n"
	"  --info          print what /dev/kvm offers here (backend, capabilities,\n"
	"                  cost of an exit) and exit\n"
	"  -h, --help      this text\n"
	"  -V, --version   the version\n"
	"\n"
	"exit status: 0 done and every expectation held, 1 an expectation failed,\n"
	"check found violations, a command could not run, or an error outside the\n"
	"guest (e.g. /dev/kvm unusable: the message says why and what to do), 2 bad\n"
	"options, script, guest ELF or control socket path (checked before the\n"
	"guest boots), 3 the guest crashed or stopped answering (a report with its\n"
	"registers, a page walk of RIP and CR2 and its last console lines follows).\n";


int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "vmm: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "try 'vmm --help'\n");
	return VMM_EXIT_INPUT;
}

/* "--timeout SECONDS" (decimals allowed) into whole milliseconds: 0, or
 * -1 unless 1 ms <= it <= 1 day. */
static int parse_timeout(const char *arg, uint32_t *ms)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno || end == arg || *end || !(s >= 0.001 && s <= 86400.0))
		return -1;
	*ms = (uint32_t)(s * 1000.0 + 0.5);
	return 0;
}

/* Parse argv into o: -1 to go on, else the exit status. */
int options_parse(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "script", required_argument, NULL, 's' },
		{ "out-dir", required_argument, NULL, 'O' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check", no_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "report", required_argument, NULL, 'r' },
		{ "info", no_argument, NULL, 'i' },
		{ "trace", optional_argument, NULL, 't' },
		{ "trace-file", required_argument, NULL, 'T' },
		{ "gdb", required_argument, NULL, 'g' },
		{ "gdb-wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hV", opts, NULL)) != -1) {
		switch (c) {
		case 's': o->script = o->scripts[o->nscripts++] = optarg; break;
		case 'O': o->out_dir = optarg; break;
		case 'm':
			/* A size as the scenario language reads numbers ("128M"). */
			if (scen_parse_number(optarg, &o->cfg.mem_size) != 0 || !o->cfg.mem_size)
				return bad_usage("--mem needs a size such as 128M", optarg);
			break;
		case 'p': {
			uint64_t n;
			if (scen_parse_number(optarg, &n) != 0 || n < 1 || n > VM_MAX_CPUS)
				return bad_usage("--cpus needs a number of CPUs from 1 to 8", optarg);
			o->cfg.nr_cpus = (unsigned)n;
			break;
		}
		case 'q': o->cfg.quiet = true; break;
		case 'c': o->check = o->cfg.tlblog = true; break;
		case 'C': o->control = optarg; break;
		case 'r': o->report = optarg; break;
		case 'i': o->info = true; break;
		case 't':
			o->trace = true;
			if (optarg && trace_format_parse(optarg, &o->trace_format) != 0)
				return bad_usage("--trace takes text, json or chrome", optarg);
			break;
		case 'T': o->trace = true; o->trace_path = optarg; break;
		case 'g': o->gdb = optarg; break;
		case 'w': o->gdb_wait = true; break;
		case 'o':
			if (parse_timeout(optarg, &o->cfg.request_timeout_ms) != 0)
				return bad_usage("--timeout needs seconds, more than 0 and at most 86400",
						 optarg);
			break;
		case 'h': fputs(usage, stdout); return VMM_EXIT_OK;
		case 'V': printf("vmm (vmm-mm) %s\n", VMM_MM_VERSION); return VMM_EXIT_OK;
		case ':': return bad_usage("option needs an argument", argv[optind - 1]);
		default: return bad_usage("unknown option", argv[optind - 1]);
		}
	}
	if (o->info)
		return -1;
	if (o->control && o->script)
		return bad_usage("--control and --script exclude each other", NULL);
	if (o->nscripts > 1 && !o->out_dir)
		return bad_usage("several --script need --out-dir DIR for their results", NULL);
	if (o->out_dir && !o->script)
		return bad_usage("--out-dir needs --script", NULL);
	if (o->out_dir && o->report)
		return bad_usage("--report shows one scenario: not with --out-dir", NULL);
	if (o->gdb_wait && !o->gdb)
		return bad_usage("--gdb-wait needs --gdb", NULL);
	if (o->gdb) {
		char msg[160];
		if (gdb_addr_check(o->gdb, msg, sizeof msg) != 0)
			return bad_usage(msg, NULL);
	}
	if (optind < argc - 1)
		return bad_usage("more than one guest ELF given", argv[optind + 1]);
	return -1;
}

