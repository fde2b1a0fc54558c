/*
 * The guest-only commands of a live VM: see session.h.  Everything but the
 * mm commands and inject reads guest memory only (icmd.c); `mm new`,
 * `mm destroy` and `inject` are requests to the guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "shared/channel.h"
#include "vmm/inspect/check.h"
#include "vmm/inspect/session.h"
#include "vmm/inspect/snapshot.h"
#include "vmm/script/script.h"
#include "vmm/tlbcheck/tlbcheck_cmd.h"
#include "vmm/tlbcheck/vm_tlbcheck.h"
#include "vmm/trace/trace_cmd.h"
#include "vmm/vm.h"

static uint32_t current_mm(const struct inspect_ext *x)
{
	return x->be ? backend_guest_mm(x->be) : 0;
}

static uint32_t icmd_current_mm(void *arg)
{
	return current_mm(arg);
}

static const char *icmd_failure(void *arg)
{
	return vm_failure(((struct inspect_ext *)arg)->vm);
}

void inspect_ext_init(struct inspect_ext *x, struct vm *vm, struct scen_backend *be)
{
	*x = (struct inspect_ext){
		.vm = vm,
		.be = be,
		.icmd = { .g = vm_gmem(vm), .current_mm = icmd_current_mm,
			  .failure = icmd_failure, .arg = x },
	};
}

int inspect_attach(struct script_session *s, struct inspect_ext *x)
{
	int r = script_session_add_table(s, &icmd_commands, &x->icmd);

	if (!r)
		r = script_session_add_table(s, &inspect_vm_commands, x);
	if (!r)
		r = script_session_add_table(s, &tlbcheck_commands, x);
	return r ? r : trace_attach(s, x);
}

/* The result text of a request: "ok", the value, or the errno name. */
static void format_result(int64_t r, bool value, char *buf, size_t len)
{
	const char *name = r < 0 && r >= -CHAN_ERRNO_MAX ? scen_errno_name((int)-r) : NULL;
	if (name)
		snprintf(buf, len, "%s", name);
	else if (r < 0)
		snprintf(buf, len, "ERRNO_%" PRId64, -r);
	else if (!value && r == 0)
		snprintf(buf, len, "ok");
	else
		snprintf(buf, len, "%" PRId64, r);
}

/* Send s (op, mm and IN fields set) and check its result: 0 or -errno, or
 * for OP_MM_CREATE the new id.  Returns 0 with *result, or -1 with err (no
 * answer, or an answer that cannot be right). */
static int guest_call(struct inspect_ext *x, struct chan_slot *s, int64_t *result,
		      char *err, size_t errlen)
{
	int r = vm_request(x->vm, s);
	if (r != 0) {
		const char *why = vm_failure(x->vm);
		snprintf(err, errlen, "guest failed: %s", why ? why : strerror(-r));
		return -1;
	}
	if (s->result > 0 || (s->op == OP_MM_CREATE && s->result == 0 && s->mm_create.id == 0)) {
		snprintf(err, errlen, "guest failed: op %u answered %" PRId64 " (id %u)", s->op,
			 s->result, s->op == OP_MM_CREATE ? s->mm_create.id : 0);
		return -1;
	}
	*result = s->op == OP_MM_CREATE && s->result == 0 ? (int64_t)s->mm_create.id : s->result;
	return 0;
}

/* Is id a used mm slot?  1, 0, or -1 with err. */
static int mm_exists(struct inspect_ext *x, uint32_t id, char *err, size_t errlen)
{
	struct gmem g = vm_gmem(x->vm);
	struct snap_opts o = { .mm = id };
	struct snapshot s;
	int r = snapshot_take(&g, &o, &s, err, errlen);
	if (r == -ESRCH)
		return 0;
	if (r != 0)
		return -1;
	snapshot_free(&s);
	return 1;
}

/* Print "LINE -> RESULT" and make RESULT what `expect result` compares. */
static int print_result(struct scen_io *io, const char *res)
{
	fprintf(io->out, " -> %s\n", res);
	scen_io_set_result(io, res);
	return SCEN_CMD_OK;
}

/* mm use ID, mm destroy ID. */
static int parse_mm_id(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	if (argc != 3 || scen_parse_number(argv[2], &st->n) != 0 || st->n == 0 ||
	    st->n > UINT32_MAX) {
		scen_set_msg(msg, msglen, "%s: expected an mm id", st->cmd->name);
		return -1;
	}
	return 0;
}

static int run_mm_new(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct inspect_ext *x = ctx;
	char res[32];
	int64_t r;

	(void)st;
	if (!x->be) {
		scen_io_msg(io, "mm new: no scenario address space to switch");
		return SCEN_CMD_ERROR;
	}
	struct chan_slot s = { .op = OP_MM_CREATE };
	if (guest_call(x, &s, &r, io->msg, sizeof io->msg) != 0)
		return SCEN_CMD_DEAD;
	if (r > 0 && r <= UINT32_MAX)
		backend_guest_set_mm(x->be, (uint32_t)r);
	format_result(r, true, res, sizeof res);
	fprintf(io->out, "mm new");
	return print_result(io, res);
}

static int run_mm_use(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct inspect_ext *x = ctx;
	int e;

	if (!x->be) {
		scen_io_msg(io, "mm use: no scenario address space to switch");
		return SCEN_CMD_ERROR;
	}
	e = mm_exists(x, (uint32_t)st->n, io->msg, sizeof io->msg);
	if (e < 0)
		return SCEN_CMD_ERROR;
	if (e)
		backend_guest_set_mm(x->be, (uint32_t)st->n);
	fprintf(io->out, "mm use %" PRIu64, st->n);
	return print_result(io, e ? "ok" : "ESRCH");
}

static int run_mm_destroy(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct inspect_ext *x = ctx;
	char res[32] = "EBUSY";
	int64_t r;

	/* The current mm stays: the scenario would be left without one. */
	if (st->n != current_mm(x)) {
		struct chan_slot s = { .op = OP_MM_DESTROY, .mm = (uint32_t)st->n };
		if (guest_call(x, &s, &r, io->msg, sizeof io->msg) != 0)
			return SCEN_CMD_DEAD;
		format_result(r, false, res, sizeof res);
	}
	fprintf(io->out, "mm destroy %" PRIu64, st->n);
	return print_result(io, res);
}

/*
 * `inject stray-pte ADDR` / `inject writable-zero ADDR`: break an invariant
 * on purpose (OP_INJECT), so that the checker and vmm --check can be seen to
 * catch it.  For tests and demonstrations only.
 */
static int parse_inject(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	if (argc != 3 || scen_parse_number(argv[2], &st->addr) != 0 ||
	    (strcmp(argv[1], "stray-pte") != 0 && strcmp(argv[1], "writable-zero") != 0)) {
		scen_set_msg(msg, msglen, "inject: expected stray-pte ADDR or writable-zero ADDR");
		return -1;
	}
	st->how = argv[1][0] == 's' ? INJECT_STRAY_PTE : INJECT_WRITABLE_ZERO;
	return 0;
}

static int run_inject(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct inspect_ext *x = ctx;
	char res[64];
	int64_t r;

	struct chan_slot s = { .op = OP_INJECT, .mm = current_mm(x),
			       .inject = { .kind = st->how, .addr = st->addr } };
	if (guest_call(x, &s, &r, io->msg, sizeof io->msg) != 0)
		return SCEN_CMD_DEAD;
	format_result(r, false, res, sizeof res);
	fprintf(io->out, "inject %s 0x%" PRIx64, st->how == INJECT_STRAY_PTE ? "stray-pte" :
		"writable-zero", st->addr);
	return print_result(io, res);
}

static const struct scen_cmd cmds[] = {
	{ "mm new", "", "create an address space and make it current",
	  0, 0, scen_parse_no_args, run_mm_new },
	{ "mm use", "ID", "make address space ID current", 1, 1, parse_mm_id, run_mm_use },
	{ "mm destroy", "ID", "destroy address space ID (not the current one)",
	  1, 1, parse_mm_id, run_mm_destroy },
	{ "inject", "stray-pte|writable-zero ADDR", "break an invariant on purpose (tests only)",
	  2, 2, parse_inject, run_inject },
};

const struct scen_cmd_table inspect_vm_commands = { cmds, sizeof(cmds) / sizeof(cmds[0]) };

int inspect_after_step(void *ctx, struct scen_backend *be, FILE *out, FILE *err)
{
	struct inspect_ext *x = ctx;
	struct check_report rep;
	char msg[256];
	long n;

	(void)be;
	(void)out;
	if (vm_failure(x->vm))
		return SCRIPT_DEAD;
	n = icmd_run_checker(&x->icmd.g, &rep, msg, sizeof msg);
	if (n < 0) {
		fprintf(err, "check: %s\n", msg);
		return 1;
	}
	if (n > 0) {
		fprintf(err, "check: %ld violation%s\n", n, n == 1 ? "" : "s");
		check_report_print(err, &rep);
	}
	check_report_free(&rep);
	/* The TLB-coherence checker's new findings (when the log is on). */
	return vm_tlbcheck_step(x->vm, err) || n != 0 ? 1 : 0;
}
