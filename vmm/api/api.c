/*
 * The public API (include/vmm-mm/vmm.h): a VM with one scenario session,
 * as vmm's main sets one up for a script (the guest backend on an address
 * space of its own, the guest-only command tables, --check's hook), and
 * the inspection calls over its memory (api_inspect.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/api/api_internal.h"
#include "vmm/paths.h"
#include "vmm/script/cmd.h"
#include "vmm/script/script.h"
#include "vmm/vm.h"

int api_fail(struct vmm *v, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->error, sizeof v->error, fmt, ap);
	va_end(ap);
	return ret;
}

int vmm_default_guest(char *buf, size_t len)
{
	return vmm_path_default_guest(buf, len, NULL, 0);
}

/* --check in a session: a violation fails the line and stops the run. */
static int check_step(void *ctx, struct scen_backend *be, FILE *out, FILE *err)
{
	int r = inspect_after_step(ctx, be, out, err);

	return r == SCRIPT_FAIL ? SCRIPT_STOP : r;
}

/* The session of a booted VM: 0 or -ENOMEM / -EPIPE (the guest refused). */
static int session_setup(struct vmm *v, bool check, char *err, size_t errlen)
{
	v->be = backend_guest_new(v->vm);
	if (!v->be) {
		snprintf(err, errlen, "the guest refused an address space for the session%s%s",
			 vm_failure(v->vm) ? ": " : "", vm_failure(v->vm) ? vm_failure(v->vm) : "");
		return vm_failure(v->vm) ? -EPIPE : -ENOMEM;
	}
	v->sess = script_session_new(v->be, "vmm_run");
	if (!v->sess) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	inspect_ext_init(&v->ext, v->vm, v->be);
	if (inspect_attach(v->sess, &v->ext) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (check) {
		v->be->after_step = check_step;
		v->be->after_step_ctx = &v->ext;
	}
	return 0;
}

int vmm_boot(const struct vmm_config *cfg, struct vmm **out, char *err, size_t errlen)
{
	struct vm_config vc = { .guest_path = cfg->guest, .mem_size = cfg->mem_size,
				.console = cfg->console, .quiet = cfg->quiet,
				.boot_timeout_ms = cfg->boot_timeout_ms,
				.request_timeout_ms = cfg->request_timeout_ms,
				.nr_cpus = cfg->cpus ? cfg->cpus : VM_DEFAULT_CPUS };
	char guest[4096], tried[1024];
	struct vmm *v;
	int r;

	*out = NULL;
	if (cfg->cpus > VM_MAX_CPUS) {
		snprintf(err, errlen, "vmm_config.cpus is %u: the guest can have 1 to %u CPUs "
			 "(0: the default, %u)", cfg->cpus, VM_MAX_CPUS, VM_DEFAULT_CPUS);
		return -EINVAL;
	}
	if (!vc.guest_path) {
		if (vmm_path_default_guest(guest, sizeof guest, tried, sizeof tried) != 0) {
			snprintf(err, errlen, "no guest kernel given and none installed (looked at %s)",
				 tried);
			return -ENOENT;
		}
		vc.guest_path = guest;
	}
	v = calloc(1, sizeof *v);
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = vm_create(&vc, &v->vm, err, errlen);
	if (r == 0)
		r = session_setup(v, cfg->check, err, errlen);
	if (r) {
		vmm_destroy(v);
		return r;
	}
	*out = v;
	return 0;
}

void vmm_destroy(struct vmm *v)
{
	if (!v)
		return;
	script_session_free(v->sess);
	backend_free(v->be);
	vm_destroy(v->vm);
	free(v);
}

const char *vmm_failure(struct vmm *v)
{
	return vm_failure(v->vm);
}

void vmm_report(struct vmm *v, FILE *f)
{
	vm_report_failure(v->vm, f);
}

const char *vmm_error(const struct vmm *v)
{
	return v->error;
}

/* ---- lines ---- */

struct streams {
	FILE *out, *err;
	char *obuf, *ebuf;
	size_t olen, elen;
};

/* Run every line of text; the status as vmm_run returns it. */
static int run_lines(struct vmm *v, const char *text, struct streams *st, unsigned *where)
{
	int status = VMM_OK;
	unsigned line = 0;

	for (const char *p = text; *p && status != VMM_PARSE && status != VMM_DEAD;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		char *copy = strndup(p, n);
		struct script_outcome o;

		if (!copy)
			return -ENOMEM;
		line++;
		script_session_exec(v->sess, copy, n, st->out, st->err, &o);
		free(copy);
		/* Problems as a script reports them (runner.c). */
		if (o.status == SCRIPT_PARSE || o.status == SCRIPT_DEAD)
			fprintf(st->err, "vmm_run:%u: %s\n", line, o.msg);
		else if (o.error)
			fprintf(st->err, "error: %s\n", o.msg);
		if (o.status != SCRIPT_OK && !*where)
			*where = line;
		if (o.status > status)
			status = o.status;
		if (o.stop)
			break;
		p += n;
	}
	if (status != VMM_DEAD && script_session_in_block(v->sess)) {
		script_session_finish(v->sess, st->err);
		status = VMM_PARSE;
		if (!*where)
			*where = line;
	}
	return status;
}

int vmm_run(struct vmm *v, const char *text, struct vmm_transcript *t)
{
	struct streams st = { 0 };
	unsigned where = 0;
	int status;

	st.out = open_memstream(&st.obuf, &st.olen);
	st.err = open_memstream(&st.ebuf, &st.elen);
	if (!st.out || !st.err) {
		if (st.out)
			fclose(st.out);
		if (st.err)
			fclose(st.err);
		free(st.obuf);
		free(st.ebuf);
		return api_fail(v, -ENOMEM, "out of memory");
	}
	status = run_lines(v, text, &st, &where);
	fclose(st.out);
	fclose(st.err);
	if (status < 0) {
		free(st.obuf);
		free(st.ebuf);
		return api_fail(v, status, "out of memory");
	}
	if (t)
		*t = (struct vmm_transcript){ status, st.obuf, st.olen, st.ebuf, st.elen, where };
	else {
		free(st.obuf);
		free(st.ebuf);
	}
	if (status != VMM_OK)
		api_fail(v, status, "%s", status == VMM_DEAD ? (vmm_failure(v) ? vmm_failure(v) :
			 "the guest died") : status == VMM_PARSE ? "a line could not be parsed" :
			 "an expectation failed or a command could not run");
	return status;
}

void vmm_transcript_free(struct vmm_transcript *t)
{
	if (!t)
		return;
	free(t->out);
	free(t->err);
	t->out = t->err = NULL;
	t->out_len = t->err_len = 0;
}

/* ---- inspection: the current mm's memory ---- */

int vmm_vmas(struct vmm *v, struct vmm_vma **vmas, size_t *n)
{
	struct gmem g = vm_gmem(v->vm);

	return api_vmas(&g, vmm_current_mm(v), vmas, n, v->error, sizeof v->error);
}

int vmm_ptes(struct vmm *v, uint64_t start, uint64_t end, struct vmm_pte **ptes, size_t *n)
{
	struct gmem g = vm_gmem(v->vm);

	return api_ptes(&g, vmm_current_mm(v), start, end, ptes, n, v->error, sizeof v->error);
}

int vmm_walk(struct vmm *v, uint64_t va, struct vmm_walk *w)
{
	struct gmem g = vm_gmem(v->vm);

	return api_walk(&g, vmm_current_mm(v), va, w, v->error, sizeof v->error);
}

int vmm_counters(struct vmm *v, struct vmm_counters *c)
{
	struct gmem g = vm_gmem(v->vm);

	return api_counters(&g, vmm_current_mm(v), c, v->error, sizeof v->error);
}

int vmm_mm_list(struct vmm *v, struct vmm_mm_info *mms, size_t max, size_t *n)
{
	struct gmem g = vm_gmem(v->vm);

	return api_mm_list(&g, vmm_current_mm(v), mms, max, n, v->error, sizeof v->error);
}

int vmm_check(struct vmm *v, struct vmm_check_result *r)
{
	struct gmem g = vm_gmem(v->vm);

	return api_check(&g, r, v->error, sizeof v->error);
}

void vmm_check_free(struct vmm_check_result *r)
{
	if (!r)
		return;
	free(r->v);
	r->v = NULL;
	r->n = r->total = 0;
}
