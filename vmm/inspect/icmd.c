/*
 * Inspection commands: see icmd.h.  Every answer is produced into a memory
 * stream inside a consistent snapshot window and copied to the caller's
 * stream only when complete.  This file holds the table and the commands
 * over the mm table and the page tables (ptdump, stats, walk, mm list);
 * icmd_vmas.c those over a snapshot of VMAs, leaves and pages.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/inspect/icmd_internal.h"
#include "vmm/inspect/mmstats.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/share.h"
#include "vmm/inspect/vmas.h"

static const char *const ptdump_modes[] = { "merged", "leaves", "json", "json-leaves", "linux" };
#define PTDUMP_NMODES (sizeof ptdump_modes / sizeof ptdump_modes[0])

uint32_t icmd_current_mm(const struct icmd_ctx *c)
{
	return c->current_mm ? c->current_mm(c->arg) : 0;
}

int icmd_read_error(const struct icmd_ctx *c, struct scen_io *io)
{
	const char *why = c->failure ? c->failure(c->arg) : NULL;

	if (!why)
		return SCEN_CMD_ERROR;
	scen_io_msg(io, "guest failed: %s", why);
	return SCEN_CMD_DEAD;
}

const struct mm_desc *icmd_pick_mm(const struct mm_table *t, uint32_t mm)
{
	if (mm)
		return mmtab_find(t, mm);
	for (unsigned i = 0; i < MM_MAX; i++)
		if (t->mms[i].id != 0)
			return &t->mms[i];
	return NULL;
}

bool icmd_is_json(const char *word)
{
	return strcmp(word, "json") == 0 || strcmp(word, "--json") == 0;
}

int icmd_parse_json_opt(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	int words = scen_cmd_name_words(st->cmd);

	st->how = 0;
	if (argc == words)
		return 0;
	if (argc == words + 1 && icmd_is_json(argv[words])) {
		st->how = ICMD_JSON;
		return 0;
	}
	scen_set_msg(msg, msglen, "%s: expected nothing or 'json'", st->cmd->name);
	return -1;
}

/* ---- the snapshot window of one answer ---- */

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
	bool json;
	struct ptdump_opts dump;
	uint64_t va;
	char header[96];         /* first line without the colon, "" for none */
	struct membuf out;
	char err[256];
};

enum { JOB_PTDUMP, JOB_STATS, JOB_WALK, JOB_MMLIST };

/* Does this job print what the host's count of frame mappings says? */
static bool job_needs_share(const struct job *j)
{
	return j->kind == JOB_STATS || j->kind == JOB_MMLIST ||
	       (j->kind == JOB_PTDUMP && j->dump.mode != PTDUMP_LINUX);
}

static int job_print(const struct gmem *g, struct job *j, const struct mm_table *t,
		     const struct mm_desc *d, const struct frame_share *fs)
{
	int r = 0;
	struct ptw_steps w;
	struct ptdump_opts o;
	struct mm_counts c;

	switch (j->kind) {
	case JOB_PTDUMP:
		o = j->dump;
		o.share = fs;
		r = ptdump(g, d->pml4, &o, j->out.f);
		if (r == -E2BIG)
			r = 0;   /* the dump says it was cut short */
		break;
	case JOB_STATS:
		mm_counts_get(g, t, fs, d, &c);
		if (j->json) {
			mm_stats_json(j->out.f, t, &c);
		} else {
			fprintf(j->out.f, "stats -> ");
			mm_stats_print(j->out.f, t, &c);
		}
		break;
	case JOB_WALK:
		if (j->json) {
			ptwalk_steps(g, d->pml4, j->va, &w);
			ptwalk_steps_json(j->out.f, &w, d->id, d->pml4);
			break;
		}
		fprintf(j->out.f, "walk 0x%" PRIx64 " (mm %u, pml4 0x%" PRIx64 "):\n", j->va, d->id,
			d->pml4);
		ptwalk_describe(g, d->pml4, j->va, j->out.f);
		break;
	case JOB_MMLIST:
		mm_list_print(j->out.f, g, t, fs, j->mm, j->json);
		break;
	}
	return r;
}

static int job_once(const struct gmem *g, void *ctx)
{
	struct job *j = ctx;
	struct mm_table t;
	const struct mm_desc *d = NULL;
	struct frame_share fs = { 0 };
	int r;

	j->err[0] = 0;
	if ((r = membuf_open(&j->out)) != 0)
		return r;
	if ((r = mmtab_read(g, &t, j->err, sizeof j->err)) != 0)
		goto out;
	if (j->kind != JOB_MMLIST && !(d = icmd_pick_mm(&t, j->mm))) {
		if (j->mm)
			snprintf(j->err, sizeof j->err, "no mm with id %u", j->mm);
		else
			snprintf(j->err, sizeof j->err, "the guest has no address space");
		r = -ESRCH;
		goto out;
	}
	if (job_needs_share(j) && (r = frame_share_count(g, &t, &fs)) != 0) {
		snprintf(j->err, sizeof j->err, "out of memory");
		goto out;
	}
	if (j->header[0])
		fprintf(j->out.f, "%s:\n", j->header);
	r = job_print(g, j, &t, d, job_needs_share(j) ? &fs : NULL);
out:
	frame_share_free(&fs);
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
	return r == 0 ? SCEN_CMD_OK : icmd_read_error(c, io);
}

/* ---- ptdump [MODE | --format MODE] [START END] ---- */

static int parse_ptdump_mode(int argc, char **argv, int *a, struct scen_stmt *st,
			     char *msg, size_t msglen)
{
	const char *word;
	unsigned m;

	st->how = PTDUMP_MERGED;
	if (*a < argc && strcmp(argv[*a], "--format") == 0) {
		if (++*a >= argc) {
			scen_set_msg(msg, msglen, "ptdump: --format needs a mode");
			return -1;
		}
	} else if (*a >= argc || (argv[*a][0] >= '0' && argv[*a][0] <= '9')) {
		return 0;
	}
	word = argv[*a];
	for (m = 0; m < PTDUMP_NMODES && strcmp(word, ptdump_modes[m]) != 0; m++)
		;
	if (m == PTDUMP_NMODES) {
		scen_set_msg(msg, msglen, "ptdump: unknown mode '%s' (merged, leaves, "
			     "json, json-leaves, linux)", word);
		return -1;
	}
	st->how = m;
	++*a;
	return 0;
}

static int parse_ptdump(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	int a = 1;

	if (parse_ptdump_mode(argc, argv, &a, st, msg, msglen) != 0)
		return -1;
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
		scen_set_msg(msg, msglen, "ptdump: expected [merged|leaves|json|json-leaves|linux] "
			     "[START END]");
		return -1;
	}
	return 0;
}

static int run_ptdump(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct job j = { .mm = icmd_current_mm(c), .kind = JOB_PTDUMP };

	j.dump.mode = (enum ptdump_mode)st->how;
	if (st->ranged) {
		j.dump.start = st->addr;
		j.dump.end = st->n;
	}
	/* The text modes of our own repeat the normalised command as a header;
	 * JSON and Linux's format print exactly what they define. */
	if (j.dump.mode == PTDUMP_MERGED || j.dump.mode == PTDUMP_LEAVES) {
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
	struct job j = { .mm = icmd_current_mm(c), .kind = JOB_STATS, .json = st->how & ICMD_JSON };

	return run_job(c, &j, io);
}

static int parse_walk(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	st->how = 0;
	if (argc == 3 && icmd_is_json(argv[2]))
		st->how = ICMD_JSON;
	if ((argc != 2 && !st->how) || scen_parse_number(argv[1], &st->addr) != 0) {
		scen_set_msg(msg, msglen, "walk: expected one address, then optionally 'json'");
		return -1;
	}
	return 0;
}

static int run_walk(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct job j = { .mm = icmd_current_mm(c), .kind = JOB_WALK, .va = st->addr,
			 .json = st->how & ICMD_JSON };

	return run_job(c, &j, io);
}

static int run_mm_list(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct job j = { .mm = icmd_current_mm(c), .kind = JOB_MMLIST, .json = st->how & ICMD_JSON };

	return run_job(c, &j, io);
}

static const struct scen_cmd cmds[] = {
	{ "ptdump", "[MODE] [START END]",
	  "page tables of the current mm, shared frames marked; MODE merged, leaves, json, "
	  "json-leaves, linux",
	  0, 4, parse_ptdump, run_ptdump },
	{ "vmas", "[json]", "every VMA of the current mm, with pgoff, flags, anon",
	  0, 1, icmd_parse_json_opt, icmd_run_vmas },
	{ "maps", "--full", "the VMAs as /proc/PID/maps prints them (six columns)",
	  1, 1, icmd_parse_maps_full, icmd_run_maps_full },
	{ "smaps", "", "the VMAs as /proc/PID/smaps prints them (Rss, Pss, Anonymous...)",
	  0, 0, scen_parse_no_args, icmd_run_smaps },
	{ "walk", "VA [json]", "the page walk of one address, level by level",
	  1, 2, parse_walk, run_walk },
	{ "stats", "[json]", "the current mm's counters (parent, RSS, shared pages) and RAM's",
	  0, 1, icmd_parse_json_opt, run_stats },
	{ "check", "[json]", "the invariant checker over every mm", 0, 1, icmd_parse_check,
	  icmd_run_check },
	{ "mm list", "[json]", "address spaces: parent, RSS, shared pages (* = current)", 0, 1, icmd_parse_json_opt,
	  run_mm_list },
	{ "tlb", "[json]", "each CPU's mm, lazy or not, flushes and IPIs so far",
	  0, 1, icmd_parse_json_opt, icmd_run_tlb },
	{ "expect clean", "", "the invariant checker finds nothing wrong",
	  0, 0, scen_parse_no_args, icmd_run_clean },
};

const struct scen_cmd_table icmd_commands = { cmds, sizeof(cmds) / sizeof(cmds[0]) };
