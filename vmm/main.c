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
#include "vmm/batch.h"
#include "vmm/control.h"
#include "vmm/exit_status.h"
#include "vmm/gdb/gdb.h"
#include "vmm/info.h"
#include "vmm/options.h"
#include "vmm/inspect/session.h"
#include "vmm/paths.h"
#include "vmm/prompt.h"
#include "vmm/report/report_run.h"
#include "vmm/script/cmd.h"
#include "vmm/script/script.h"
#include "vmm/trace/trace.h"
#include "vmm/trace/trace_cmd.h"
#include "vmm/vm.h"

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
	if (o->out_dir && batch_check(o->scripts, o->nscripts, o->out_dir, stderr) != 0)
		return VMM_EXIT_INPUT;
	if (o->script && !o->out_dir && !(o->script_file = fopen(o->script, "r"))) {
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

/* The session's input: in (a script file), or standard input (with the
 * prompt on a terminal); the transcript to out, diagnostics to err. */
static int run_input(struct script_session *sess, FILE *in, const char *name, FILE *out,
		     FILE *err)
{
	int status;

	if (in)
		status = script_session_run_file(sess, in, out, err);
	else if (isatty(STDIN_FILENO))
		status = prompt_run(sess, name, stdin, out, err);
	else
		status = script_session_run_stream(sess, stdin, out, err, NULL);
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
	status = run_input(sess, o->script_file, name, tee ? tee : stdout, stderr);
	if (tee)
		fclose(tee);
	if (report_run_finish(&rr, o->report_file, o->report, stderr) != 0 && !status)
		status = VMM_EXIT_FAIL;
	o->report_file = NULL;
	return status;
}

/* One scenario in a session of its own, with a new process: from in
 * (NULL: standard input) named name; the transcript to out, diagnostics
 * to err. */
static int run_session(struct vm *vm, struct options *o, const char *name, FILE *in, FILE *out,
		       FILE *err)
{
	struct scen_backend *be = backend_guest_new(vm);
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
		status = run_input(sess, in, name, out, err);
	script_session_free(sess);
	backend_free(be);
	return status;
}

struct batch_ctx {
	struct vm *vm;
	struct options *o;
};

static int run_batch_one(void *ctx, const char *name, FILE *in, FILE *out, FILE *err)
{
	struct batch_ctx *b = ctx;

	return run_session(b->vm, b->o, name, in, out, err);
}

static int run_scenario(struct vm *vm, struct options *o)
{
	struct batch_ctx b = { vm, o };

	if (o->out_dir)
		return batch_run(o->scripts, o->nscripts, o->out_dir, run_batch_one, &b, true,
				 stderr);
	return run_session(vm, o, o->script ? o->script : "<stdin>", o->script_file, stdout,
			   stderr);
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

static int vmm_main(int argc, char **argv, struct options *op)
{
	struct options o = *op;
	char err[4096] = "";
	struct gdb_stub *gdb = NULL;
	struct vm *vm;
	int status;

	if ((status = options_parse(argc, argv, &o)) >= 0)
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

int main(int argc, char **argv)
{
	struct options o = { .cfg = { .mem_size = GUEST_MEM_DEFAULT, .nr_cpus = VMM_DEFAULT_CPUS } };
	int status;

	o.scripts = calloc((size_t)argc, sizeof *o.scripts);
	if (!o.scripts) {
		fprintf(stderr, "vmm: out of memory\n");
		return VMM_EXIT_FAIL;
	}
	status = vmm_main(argc, argv, &o);
	free(o.scripts);
	return status;
}
