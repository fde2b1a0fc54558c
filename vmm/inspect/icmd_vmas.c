/*
 * The inspection commands over one snapshot of the current mm's VMAs (and
 * its leaves and the page array where they need them): vmas, maps --full,
 * smaps; and the checker over every mm: check, expect clean.  The table is
 * in icmd.c, the formats in docs/inspection.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/inspect/check.h"
#include "vmm/inspect/icmd_internal.h"
#include "vmm/inspect/json.h"
#include "vmm/inspect/procfmt.h"
#include "vmm/inspect/vmas.h"

/* Take a snapshot of the current mm (the first used slot when there is
 * none) with opts o (o->mm is filled in).  0, or a SCEN_CMD_* with io->msg
 * set; a readable snapshot with an unreadable VMA list is an error too. */
static int take_current(const struct icmd_ctx *c, struct snap_opts *o, struct snapshot *s,
			struct scen_io *io)
{
	o->mm = icmd_current_mm(c);
	if (o->mm == 0) {
		struct mm_table t;
		const struct mm_desc *d;

		if (mmtab_read(&c->g, &t, io->msg, sizeof io->msg) != 0)
			return icmd_read_error(c, io);
		if (!(d = icmd_pick_mm(&t, 0))) {
			scen_io_msg(io, "the guest has no address space");
			return SCEN_CMD_ERROR;
		}
		o->mm = d->id;
	}
	if (snapshot_take(&c->g, o, s, io->msg, sizeof io->msg) != 0)
		return icmd_read_error(c, io);
	if (s->mms[0].vmas_err) {
		scen_io_msg(io, "%s", s->mms[0].vmas_msg);
		snapshot_free(s);
		return SCEN_CMD_ERROR;
	}
	return SCEN_CMD_OK;
}

int icmd_run_vmas(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct snap_opts o = { 0 };
	struct snapshot s;
	int r = take_current(ctx, &o, &s, io);

	if (r != SCEN_CMD_OK)
		return r;
	if (st->how & ICMD_JSON) {
		vmas_json(io->out, s.mms[0].desc.id, &s.mms[0].vmas);
	} else {
		fprintf(io->out, "vmas:\n");
		vmas_print(io->out, &s.mms[0].vmas, 0, 0, true);
	}
	snapshot_free(&s);
	return SCEN_CMD_OK;
}

int icmd_parse_maps_full(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	(void)st;
	if (argc == 2 && strcmp(argv[1], "--full") == 0)
		return 0;
	scen_set_msg(msg, msglen, "maps: expected nothing (the scenario window) or --full");
	return -1;
}

int icmd_run_maps_full(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct snap_opts o = { 0 };
	struct snapshot s;
	int r = take_current(ctx, &o, &s, io);

	(void)st;
	if (r != SCEN_CMD_OK)
		return r;
	for (size_t i = 0; i < s.mms[0].vmas.n; i++)
		proc_maps_line(io->out, &s.mms[0].vmas.v[i]);
	snapshot_free(&s);
	return SCEN_CMD_OK;
}

int icmd_run_smaps(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct snap_opts o = { .walk = true, .pages = true };
	struct snapshot s;
	int r = take_current(ctx, &o, &s, io);

	(void)st;
	if (r != SCEN_CMD_OK)
		return r;
	for (size_t i = 0; i < s.mms[0].vmas.n; i++) {
		struct smaps_counts cnt;

		smaps_count(&s, &s.mms[0], &s.mms[0].vmas.v[i], &cnt);
		proc_smaps_vma(io->out, &s.mms[0].vmas.v[i], &cnt);
	}
	snapshot_free(&s);
	return SCEN_CMD_OK;
}

/* ---- the checker: check, expect clean ---- */

long icmd_run_checker(const struct gmem *g, struct check_report *rep, char *msg, size_t len)
{
	struct snap_opts o = { .walk = true, .pages = true };
	struct snapshot s;
	long n;

	if (snapshot_take(g, &o, &s, msg, len) != 0)
		return -1;
	n = check_snapshot(&s, rep);
	snapshot_free(&s);
	if (n < 0) {
		snprintf(msg, len, "%s", strerror((int)-n));
		return -1;
	}
	return n;
}

int icmd_parse_check(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	st->how = 0;
	if (argc == 1)
		return 0;
	if (argc == 2 && icmd_is_json(argv[1])) {
		st->how = ICMD_JSON;
		return 0;
	}
	scen_set_msg(msg, msglen, "check: the invariant checker takes nothing or 'json'");
	return -1;
}

static void check_json(FILE *out, const struct check_report *rep)
{
	fprintf(out, "{\"ok\":%s,\"violations\":%zu,\"mms\":%u,\"vmas\":%zu,\"ptes\":%zu,"
		"\"page_tables\":%zu,\"frames\":%zu,\"list\":[", json_bool(rep->total == 0),
		rep->total, rep->mms, rep->vmas, rep->leaves, rep->tables, rep->frames);
	for (size_t i = 0; i < rep->n; i++) {
		const struct violation *v = &rep->v[i];

		fprintf(out, "%s{\"rule\":\"%s\"", i ? "," : "", v->rule);
		if (v->what & VIOL_HAS_MM)
			fprintf(out, ",\"mm\":%u", v->mm);
		if (v->what & VIOL_HAS_VA)
			fprintf(out, ",\"va\":\"0x%" PRIx64 "\"", v->va);
		if (v->what & VIOL_HAS_PTE)
			fprintf(out, ",\"pte\":\"0x%" PRIx64 "\"", v->pte);
		fputs(",\"msg\":", out);
		json_str(out, v->msg);
		fputc('}', out);
	}
	fprintf(out, "],\"more\":%zu}\n", rep->total - rep->n);
}

int icmd_run_check(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct check_report rep;
	long n = icmd_run_checker(&c->g, &rep, io->msg, sizeof io->msg);

	if (n < 0)
		return icmd_read_error(c, io);
	if (st->how & ICMD_JSON) {
		check_json(io->out, &rep);
	} else if (n == 0) {
		fprintf(io->out, "check -> ok (%u mms, %zu vmas, %zu ptes, %zu page tables, %zu frames)\n",
			rep.mms, rep.vmas, rep.leaves, rep.tables, rep.frames);
	} else {
		fprintf(io->out, "check -> FAIL: %ld violation%s\n", n, n == 1 ? "" : "s");
		check_report_print(io->out, &rep);
	}
	if (n > 0)
		scen_io_msg(io, "check found violations");
	check_report_free(&rep);
	return n == 0 ? SCEN_CMD_OK : SCEN_CMD_FAIL;
}

/* `expect clean`: the checker's verdict as an expectation. */
int icmd_run_clean(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct check_report rep;
	char msg[256];
	long n = icmd_run_checker(&c->g, &rep, msg, sizeof msg);

	(void)st;
	if (n < 0) {
		fprintf(io->out, "expect clean -> FAIL: %s\n", msg);
		return SCEN_CMD_FAIL;
	}
	if (n == 0) {
		fprintf(io->out, "expect clean -> ok\n");
	} else {
		fprintf(io->out, "expect clean -> FAIL: %ld violation%s\n", n, n == 1 ? "" : "s");
		check_report_print(io->out, &rep);
	}
	check_report_free(&rep);
	return n == 0 ? SCEN_CMD_OK : SCEN_CMD_FAIL;
}
