/*
 * Inspection commands for a live VM: see session.h.  Everything but the
 * mm commands reads guest memory only (icmd.c); `mm new` and `mm destroy`
 * are requests to the guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "shared/channel.h"
#include "vmm/inspect/check.h"
#include "vmm/inspect/icmd.h"
#include "vmm/inspect/session.h"
#include "vmm/inspect/snapshot.h"
#include "vmm/inspect/vmas.h"
#include "vmm/script/script.h"
#include "vmm/vm.h"

static uint32_t current_mm(const struct inspect_ext *x)
{
	return x->be ? backend_guest_mm(x->be) : 0;
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

static int cmd_mm(struct inspect_ext *x, int argc, char **argv, FILE *out, char *err,
		  size_t errlen)
{
	const char *sub = argv[1];
	char res[32];
	uint64_t id = 0;
	int64_t r;

	if (strcmp(sub, "new") == 0) {
		if (argc != 2) {
			snprintf(err, errlen, "mm new: expected no arguments");
			return ICMD_ERROR;
		}
	} else if (strcmp(sub, "use") == 0 || strcmp(sub, "destroy") == 0) {
		if (argc != 3 || icmd_parse_number(argv[2], &id) != 0 || id == 0 || id > UINT32_MAX) {
			snprintf(err, errlen, "mm %s: expected an mm id", sub);
			return ICMD_ERROR;
		}
	} else {
		snprintf(err, errlen, "mm: expected list, new, use ID or destroy ID");
		return ICMD_ERROR;
	}
	if (!out)
		return ICMD_OK;
	if (!x->be && strcmp(sub, "destroy") != 0) {
		snprintf(err, errlen, "mm %s: no scenario address space to switch", sub);
		return ICMD_ERROR;
	}

	if (strcmp(sub, "new") == 0) {
		struct chan_slot s = { .op = OP_MM_CREATE };
		if (guest_call(x, &s, &r, err, errlen) != 0)
			return INSPECT_DEAD;
		if (r > 0)
			backend_guest_set_mm(x->be, (uint32_t)r);
		format_result(r, true, res, sizeof res);
		fprintf(out, "mm new -> %s\n", res);
	} else if (strcmp(sub, "use") == 0) {
		int e = mm_exists(x, (uint32_t)id, err, errlen);
		if (e < 0)
			return ICMD_ERROR;
		if (e)
			backend_guest_set_mm(x->be, (uint32_t)id);
		snprintf(res, sizeof res, "%s", e ? "ok" : "ESRCH");
		fprintf(out, "mm use %" PRIu64 " -> %s\n", id, res);
	} else {
		if (id == current_mm(x)) {
			snprintf(res, sizeof res, "EBUSY");
		} else {
			struct chan_slot s = { .op = OP_MM_DESTROY, .mm = (uint32_t)id };
			if (guest_call(x, &s, &r, err, errlen) != 0)
				return INSPECT_DEAD;
			format_result(r, false, res, sizeof res);
		}
		fprintf(out, "mm destroy %" PRIu64 " -> %s\n", id, res);
	}
	if (x->session)
		script_session_set_result(x->session, res);
	return ICMD_OK;
}

/*
 * `inject stray-pte ADDR` / `inject writable-zero ADDR`: break an invariant
 * on purpose (OP_INJECT), so that the checker and vmm --check can be seen to
 * catch it.  For tests and demonstrations only.
 */
static int cmd_inject(struct inspect_ext *x, int argc, char **argv, FILE *out,
		      char *err, size_t errlen)
{
	uint64_t addr, kind;
	int64_t r;
	char res[64];

	if (argc != 3 || icmd_parse_number(argv[2], &addr) != 0 ||
	    (strcmp(argv[1], "stray-pte") != 0 && strcmp(argv[1], "writable-zero") != 0)) {
		snprintf(err, errlen, "inject: expected stray-pte ADDR or writable-zero ADDR");
		return ICMD_ERROR;
	}
	if (!out)
		return ICMD_OK;
	kind = argv[1][0] == 's' ? INJECT_STRAY_PTE : INJECT_WRITABLE_ZERO;
	struct chan_slot sl = { .op = OP_INJECT, .mm = current_mm(x),
				.inject = { .kind = (uint32_t)kind, .addr = addr } };
	if (guest_call(x, &sl, &r, err, errlen) != 0)
		return INSPECT_DEAD;
	format_result(r, false, res, sizeof res);
	fprintf(out, "inject %s 0x%" PRIx64 " -> %s\n", argv[1], addr, res);
	if (x->session)
		script_session_set_result(x->session, res);
	return ICMD_OK;
}

int inspect_command(struct inspect_ext *x, int argc, char **argv, FILE *out,
		    char *err, size_t errlen)
{
	if (argc >= 1 && strcmp(argv[0], "inject") == 0)
		return cmd_inject(x, argc, argv, out, err, errlen);
	if (argc >= 2 && strcmp(argv[0], "mm") == 0 && strcmp(argv[1], "list") != 0)
		return cmd_mm(x, argc, argv, out, err, errlen);
	if (argc == 1 && strcmp(argv[0], "mm") == 0) {
		snprintf(err, errlen, "mm: expected list, new, use ID or destroy ID");
		return ICMD_ERROR;
	}
	struct gmem g = vm_gmem(x->vm);
	int r = icmd_run(&g, current_mm(x), argc, argv, out, err, errlen);
	if (r == ICMD_ERROR && out && vm_failure(x->vm)) {
		snprintf(err, errlen, "guest failed: %s", vm_failure(x->vm));
		return INSPECT_DEAD;
	}
	return r;
}

/* Snapshot every mm and run the checker: the number of violations (rep
 * filled, free it) or -1 with the reason in msg. */
static long run_checker(struct inspect_ext *x, struct check_report *rep, char *msg, size_t len)
{
	struct gmem g = vm_gmem(x->vm);
	struct snap_opts o = { .walk = true, .pages = true };
	struct snapshot s;

	if (snapshot_take(&g, &o, &s, msg, len) != 0)
		return -1;
	long n = check_snapshot(&s, rep);
	snapshot_free(&s);
	if (n < 0) {
		snprintf(msg, len, "%s", strerror((int)-n));
		return -1;
	}
	return n;
}

/* `expect clean`: the checker's verdict as an expectation. */
static int expect_clean(struct inspect_ext *x, int argc, FILE *out, FILE *err)
{
	if (argc != 2) {
		fprintf(err, "expect clean: expected no arguments\n");
		return 2;
	}
	if (!out)
		return 0;
	struct check_report rep;
	char msg[256];
	long n = run_checker(x, &rep, msg, sizeof msg);
	if (n < 0) {
		fprintf(out, "expect clean -> FAIL: %s\n", msg);
		return 1;
	}
	if (n == 0) {
		fprintf(out, "expect clean -> ok\n");
	} else {
		fprintf(out, "expect clean -> FAIL: %ld violation%s\n", n, n == 1 ? "" : "s");
		check_report_print(out, &rep);
	}
	check_report_free(&rep);
	return n == 0 ? 0 : 1;
}

int inspect_script_extra(void *ctx, int argc, char **argv, FILE *out, FILE *err)
{
	struct inspect_ext *x = ctx;
	char msg[512];

	if (argc >= 2 && strcmp(argv[0], "expect") == 0)
		return strcmp(argv[1], "clean") == 0 ? expect_clean(x, argc, out, err)
						      : SCRIPT_EXTRA_UNKNOWN;
	int r = inspect_command(x, argc, argv, out, msg, sizeof msg);
	switch (r) {
	case ICMD_UNKNOWN:
		return SCRIPT_EXTRA_UNKNOWN;
	case ICMD_OK:
	case ICMD_FAIL:
		return r;
	case INSPECT_DEAD:
		fprintf(err, "%s\n", msg);
		return SCRIPT_DEAD;
	default:
		if (!out) {
			fprintf(err, "%s\n", msg);
			return 2;
		}
		fprintf(err, "error: %s\n", msg);
		return 1;
	}
}

int inspect_after_step(void *ctx, struct scen_backend *be, FILE *out, FILE *err)
{
	struct inspect_ext *x = ctx;
	(void)be;
	(void)out;
	if (vm_failure(x->vm))
		return SCRIPT_DEAD;

	struct check_report rep;
	char msg[256];
	long n = run_checker(x, &rep, msg, sizeof msg);
	if (n < 0) {
		fprintf(err, "check: %s\n", msg);
		return 1;
	}
	if (n > 0) {
		fprintf(err, "check: %ld violation%s\n", n, n == 1 ? "" : "s");
		check_report_print(err, &rep);
	}
	check_report_free(&rep);
	return n == 0 ? 0 : 1;
}
