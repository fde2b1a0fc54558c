/*
 * The report recorder of a live VM (vmm --report FILE): an after_step hook
 * of the scenario engine that records a step (report.h) after every
 * executed line, and a tee for the transcript stream so that each step gets
 * the transcript text its line printed.
 */
#ifndef VMM_REPORT_REPORT_RUN_H
#define VMM_REPORT_REPORT_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vmm/report/report.h"

struct inspect_ext;
struct scen_backend;

struct report_run {
	struct report *rep;
	struct inspect_ext *x;   /* the VM and the guest backend (current mm) */
	/* The hook that was there before (vmm --check), run first. */
	int (*chain)(void *ctx, struct scen_backend *be, FILE *out, FILE *err);
	void *chain_ctx;
	FILE *real;              /* where the transcript goes (stdout) */
	char pending[REPORT_MAX_TEXT + 64];   /* transcript since the last step */
	size_t npending;
	bool overflow;           /* pending was cut */
	size_t answered;         /* control socket: steps whose response was seen */
};

/* Start recording for x (both outlive rr); title: the script's name.
 * 0 or -ENOMEM. */
int report_run_init(struct report_run *rr, const char *title, struct inspect_ext *x);

/* A stream for the transcript: what is written goes to real and is kept
 * for the next step.  NULL if it cannot be made (then use real). */
FILE *report_run_tee(struct report_run *rr, FILE *real);

/* Install the hook on be, after the one already there (kept and run
 * first). */
void report_run_attach(struct report_run *rr, struct scen_backend *be);

/* The hook itself (ctx: a struct report_run); returns the chained hook's
 * result, or SCRIPT_OK. */
int report_run_after_step(void *ctx, struct scen_backend *be, FILE *out, FILE *err);

/*
 * The control socket's hooks (struct control_opts on_session and
 * on_response, ctx: a struct report_run set up with a NULL x): the first
 * attaches the recorder to the server's session, the second gives the step
 * of a request its transcript, the request's response without a final
 * "ok" line.
 */
void report_run_on_session(void *ctx, struct inspect_ext *x);
void report_run_on_response(void *ctx, const char *resp, size_t len);

/* Write the page to f and close it; free what rr holds.  Messages go to
 * err.  0, or -EIO. */
int report_run_finish(struct report_run *rr, FILE *f, const char *path, FILE *err);

#endif
