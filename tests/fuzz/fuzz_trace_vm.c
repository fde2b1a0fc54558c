/*
 * fuzz_trace's second reader of the same rings: the VM's trace state
 * (vmm/trace/vm_trace.c) and the `trace on|off` commands with their
 * after-line hook (vmm/trace/trace_cmd.c), as a session runs them, over a
 * struct vm that has only RAM (no KVM: KVM_GET_TSC_KHZ fails, TSCs stay
 * cycles).  vm_gmem is this file's (vm.c, and the rest of the VM, is not
 * linked).  Checked: the commands print nothing; the hook runs the hook it
 * was put in front of exactly once per line; what each line prints (on
 * the diagnostics stream, or the --trace-file) is well-formed in the
 * format in force (each line's Chrome events one array on the stream, the
 * whole file's one array per format); the report's trace_take_text gives
 * "" first, then text.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_trace.h"
#include "vmm/inspect/session.h"
#include "vmm/script/script.h"
#include "vmm/trace/trace_cmd.h"
#include "vmm/vm_internal.h"

static struct vm vm;
static struct scen_backend be;
static struct inspect_ext x;
static unsigned prev_calls;
static int took;                  /* trace_take_text called */
/* vmm --trace-file: the file, and where its unchecked part starts */
static struct ft_out file;         /* file.f NULL: none */
static size_t mark;
static struct ft_out errs;         /* each line's diagnostics stream */
static enum trace_format mark_fmt;

struct gmem vm_gmem(struct vm *v)
{
	return v->mem;
}

/* The hook the trace's is put in front of (vmm --check's, in vmm). */
static int prev_hook(void *ctx, struct scen_backend *b, FILE *out, FILE *err)
{
	(void)ctx, (void)b, (void)out, (void)err;
	prev_calls++;
	return 0;
}

/* Check the file's part since the last check, in format f (Chrome: only at
 * the end of its array, unless end). */
static void check_file(bool end)
{
	size_t len;

	if (!file.f || (mark_fmt == TRACE_FMT_CHROME && !end))
		return;
	len = ft_out_len(&file);
	ft_check_output(mark_fmt, file.buf + mark, len - mark, FT_LOST_ANY);
	mark = len;
}

/* `trace off` (fmt < 0) or `trace on FMT`, as a session line. */
static void command(int fmt)
{
	static const char *const names[] = { "text", "json", "chrome" };
	char *argv[3] = { "trace", fmt < 0 ? "off" : "on", fmt < 0 ? NULL : (char *)names[fmt] };
	int argc = fmt < 0 || fmt == TRACE_FMT_TEXT ? 2 : 3;   /* text: the default */
	const struct scen_cmd *c = scen_cmd_find(&trace_commands, argc, argv, false);
	struct scen_stmt st = { .cmd = c };
	struct scen_io io = { 0 };
	char *out = NULL, msg[256];
	size_t len = 0;
	enum trace_format was;

	trace_sink_on(&vm, &was);

	if (!c || c->parse(argc, argv, &st, msg, sizeof msg) != 0)
		ft_violation("trace %s: not a command", argv[1]);
	if (!(io.out = open_memstream(&out, &len)))
		abort();
	io.err = io.out;
	if (c->run(&x, &st, &io) != SCEN_CMD_OK)
		ft_violation("trace %s: %s", argv[1], io.msg);
	fclose(io.out);
	if (len)
		ft_violation("trace %s printed: %s", argv[1], out);
	free(out);
	if (trace_sink_on(&vm, NULL) != (fmt >= 0))
		ft_violation("trace %s: the output is %s", argv[1], fmt >= 0 ? "off" : "on");
	if (file.f && fmt >= 0 && (enum trace_format)fmt != was) {
		mark_fmt = was;
		check_file(true);     /* the old format's part ended */
		mark_fmt = (enum trace_format)fmt;
	}
}

static void take(void)
{
	char *text = NULL;

	if (trace_take_text(&vm, &text) != 0 || !text)
		ft_violation("trace_take_text failed");
	if (!took++ && text[0])
		ft_violation("trace_take_text: first call gave \"%s\"", text);
	ft_check_output(TRACE_FMT_TEXT, text, strlen(text), FT_LOST_ANY);
	free(text);
}

void ft_vm_start(uint8_t *ram, unsigned sink)
{
	memset(&vm, 0, sizeof vm);
	vm.vm_fd = -1;
	vm.mem = (struct gmem){ ram, FT_RAM_SIZE };
	be = (struct scen_backend){ .after_step = prev_hook };
	x = (struct inspect_ext){ .vm = &vm, .be = &be };
	prev_calls = 0;
	took = 0;
	if (sink < 3) {
		command((int)sink);
		return;
	}
	/* vmm --trace=chrome --trace-file F, as main.c sets it up. */
	mark = 0;
	mark_fmt = TRACE_FMT_CHROME;
	ft_out_open(&file);
	if (trace_configure(&vm, TRACE_FMT_CHROME, file.f, true) != 0)
		ft_violation("trace_configure failed");
	trace_hook_backend(&x);
}

void ft_vm_line(int cmd)
{
	size_t len;
	unsigned before = prev_calls;
	enum trace_format f;

	if (cmd >= 0 && cmd % 6 < 4)
		command(cmd % 6 - 1);
	else if (cmd >= 0 && cmd % 6 == 5)
		take();
	ft_out_open(&errs);
	be.after_step(be.after_step_ctx, &be, errs.f, errs.f);
	len = ft_out_len(&errs);
	ft_out_close(&errs);
	if (prev_calls != before + 1)
		ft_violation("the hook before the trace's ran %u times", prev_calls - before);
	if (file.f || !trace_sink_on(&vm, &f)) {
		if (len)
			ft_violation("trace output where none goes: %s", errs.buf);
	} else {
		ft_check_output(f, errs.buf, len, FT_LOST_ANY);
	}
	check_file(false);
}

void ft_vm_stop(void)
{
	trace_host_free(vm.trace);
	vm.trace = NULL;
	if (file.f) {
		check_file(true);
		ft_out_close(&file);
	}
}
