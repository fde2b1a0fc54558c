/*
 * vmm: run a guest kernel on KVM and drive its memory manager with the
 * scenario language (from a file, standard input or a control socket).
 * Every argument is checked before the guest boots, so that a mistyped
 * option, script or socket path costs nothing (exit 2).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/layout.h"
#include "vmm/control.h"
#include "vmm/exit_status.h"
#include "vmm/gdb/gdb.h"
#include "vmm/info.h"
#include "vmm/inspect/session.h"
#include "vmm/paths.h"
#include "vmm/prompt.h"
#include "vmm/report/report_run.h"
#include "vmm/script/cmd.h"
#include "vmm/script/script.h"
#include "vmm/trace/trace.h"
#include "vmm/trace/trace_cmd.h"
#include "vmm/vm.h"

#define VMM_DEFAULT_CPUS 2

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

struct options {
	struct vm_config cfg;
	const char *script, *control, *report, *trace_path, *gdb;
	FILE *script_file, *report_file, *trace_file;
	bool info, check, trace, gdb_wait;
	enum trace_format trace_format;
	char guest[PATH_MAX];
};

static int bad_usage(const char *msg, const char *arg)
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
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option opts[] = {
		{ "script", required_argument, NULL, 's' },
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
		case 's': o->script = optarg; break;
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

/* Everything that can be checked before the guest boots: the guest ELF
 * path (or the installed default), the script, the socket path.  -1 to go
 * on, else the exit status. */
static int check_inputs(int argc, char **argv, struct options *o)
{
	char tried[2048];

	if (optind == argc - 1) {
		o->cfg.guest_path = argv[optind];
	} else if (vmm_path_default_guest(o->guest, sizeof o->guest, tried, sizeof tried) == 0) {
		o->cfg.guest_path = o->guest;
	} else {
		fprintf(stderr, "vmm: no guest ELF given, and no installed one (looked at %s)\n",
			tried);
		return bad_usage("name one, e.g. build/bin/guest.elf", NULL);
	}
	if (o->script && !(o->script_file = fopen(o->script, "r"))) {
		fprintf(stderr, "vmm: cannot read %s: %s\n", o->script, strerror(errno));
		return VMM_EXIT_INPUT;
	}
	if (o->control && control_check_path(o->control) != 0)
		return VMM_EXIT_INPUT;
	if (o->trace_path && !(o->trace_file = fopen(o->trace_path, "w"))) {
		fprintf(stderr, "vmm: cannot write %s: %s\n", o->trace_path, strerror(errno));
		return VMM_EXIT_INPUT;
	}
	if (o->report && !(o->report_file = fopen(o->report, "w"))) {
		fprintf(stderr, "vmm: cannot write the report %s: %s\n", o->report, strerror(errno));
		return VMM_EXIT_INPUT;
	}
	return -1;
}

/* --check: the checker's violations stop the run at the first bad step. */
static int check_step(void *ctx, struct scen_backend *be, FILE *out, FILE *err)
{
	int r = inspect_after_step(ctx, be, out, err);

	return r == SCRIPT_FAIL ? SCRIPT_STOP : r;
}

/* Run the session's input with the transcript to out. */
static int run_input(struct script_session *sess, const struct options *o, const char *name,
		     FILE *out)
{
	int status;

	if (o->script_file)
		status = script_session_run_file(sess, o->script_file, out, stderr);
	else if (isatty(STDIN_FILENO))
		status = prompt_run(sess, name, stdin, out, stderr);
	else
		status = script_session_run_stream(sess, stdin, out, stderr, NULL);
	fflush(out);
	return status;
}

/* run_input with --report: every executed line recorded, the page written
 * at the end (an unwritable page makes the run fail). */
static int run_reported(struct script_session *sess, struct options *o, const char *name,
			struct inspect_ext *ext)
{
	struct report_run rr;
	FILE *tee;
	int status;

	if (report_run_init(&rr, name, ext) != 0)
		return VMM_EXIT_FAIL;
	report_run_attach(&rr, ext->be);
	tee = report_run_tee(&rr, stdout);
	status = run_input(sess, o, name, tee ? tee : stdout);
	if (tee)
		fclose(tee);
	if (report_run_finish(&rr, o->report_file, o->report, stderr) != 0 && !status)
		status = VMM_EXIT_FAIL;
	o->report_file = NULL;
	return status;
}

static int run_scenario(struct vm *vm, struct options *o)
{
	struct scen_backend *be = backend_guest_new(vm);
	const char *name = o->script ? o->script : "<stdin>";
	struct script_session *sess;
	struct inspect_ext ext;
	int status;

	if (!be)
		return vm_failure(vm) ? VMM_EXIT_GUEST : VMM_EXIT_FAIL;
	sess = script_session_new(be, name);
	if (!sess) {
		backend_free(be);
		return VMM_EXIT_FAIL;
	}
	inspect_ext_init(&ext, vm, be);
	if (inspect_attach(sess, &ext) != 0) {
		script_session_free(sess);
		backend_free(be);
		return VMM_EXIT_FAIL;
	}
	if (o->check) {
		be->after_step = check_step;
		be->after_step_ctx = &ext;
	}
	if (o->trace && trace_configure(vm, o->trace_format, o->trace_file, true) == 0)
		trace_hook_backend(&ext);
	if (o->report_file)
		status = run_reported(sess, o, name, &ext);
	else
		status = run_input(sess, o, name, stdout);
	script_session_free(sess);
	backend_free(be);
	return status;
}

/* vm_create's result (vm.h) as an exit status. */
static int create_status(int r)
{
	switch (r) {
	case 0:
		return VMM_EXIT_OK;
	case -EINVAL:
	case -ENOEXEC:
		return VMM_EXIT_INPUT;
	case -EPIPE:
	case -ETIMEDOUT:
	case -EPROTO:
		return VMM_EXIT_GUEST;
	default:
		return VMM_EXIT_FAIL;   /* /dev/kvm, memory, threads */
	}
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* The exit status for what control_run returned (0 or -errno). */
static int control_status(int r)
{
	switch (-r) {
	case 0:
		return VMM_EXIT_OK;
	case EPIPE:           /* the guest failed */
		return VMM_EXIT_GUEST;
	case ENAMETOOLONG:    /* the path cannot be used */
	case EEXIST:
	case EADDRINUSE:
	case EACCES:
	case EPERM:
	case ENOENT:
	case ENOTDIR:
	case EISDIR:
	case EROFS:
	case ELOOP:
		return VMM_EXIT_INPUT;
	default:
		return VMM_EXIT_FAIL;
	}
}

/* --control with --report: every executed request recorded until the
 * server stops, then the page written. */
static int control_reported(struct vm *vm, struct options *o)
{
	struct report_run rr;
	struct control_opts co = { .stop = &stop_requested, .log = stderr,
				   .check_after_step = o->check, .quiet_clients = o->cfg.quiet,
				   .on_session = report_run_on_session,
				   .on_response = report_run_on_response, .hook_ctx = &rr };
	int status;

	if (report_run_init(&rr, o->control, NULL) != 0)
		return VMM_EXIT_FAIL;
	status = control_status(control_serve(vm, o->control, &co));
	if (report_run_finish(&rr, o->report_file, o->report, stderr) != 0 && !status)
		status = VMM_EXIT_FAIL;
	o->report_file = NULL;
	return status;
}

static int run_control(struct vm *vm, struct options *o)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (o->trace && trace_configure(vm, o->trace_format, o->trace_file, true) != 0)
		return VMM_EXIT_FAIL;
	if (o->report_file)
		return control_reported(vm, o);
	return control_status(control_run(vm, o->control, &stop_requested, o->check,
					  o->cfg.quiet));
}

/* A message of vm_create, one "vmm: " line per line. */
static void print_lines(const char *msg)
{
	for (const char *p = msg; *p;) {
		size_t n = strcspn(p, "\n");

		fprintf(stderr, "vmm: %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

int main(int argc, char **argv)
{
	struct options o = { .cfg = { .mem_size = GUEST_MEM_DEFAULT, .nr_cpus = VMM_DEFAULT_CPUS } };
	char err[4096] = "";
	struct gdb_stub *gdb = NULL;
	struct vm *vm;
	int status;

	if ((status = parse_args(argc, argv, &o)) >= 0)
		return status;
	if (o.info)
		return info_print(stdout) ? VMM_EXIT_FAIL : VMM_EXIT_OK;
	if ((status = check_inputs(argc, argv, &o)) >= 0)
		return status;
	signal(SIGPIPE, SIG_IGN);
	if (isatty(STDERR_FILENO))
		o.cfg.progress = stderr;
	if (o.gdb) {
		if (gdb_stub_start(o.gdb, o.gdb_wait, stderr, &gdb, err, sizeof err) != 0) {
			fprintf(stderr, "vmm: %s\n", err);
			return VMM_EXIT_INPUT;
		}
		o.cfg.debugger = gdb_stub_debugger(gdb);
		if (o.gdb_wait)
			fprintf(stderr, "vmm: gdb: the guest waits for gdb at %s\n", o.gdb);
	}

	status = create_status(vm_create(&o.cfg, &vm, err, sizeof(err)));
	if (status == VMM_EXIT_OK)
		status = o.control ? run_control(vm, &o) : run_scenario(vm, &o);
	else if (status != VMM_EXIT_GUEST)
		print_lines(err);
	if (status == VMM_EXIT_GUEST && vm)
		vm_report_failure(vm, stderr);
	gdb_stub_stop(gdb);
	vm_destroy(vm);
	gdb_stub_free(gdb);
	if (o.script_file)
		fclose(o.script_file);
	if (o.trace_file)
		fclose(o.trace_file);
	if (o.report_file)      /* the guest never ran a line: an empty file */
		fclose(o.report_file);
	return status;
}
