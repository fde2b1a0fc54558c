/*
 * `trace on [text|json|chrome]` and `trace off`: the trace's commands, a
 * table of the scenario engine's type that every session of a VM has
 * (registered by inspect_attach), so that scripts, the prompt and the
 * control socket know them alike.  They print nothing on the transcript:
 * a scenario's transcript is the same with or without them.  While the
 * trace is on, the steps of each line go to the line's diagnostics stream
 * (standard error; "# " lines of a control-socket response) or to the
 * file of vmm --trace-file, right after the line: an after_step hook put
 * in front of any other (vmm --check's).
 */
#include <errno.h>
#include <string.h>

#include "vmm/inspect/session.h"
#include "vmm/script/script.h"
#include "vmm/trace/trace.h"
#include "vmm/trace/trace_cmd.h"

static int trace_after_step(void *ctx, struct scen_backend *be, FILE *out, FILE *err)
{
	struct inspect_ext *x = ctx;
	int r = trace_sink_poll(x->vm, err);

	if (r)
		fprintf(err, "trace: %s\n", strerror(-r));
	return x->trace_prev ? x->trace_prev(x->trace_prev_ctx, be, out, err) : 0;
}

void trace_hook_backend(struct inspect_ext *x)
{
	struct scen_backend *be = x->be;

	if (!be || be->after_step == trace_after_step)
		return;
	x->trace_prev = be->after_step;
	x->trace_prev_ctx = be->after_step_ctx;
	be->after_step = trace_after_step;
	be->after_step_ctx = x;
}

static int parse_on(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	enum trace_format f = TRACE_FMT_TEXT;

	if (argc == 3 && trace_format_parse(argv[2], &f) != 0) {
		scen_set_msg(msg, msglen, "trace on: expected text, json or chrome");
		return -1;
	}
	st->how = f;
	return 0;
}

static int run_switch(struct inspect_ext *x, bool on, enum trace_format f, struct scen_io *io)
{
	int r;

	if (on)
		trace_hook_backend(x);
	r = trace_sink_set(x->vm, on, f);
	if (r) {
		scen_io_msg(io, "trace: %s", strerror(-r));
		return SCEN_CMD_ERROR;
	}
	return SCEN_CMD_OK;
}

static int run_on(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	return run_switch(ctx, true, (enum trace_format)st->how, io);
}

static int run_off(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	enum trace_format f;

	(void)st;
	trace_sink_on(((struct inspect_ext *)ctx)->vm, &f);
	return run_switch(ctx, false, f, io);
}

static const struct scen_cmd cmds[] = {
	{ "trace on", "[text|json|chrome]",
	  "print the memory manager's steps of every later line (stderr)", 0, 1, parse_on, run_on },
	{ "trace off", "", "stop printing them", 0, 0, scen_parse_no_args, run_off },
};

const struct scen_cmd_table trace_commands = { cmds, sizeof(cmds) / sizeof(cmds[0]) };

int trace_attach(struct script_session *s, struct inspect_ext *x)
{
	if (trace_sink_on(x->vm, NULL))
		trace_hook_backend(x);
	return script_session_add_table(s, &trace_commands, x);
}
