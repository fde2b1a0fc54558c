/*
 * The recorder of a live VM: see report_run.h.
 */
#include <errno.h>
#include <string.h>

#include "vmm/inspect/session.h"
#include "vmm/report/report_run.h"
#include "vmm/script/script.h"

int report_run_init(struct report_run *rr, const char *title, struct inspect_ext *x)
{
	memset(rr, 0, sizeof(*rr));
	rr->x = x;
	rr->rep = report_new(title);
	return rr->rep ? 0 : -ENOMEM;
}

static ssize_t tee_write(void *cookie, const char *buf, size_t len)
{
	struct report_run *rr = cookie;
	size_t room = sizeof(rr->pending) - 1 - rr->npending;
	size_t n = len < room ? len : room;

	memcpy(rr->pending + rr->npending, buf, n);
	rr->npending += n;
	rr->pending[rr->npending] = '\0';
	rr->overflow |= n < len;
	if (fwrite(buf, 1, len, rr->real) != len)
		return -1;
	return (ssize_t)len;
}

FILE *report_run_tee(struct report_run *rr, FILE *real)
{
	cookie_io_functions_t io = { .write = tee_write };
	FILE *f;

	rr->real = real;
	f = fopencookie(rr, "w", io);
	if (f)
		setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

void report_run_attach(struct report_run *rr, struct scen_backend *be)
{
	rr->chain = be->after_step;
	rr->chain_ctx = be->after_step_ctx;
	be->after_step = report_run_after_step;
	be->after_step_ctx = rr;
}

int report_run_after_step(void *ctx, struct scen_backend *be, FILE *out, FILE *err)
{
	struct report_run *rr = ctx;
	int r = rr->chain ? rr->chain(rr->chain_ctx, be, out, err) : SCRIPT_OK;
	const char *trace = NULL;

	fflush(out);     /* the tee: this line's transcript into pending */
	/*
	 * TRACE HOOK (issue 11, "Watch the pipeline run"): the step trace is
	 * connected here once the trace ring is merged, e.g.
	 *     char *t = NULL;
	 *     if (trace_take_text(rr->x->vm, &t) == 0) trace = t;
	 * (and free(t) after report_add_step, which copies it).  NULL means
	 * "no trace for this step"; the page says so.
	 */
	report_add_step(rr->rep, &rr->x->icmd.g, backend_guest_mm(rr->x->be),
			rr->pending, trace);
	rr->npending = 0;
	rr->pending[0] = '\0';
	rr->overflow = false;
	return r;
}

void report_run_on_session(void *ctx, struct inspect_ext *x)
{
	struct report_run *rr = ctx;

	rr->x = x;
	report_run_attach(rr, x->be);
}

void report_run_on_response(void *ctx, const char *resp, size_t len)
{
	struct report_run *rr = ctx;
	size_t n = report_nsteps(rr->rep);

	if (n == rr->answered)
		return;         /* the request ran no line (or the report is full) */
	rr->answered = n;
	if (len >= 3 && !memcmp(resp + len - 3, "ok\n", 3) && (len == 3 || resp[len - 4] == '\n'))
		len -= 3;
	report_set_last_transcript(rr->rep, resp, len);
}

int report_run_finish(struct report_run *rr, FILE *f, const char *path, FILE *err)
{
	int r = report_write_html(rr->rep, f);

	if (fclose(f) != 0)
		r = -EIO;
	if (r != 0)
		fprintf(err, "vmm: cannot write the report %s: %s\n", path, strerror(-r));
	report_free(rr->rep);
	rr->rep = NULL;
	return r;
}
