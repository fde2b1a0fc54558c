/*
 * Inspection commands: see icmd.h.  Every answer is produced into a memory
 * stream inside a consistent snapshot window and copied to the caller's
 * stream only when complete.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/inspect/check.h"
#include "vmm/inspect/icmd.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/snapshot.h"
#include "vmm/inspect/vmas.h"

static const char *const ptdump_modes[] = { "merged", "leaves", "json", "json-leaves" };

static uint32_t current_mm(const struct icmd_ctx *c)
{
	return c->current_mm ? c->current_mm(c->arg) : 0;
}

/* A command that could not read what it needed (io->msg says why): an
 * error, or the guest's death if that is the reason. */
static int read_error(const struct icmd_ctx *c, struct scen_io *io)
{
	const char *why = c->failure ? c->failure(c->arg) : NULL;

	if (!why)
		return SCEN_CMD_ERROR;
	scen_io_msg(io, "guest failed: %s", why);
	return SCEN_CMD_DEAD;
}

/* ---- helpers ---- */

static const struct mm_desc *pick_mm(const struct mm_table *t, uint32_t mm)
{
	if (mm)
		return mmtab_find(t, mm);
	for (unsigned i = 0; i < MM_MAX; i++)
		if (t->mms[i].id != 0)
			return &t->mms[i];
	return NULL;
}

/* A memory stream restarted on each snapshot attempt. */
struct membuf {
	char *buf;
	size_t len;
	FILE *f;
};

static int membuf_open(struct membuf *m)
{
	free(m->buf);
	m->buf = NULL;
	m->len = 0;
	m->f = open_memstream(&m->buf, &m->len);
	return m->f ? 0 : -ENOMEM;
}

static int membuf_close(struct membuf *m)
{
	int bad = ferror(m->f);
	if (fclose(m->f) != 0)
		bad = 1;
	m->f = NULL;
	return bad ? -ENOMEM : 0;
}

static void membuf_free(struct membuf *m)
{
	if (m->f)
		fclose(m->f);
	free(m->buf);
}

/* Work done inside one snapshot window. */
struct job {
	uint32_t mm;
	int kind;                /* JOB_* */
	struct ptdump_opts dump;
	uint64_t va;
	char header[96];         /* first line without the colon, "" for none */
	struct membuf out;
	char err[256];
};

enum { JOB_PTDUMP, JOB_STATS, JOB_WALK, JOB_MMLIST };

static int job_once(const struct gmem *g, void *ctx)
{
	struct job *j = ctx;
	struct mm_table t;
	const struct mm_desc *d = NULL;
	int r;

	j->err[0] = 0;
	if ((r = membuf_open(&j->out)) != 0)
		return r;
	if ((r = mmtab_read(g, &t, j->err, sizeof j->err)) != 0)
		goto out;
	if (j->kind != JOB_MMLIST && !(d = pick_mm(&t, j->mm))) {
		if (j->mm)
			snprintf(j->err, sizeof j->err, "no mm with id %u", j->mm);
		else
			snprintf(j->err, sizeof j->err, "the guest has no address space");
		r = -ESRCH;
		goto out;
	}
	if (j->header[0])
		fprintf(j->out.f, "%s:\n", j->header);
	switch (j->kind) {
	case JOB_PTDUMP:
		r = ptdump(g, d->pml4, &j->dump, j->out.f);
		if (r == -E2BIG)
			r = 0;   /* the dump says it was cut short */
		break;
	case JOB_STATS:
		fprintf(j->out.f, "stats -> ");
		mm_stats_print(j->out.f, &t, d);
		break;
	case JOB_WALK:
		fprintf(j->out.f, "walk 0x%" PRIx64 " (mm %u, pml4 0x%" PRIx64 "):\n", j->va, d->id,
			d->pml4);
		ptwalk_describe(g, d->pml4, j->va, j->out.f);
		break;
	case JOB_MMLIST:
		fprintf(j->out.f, "mm list:\n");
		for (unsigned i = 0; i < MM_MAX; i++) {
			const struct mm_desc *m = &t.mms[i];
			if (m->id == 0)
				continue;
			fprintf(j->out.f, "mm %u pml4=0x%" PRIx64 " vmas=%" PRIu64 " rss_pages=%" PRIu64
				" zero_ptes=%" PRIu64 " pt_pages=%" PRIu64 "%s\n", m->id, m->pml4,
				m->map_count, m->rss_pages, m->zero_ptes, m->pt_pages,
				m->id == j->mm ? " *" : "");
		}
		break;
	}
out:
	if (membuf_close(&j->out) != 0 && r == 0) {
		snprintf(j->err, sizeof j->err, "out of memory");
		r = -ENOMEM;
	}
	return r;
}

static int run_job(const struct icmd_ctx *c, struct job *j, struct scen_io *io)
{
	unsigned attempts = 0;
	int r = snapshot_run(&c->g, 0, job_once, j, &attempts);

	if (r == 0)
		fwrite(j->out.buf, 1, j->out.len, io->out);
	else if (r == -EBUSY)
		scen_io_msg(io, "busy: the guest kept changing its mm state for %u ms "
			    "(%u attempts)", SNAP_TIMEOUT_MS, attempts);
	else if (j->err[0])
		scen_io_msg(io, "%s", j->err);
	else
		scen_io_msg(io, "%s", strerror(-r));
	membuf_free(&j->out);
	return r == 0 ? SCEN_CMD_OK : read_error(c, io);
}

/* ---- ptdump [MODE] [START END] ---- */

static int parse_ptdump(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	int a = 1;

	st->how = PTDUMP_MERGED;
	if (a < argc && !(argv[a][0] >= '0' && argv[a][0] <= '9')) {
		unsigned m;

		for (m = 0; m < 4 && strcmp(argv[a], ptdump_modes[m]) != 0; m++)
			;
		if (m == 4) {
			scen_set_msg(msg, msglen, "ptdump: unknown mode '%s' (merged, leaves, "
				     "json, json-leaves)", argv[a]);
			return -1;
		}
		st->how = m;
		a++;
	}
	if (argc - a == 2) {
		for (int i = a; i < a + 2; i++) {
			if (scen_parse_number(argv[i], i == a ? &st->addr : &st->n) != 0) {
				scen_set_msg(msg, msglen, "ptdump: bad address '%s'", argv[i]);
				return -1;
			}
		}
		if (st->n <= st->addr) {
			scen_set_msg(msg, msglen, "ptdump: END must be above START");
			return -1;
		}
		st->ranged = true;
	} else if (argc != a) {
		scen_set_msg(msg, msglen, "ptdump: expected [merged|leaves|json|json-leaves] [START END]");
		return -1;
	}
	return 0;
}

static int run_ptdump(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct job j = { .mm = current_mm(c), .kind = JOB_PTDUMP };

	j.dump.mode = (enum ptdump_mode)st->how;
	if (st->ranged) {
		j.dump.start = st->addr;
		j.dump.end = st->n;
	}
	/* The text modes repeat the normalised command as a header. */
	if (j.dump.mode != PTDUMP_JSON && j.dump.mode != PTDUMP_JSON_LEAVES) {
		int n = snprintf(j.header, sizeof j.header, "ptdump %s", ptdump_modes[st->how]);

		if (st->ranged)
			snprintf(j.header + n, sizeof j.header - (size_t)n, " 0x%" PRIx64 " 0x%" PRIx64,
				 j.dump.start, j.dump.end);
	}
	return run_job(c, &j, io);
}

/* ---- stats, walk VA, mm list ---- */

static int run_stats(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct job j = { .mm = current_mm(c), .kind = JOB_STATS };

	(void)st;
	return run_job(c, &j, io);
}

static int parse_walk(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	if (argc != 2 || scen_parse_number(argv[1], &st->addr) != 0) {
		scen_set_msg(msg, msglen, "walk: expected one address");
		return -1;
	}
	return 0;
}

static int run_walk(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct job j = { .mm = current_mm(c), .kind = JOB_WALK, .va = st->addr };

	return run_job(c, &j, io);
}

static int run_mm_list(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct job j = { .mm = current_mm(c), .kind = JOB_MMLIST };

	(void)st;
	return run_job(c, &j, io);
}

/* ---- vmas ---- */

static int run_vmas(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct snap_opts o = { .mm = current_mm(c) };
	struct snapshot s;
	int r = SCEN_CMD_OK;

	(void)st;
	if (o.mm == 0) {
		/* The first used slot, as the other commands. */
		struct mm_table t;
		const struct mm_desc *d;

		if (mmtab_read(&c->g, &t, io->msg, sizeof io->msg) != 0)
			return read_error(c, io);
		if (!(d = pick_mm(&t, 0))) {
			scen_io_msg(io, "the guest has no address space");
			return SCEN_CMD_ERROR;
		}
		o.mm = d->id;
	}
	if (snapshot_take(&c->g, &o, &s, io->msg, sizeof io->msg) != 0)
		return read_error(c, io);
	if (s.mms[0].vmas_err) {
		scen_io_msg(io, "%s", s.mms[0].vmas_msg);
		r = SCEN_CMD_ERROR;
	} else {
		fprintf(io->out, "vmas:\n");
		vmas_print(io->out, &s.mms[0].vmas, 0, 0, true);
	}
	snapshot_free(&s);
	return r;
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

static int parse_check(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	(void)argv;
	(void)st;
	if (argc == 1)
		return 0;
	scen_set_msg(msg, msglen, "check: the invariant checker takes no arguments");
	return -1;
}

static int run_check(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct check_report rep;
	long n = icmd_run_checker(&c->g, &rep, io->msg, sizeof io->msg);

	(void)st;
	if (n < 0)
		return read_error(c, io);
	if (n == 0) {
		fprintf(io->out, "check -> ok (%u mms, %zu vmas, %zu ptes, %zu page tables, %zu frames)\n",
			rep.mms, rep.vmas, rep.leaves, rep.tables, rep.frames);
	} else {
		fprintf(io->out, "check -> FAIL: %ld violation%s\n", n, n == 1 ? "" : "s");
		check_report_print(io->out, &rep);
		scen_io_msg(io, "check found violations");
	}
	check_report_free(&rep);
	return n == 0 ? SCEN_CMD_OK : SCEN_CMD_FAIL;
}

/* `expect clean`: the checker's verdict as an expectation. */
static int run_clean(void *ctx, const struct scen_stmt *st, struct scen_io *io)
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

static const struct scen_cmd cmds[] = {
	{ "ptdump", "[MODE] [START END]",
	  "page tables of the current mm; MODE merged, leaves, json, json-leaves",
	  0, 3, parse_ptdump, run_ptdump },
	{ "vmas", "", "every VMA of the current mm, with pgoff, flags, anon",
	  0, 0, scen_parse_no_args, run_vmas },
	{ "walk", "VA", "the page walk of one address, level by level", 1, 1, parse_walk, run_walk },
	{ "stats", "", "the guest's counters for the current mm and RAM",
	  0, 0, scen_parse_no_args, run_stats },
	{ "check", "", "the invariant checker over every mm", 0, 0, parse_check, run_check },
	{ "mm list", "", "address spaces (* = current)", 0, 0, scen_parse_no_args, run_mm_list },
	{ "expect clean", "", "the invariant checker finds nothing wrong",
	  0, 0, scen_parse_no_args, run_clean },
};

const struct scen_cmd_table icmd_commands = { cmds, sizeof(cmds) / sizeof(cmds[0]) };
