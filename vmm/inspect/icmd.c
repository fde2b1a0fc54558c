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

int icmd_parse_number(const char *s, uint64_t *val)
{
	uint64_t v = 0, base = 10;
	unsigned shift = 0;
	const char *p = s;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -1;
	for (; *p; p++) {
		unsigned d;
		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	if (p == s || (base == 16 && p == s + 2))
		return -1;
	if (*p) {
		if (p[1])
			return -1;
		switch (*p) {
		case 'K': shift = 10; break;
		case 'M': shift = 20; break;
		case 'G': shift = 30; break;
		default: return -1;
		}
		if (v > (UINT64_MAX >> shift))
			return -1;
		v <<= shift;
	}
	*val = v;
	return 0;
}

void icmd_help(FILE *out)
{
	fputs("mmap|munmap|mprotect|touch|fill|check ADDR LEN ...  scenario operations (docs/scenarios.md)\n"
	      "maps                             the scenario window's mappings\n"
	      "expect ...                       scenario expectations; 'expect clean' runs the checker\n"
	      "ptdump [MODE] [START END]        page tables of the current mm; MODE merged (default),\n"
	      "                                 leaves, json or json-leaves; leaves intersecting [START, END)\n"
	      "vmas                             every VMA of the current mm, with pgoff, flags, anon\n"
	      "walk VA                          the page walk of one address, level by level\n"
	      "stats                            the guest's counters for the current mm and RAM\n"
	      "check                            the invariant checker over every mm (no arguments)\n"
	      "mm list                          address spaces (* = current)\n"
	      "mm new                           create an address space and make it current\n"
	      "mm use ID                        make address space ID current\n"
	      "mm destroy ID                    destroy address space ID (not the current one)\n"
	      "inject stray-pte|writable-zero ADDR  break an invariant on purpose (tests only)\n"
	      "help                             this text\n", out);
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

static int run_job(const struct gmem *g, struct job *j, FILE *out, char *err, size_t errlen)
{
	unsigned attempts = 0;
	int r = snapshot_run(g, 0, job_once, j, &attempts);

	if (r == 0) {
		fwrite(j->out.buf, 1, j->out.len, out);
	} else if (r == -EBUSY) {
		snprintf(err, errlen, "busy: the guest kept changing its mm state for %u ms "
			 "(%u attempts)", SNAP_TIMEOUT_MS, attempts);
	} else if (j->err[0]) {
		snprintf(err, errlen, "%s", j->err);
	} else {
		snprintf(err, errlen, "%s", strerror(-r));
	}
	membuf_free(&j->out);
	return r == 0 ? ICMD_OK : ICMD_ERROR;
}

/* ---- commands ---- */

static int cmd_ptdump(const struct gmem *g, uint32_t mm, int argc, char **argv, FILE *out,
		      char *err, size_t errlen)
{
	static const char *const modes[] = { "merged", "leaves", "json", "json-leaves" };
	struct job j = { .mm = mm, .kind = JOB_PTDUMP };
	int a = 1;

	j.dump.mode = PTDUMP_MERGED;
	if (a < argc && !(argv[a][0] >= '0' && argv[a][0] <= '9')) {
		unsigned m;
		for (m = 0; m < 4 && strcmp(argv[a], modes[m]) != 0; m++)
			;
		if (m == 4) {
			snprintf(err, errlen, "ptdump: unknown mode '%s' (merged, leaves, json, json-leaves)",
				 argv[a]);
			return ICMD_ERROR;
		}
		j.dump.mode = (enum ptdump_mode)m;
		a++;
	}
	if (argc - a == 2) {
		if (icmd_parse_number(argv[a], &j.dump.start) ||
		    icmd_parse_number(argv[a + 1], &j.dump.end)) {
			snprintf(err, errlen, "ptdump: bad address '%s'",
				 icmd_parse_number(argv[a], &j.dump.start) ? argv[a] : argv[a + 1]);
			return ICMD_ERROR;
		}
		if (j.dump.end <= j.dump.start) {
			snprintf(err, errlen, "ptdump: END must be above START");
			return ICMD_ERROR;
		}
	} else if (argc != a) {
		snprintf(err, errlen, "ptdump: expected [merged|leaves|json|json-leaves] [START END]");
		return ICMD_ERROR;
	}
	if (!out)
		return ICMD_OK;
	if (j.dump.mode != PTDUMP_JSON && j.dump.mode != PTDUMP_JSON_LEAVES) {
		int n = snprintf(j.header, sizeof j.header, "ptdump %s", modes[j.dump.mode]);
		if (argc - a == 2)
			snprintf(j.header + n, sizeof j.header - (size_t)n, " 0x%" PRIx64 " 0x%" PRIx64,
				 j.dump.start, j.dump.end);
	}
	return run_job(g, &j, out, err, errlen);
}

static int cmd_check(const struct gmem *g, int argc, FILE *out, char *err, size_t errlen)
{
	struct snap_opts o = { .walk = true, .pages = true };
	struct snapshot s;
	struct check_report rep;

	if (argc != 1) {
		snprintf(err, errlen, "check: the invariant checker takes no arguments");
		return ICMD_ERROR;
	}
	if (!out)
		return ICMD_OK;
	if (snapshot_take(g, &o, &s, err, errlen) != 0)
		return ICMD_ERROR;
	long n = check_snapshot(&s, &rep);
	snapshot_free(&s);
	if (n < 0) {
		snprintf(err, errlen, "check: %s", strerror((int)-n));
		return ICMD_ERROR;
	}
	if (n == 0) {
		fprintf(out, "check -> ok (%u mms, %zu vmas, %zu ptes, %zu page tables, %zu frames)\n",
			rep.mms, rep.vmas, rep.leaves, rep.tables, rep.frames);
	} else {
		fprintf(out, "check -> FAIL: %ld violation%s\n", n, n == 1 ? "" : "s");
		check_report_print(out, &rep);
	}
	check_report_free(&rep);
	return n == 0 ? ICMD_OK : ICMD_FAIL;
}

static int cmd_vmas(const struct gmem *g, uint32_t mm, int argc, FILE *out, char *err,
		    size_t errlen)
{
	struct snap_opts o = { .mm = mm };
	struct snapshot s;

	if (argc != 1) {
		snprintf(err, errlen, "vmas: expected no arguments");
		return ICMD_ERROR;
	}
	if (!out)
		return ICMD_OK;
	if (mm == 0) {
		/* The first used slot, as the other commands. */
		struct mm_table t;
		if (mmtab_read(g, &t, err, errlen) != 0)
			return ICMD_ERROR;
		const struct mm_desc *d = pick_mm(&t, 0);
		if (!d) {
			snprintf(err, errlen, "the guest has no address space");
			return ICMD_ERROR;
		}
		o.mm = d->id;
	}
	if (snapshot_take(g, &o, &s, err, errlen) != 0)
		return ICMD_ERROR;
	const struct mm_snap *m = &s.mms[0];
	int r = ICMD_OK;
	if (m->vmas_err) {
		snprintf(err, errlen, "%s", m->vmas_msg);
		r = ICMD_ERROR;
	} else {
		fprintf(out, "vmas:\n");
		vmas_print(out, &m->vmas, 0, 0, true);
	}
	snapshot_free(&s);
	return r;
}

int icmd_run(const struct gmem *g, uint32_t mm, int argc, char **argv, FILE *out,
	     char *err, size_t errlen)
{
	const char *kw = argc > 0 ? argv[0] : "";

	if (strcmp(kw, "ptdump") == 0)
		return cmd_ptdump(g, mm, argc, argv, out, err, errlen);
	if (strcmp(kw, "check") == 0 && argc == 1)
		return cmd_check(g, argc, out, err, errlen);
	if (strcmp(kw, "vmas") == 0)
		return cmd_vmas(g, mm, argc, out, err, errlen);
	if (strcmp(kw, "stats") == 0 || strcmp(kw, "walk") == 0 ||
	    (strcmp(kw, "mm") == 0 && argc >= 2 && strcmp(argv[1], "list") == 0)) {
		struct job j = { .mm = mm };
		if (kw[0] == 's') {
			j.kind = JOB_STATS;
			if (argc != 1) {
				snprintf(err, errlen, "stats: expected no arguments");
				return ICMD_ERROR;
			}
		} else if (kw[0] == 'w') {
			j.kind = JOB_WALK;
			if (argc != 2 || icmd_parse_number(argv[1], &j.va) != 0) {
				snprintf(err, errlen, "walk: expected one address");
				return ICMD_ERROR;
			}
		} else {
			j.kind = JOB_MMLIST;
			if (argc != 2) {
				snprintf(err, errlen, "mm list: expected no arguments");
				return ICMD_ERROR;
			}
		}
		if (!out)
			return ICMD_OK;
		return run_job(g, &j, out, err, errlen);
	}
	if (strcmp(kw, "help") == 0) {
		if (out) {
			fprintf(out, "help:\n");
			icmd_help(out);
		}
		return ICMD_OK;
	}
	return ICMD_UNKNOWN;
}
