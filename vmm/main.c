/*
 * vmm: run a guest kernel on KVM and drive its memory manager with the
 * scenario language (from a file, standard input or a control socket).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/layout.h"
#include "vmm/control.h"
#include "vmm/exit_status.h"
#include "vmm/info.h"
#include "vmm/inspect/session.h"
#include "vmm/script/cmd.h"
#include "vmm/script/script.h"
#include "vmm/vm.h"

static const char usage[] =
	"usage: vmm [OPTIONS] GUEST.ELF\n"
	"       vmm --info\n"
	"\n"
	"Boot GUEST.ELF (an x86-64 ELF kernel built for this vmm, such as\n"
	"build/bin/guest.elf) on KVM and run a scenario against its memory manager:\n"
	"from FILE with --script, otherwise from standard input (with a prompt when\n"
	"it is a terminal) until end of input.  The transcript goes to standard\n"
	"output; guest console lines ([guest] ...) and diagnostics to standard error.\n"
	"The language is described in docs/scenarios.md.  Scripts, standard input\n"
	"and the control socket take the same commands: the scenario language plus\n"
	"the guest-only ones (ptdump, vmas, walk, stats, check, mm, inject, expect\n"
	"clean); the command help lists them all.\n"
	"\n"
	"options:\n"
	"  --script FILE   run the scenario in FILE (parsed whole before it runs)\n"
	"  --mem SIZE      guest RAM, a multiple of 2M from 16M to 3G (default 128M):\n"
	"                  a number as in scenarios, decimal (leading zeros allowed)\n"
	"                  or 0x hex, with an optional suffix K, M or G\n"
	"  --check         run the invariant checker (docs/inspection.md) after every\n"
	"                  executed line: a scenario stops at the first violation\n"
	"                  (exit 1); with --control, a request after which it finds\n"
	"                  one is answered 'error: the check after this line failed'\n"
	"  --control PATH  serve a control socket (mode 0600) at PATH instead of\n"
	"                  reading a scenario: clients such as tools/vmmctl send\n"
	"                  lines (scenario and guest-only commands) while the VM\n"
	"                  runs; SIGINT or SIGTERM stops it\n"
	"  --quiet         do not print guest console lines\n"
	"  --info          print what /dev/kvm offers here (backend, capabilities,\n"
	"                  cost of an exit) and exit\n"
	"  -h, --help      this text\n"
	"\n"
	"exit status: 0 done and every expectation held, 1 an expectation failed,\n"
	"check found violations, a command could not run, or an error outside the\n"
	"guest (e.g. /dev/kvm unusable), 2 bad options, script, guest ELF or\n"
	"control socket path, 3 the guest crashed or stopped answering (a report\n"
	"with its registers, a page walk of RIP and CR2 and its last console lines\n"
	"follows).\n";

/* A size as the scenario language reads numbers ("128M", "0x8000000",
 * "0100M" = 100 MiB): bytes, or 0 if malformed. */
static uint64_t parse_size(const char *s)
{
	uint64_t v;

	return scen_parse_number(s, &v) == 0 ? v : 0;
}

static int bad_usage(const char *msg, const char *arg)
{
	fprintf(stderr, "vmm: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	fprintf(stderr, "try 'vmm --help'\n");
	return VMM_EXIT_INPUT;
}

/* --check: the checker's violations stop the run at the first bad step. */
static int check_step(void *ctx, struct scen_backend *be, FILE *out, FILE *err)
{
	int r = inspect_after_step(ctx, be, out, err);

	return r == SCRIPT_FAIL ? SCRIPT_STOP : r;
}

static int run_scenario(struct vm *vm, const char *script, bool check)
{
	struct scen_backend *be = backend_guest_new(vm);
	struct script_session *sess;
	int status;

	if (!be)
		return vm_failure(vm) ? VMM_EXIT_GUEST : VMM_EXIT_FAIL;
	sess = script_session_new(be, script ? script : "<stdin>");
	if (!sess) {
		backend_free(be);
		return VMM_EXIT_FAIL;
	}
	struct inspect_ext ext;
	inspect_ext_init(&ext, vm, be);
	if (inspect_attach(sess, &ext) != 0) {
		script_session_free(sess);
		backend_free(be);
		return VMM_EXIT_FAIL;
	}
	if (check) {
		be->after_step = check_step;
		be->after_step_ctx = &ext;
	}
	if (script) {
		FILE *in = fopen(script, "r");
		if (!in) {
			fprintf(stderr, "vmm: cannot read %s: %s\n", script, strerror(errno));
			status = VMM_EXIT_INPUT;
		} else {
			status = script_session_run_file(sess, in, stdout, stderr);
			fclose(in);
		}
	} else {
		const char *prompt = isatty(STDIN_FILENO) ? "vmm> " : NULL;
		status = script_session_run_stream(sess, stdin, stdout, stderr, prompt);
	}
	fflush(stdout);
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

static int run_control(struct vm *vm, const char *path, bool check)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return control_status(control_run(vm, path, &stop_requested, check));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "script", required_argument, NULL, 's' },
		{ "mem", required_argument, NULL, 'm' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "check", no_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "info", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vm_config cfg = { .mem_size = GUEST_MEM_DEFAULT };
	const char *script = NULL, *control = NULL;
	bool info = false, check = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's': script = optarg; break;
		case 'm':
			cfg.mem_size = parse_size(optarg);
			if (!cfg.mem_size)
				return bad_usage("--mem needs a size such as 128M", optarg);
			break;
		case 'q': cfg.quiet = true; break;
		case 'c': check = true; break;
		case 'C': control = optarg; break;
		case 'i': info = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default: return bad_usage("unknown option", NULL);
		}
	}
	if (info)
		return info_print(stdout) ? VMM_EXIT_FAIL : VMM_EXIT_OK;
	if (control && script)
		return bad_usage("--control and --script exclude each other", NULL);
	if (optind != argc - 1)
		return bad_usage(optind >= argc ? "no guest ELF given" : "more than one guest ELF given", NULL);
	cfg.guest_path = argv[optind];
	signal(SIGPIPE, SIG_IGN);

	char err[512] = "";
	struct vm *vm;
	int status = create_status(vm_create(&cfg, &vm, err, sizeof(err)));
	if (status == VMM_EXIT_OK) {
		status = control ? run_control(vm, control, check) : run_scenario(vm, script, check);
	} else if (status != VMM_EXIT_GUEST) {
		fprintf(stderr, "vmm: %s\n", err);
	}
	if (status == VMM_EXIT_GUEST && vm)
		vm_report_failure(vm, stderr);
	vm_destroy(vm);
	return status;
}
