/*
 * Seqlock reader of the guest's published mm state: see snapshot.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <time.h>

#include "vmm/inspect/snapshot.h"

#define SPIN_NS          200000ULL   /* poll a busy seq this long before sleeping */
#define SLEEP_MIN_NS     50000L
#define SLEEP_MAX_NS     1000000L

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint32_t load_seq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* A change in progress: some writer counted in seq's low byte
 * (shared/mm_abi.h).  Whatever the guest wrote, the answer is one test. */
static bool busy(uint32_t seq)
{
	return (seq & MM_SEQ_WRITERS) != 0;
}

/* Wait (bounded by deadline) until no change is in progress; returns seq,
 * still busy on timeout. */
static uint32_t wait_idle(const uint32_t *p, uint64_t deadline)
{
	uint64_t spin_end = now_ns() + SPIN_NS;
	long sleep_ns = SLEEP_MIN_NS;
	uint32_t s;

	while (busy(s = load_seq(p))) {
		uint64_t t = now_ns();
		if (t >= deadline)
			break;
		if (t < spin_end) {
			__builtin_ia32_pause();
			continue;
		}
		struct timespec ts = { 0, sleep_ns };
		nanosleep(&ts, NULL);
		if (sleep_ns < SLEEP_MAX_NS)
			sleep_ns *= 2;
	}
	return s;
}

int snapshot_run(const struct gmem *g, unsigned timeout_ms,
		 int (*fn)(const struct gmem *g, void *ctx), void *ctx, unsigned *attempts)
{
	const uint32_t *seqp = gmem_ptr(g, MM_TABLE_GPA + offsetof(struct mm_table, seq),
					sizeof(uint32_t));
	uint64_t deadline = now_ns() + (uint64_t)(timeout_ms ? timeout_ms : SNAP_TIMEOUT_MS) * 1000000ULL;
	unsigned n = 0;
	int r = -EBUSY;

	if (!seqp)
		return -EFAULT;
	for (;;) {
		uint32_t s1 = wait_idle(seqp, deadline);
		if (busy(s1))
			break;
		n++;
		r = fn(g, ctx);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (load_seq(seqp) == s1)
			goto out;
		r = -EBUSY;
		if (now_ns() >= deadline)
			break;
		if (n % 8 == 0) {   /* the guest is busy: let it run */
			struct timespec ts = { 0, SLEEP_MIN_NS };
			nanosleep(&ts, NULL);
		}
	}
out:
	if (attempts)
		*attempts = n;
	return r;
}

/* ---- collecting one mm ---- */

/* What the walk of one mm adds to, and what stopped it. */
struct collect {
	struct mm_snap *m;
	struct host_budget *mem;
	int err;                 /* 0, -E2BIG (budget spent) or -ENOMEM */
};

static int collect_leaf(void *ctx, const struct ptw_leaf *l)
{
	struct collect *c = ctx;
	struct mm_snap *m = c->m;

	if ((c->err = budget_grow(c->mem, (void **)&m->leaves, &m->leaves_cap, m->nleaves,
				  sizeof *l)) != 0)
		return 1;
	m->leaves[m->nleaves++] = *l;
	return 0;
}

static int collect_table(void *ctx, const struct ptw_table *t)
{
	struct collect *c = ctx;
	struct mm_snap *m = c->m;

	if ((c->err = budget_grow(c->mem, (void **)&m->tables, &m->tables_cap, m->ntables,
				  sizeof *t)) != 0)
		return 1;
	m->tables[m->ntables++] = *t;
	return 0;
}

static int collect_error(void *ctx, const struct ptw_error *e)
{
	struct collect *c = ctx;
	struct mm_snap *m = c->m;

	if ((c->err = budget_grow(c->mem, (void **)&m->errors, &m->errors_cap, m->nerrors,
				  sizeof *e)) != 0)
		return 1;
	m->errors[m->nerrors++] = *e;
	return 0;
}

/* Forget what an earlier attempt collected (the arrays stay, charged, for
 * the next one; the VMA list is read anew). */
static void mm_snap_reset(struct mm_snap *m, struct host_budget *mem)
{
	mem->used -= m->vmas.cap * sizeof *m->vmas.v;
	vma_list_free(&m->vmas);
	m->vmas_err = 0;
	m->vmas_msg[0] = 0;
	m->nleaves = m->ntables = m->nerrors = 0;
	m->walk_err = 0;
}

struct take_ctx {
	const struct snap_opts *o;
	struct snapshot *s;
	char *err;
	size_t errlen;
};

static int copy_pages(const struct gmem *g, struct snapshot *s)
{
	uint64_t gpa;
	s->pages_err = 0;
	s->pages_msg[0] = 0;
	if (gmem_direct_to_gpa(g, s->table.pages, s->npages * sizeof(struct abi_page), &gpa) != 0 ||
	    (gpa & 7)) {
		snprintf(s->pages_msg, sizeof s->pages_msg,
			 "mm_table.pages 0x%" PRIx64 " is not an aligned direct-map address of %"
			 PRIu64 " entries inside RAM", s->table.pages, s->npages);
		s->pages_err = -EFAULT;
		return 0;
	}
	gmem_read(g, gpa, s->pages, s->npages * sizeof(struct abi_page));
	return 0;
}

/* Read the VMA list and (o->walk) the page tables of the mm described by d
 * into m: 0, or -E2BIG / -ENOMEM with a message in c->err. */
static int take_mm(const struct gmem *g, struct take_ctx *c, struct mm_snap *m,
		   const struct mm_desc *d)
{
	struct collect col = { .m = m, .mem = &c->s->mem };

	m->desc = *d;
	m->vmas_err = vmas_read_bounded(g, d, &m->vmas, &c->s->mem, m->vmas_msg,
					sizeof m->vmas_msg);
	if (m->vmas_err == -E2BIG || m->vmas_err == -ENOMEM) {
		snprintf(c->err, c->errlen, "%s", m->vmas_msg);
		return m->vmas_err;
	}
	if (!c->o->walk)
		return 0;
	struct ptw_visitor v = { .leaf = collect_leaf, .table = collect_table,
				 .error = collect_error, .ctx = &col, .protnone = true };
	int w = ptwalk(g, d->pml4, 0, USER_HALF_LAST, &v);
	if (col.err == -E2BIG)
		snprintf(c->err, c->errlen, "mm %u: its page tables hold more than %zu leaves and "
			 "%zu tables: a snapshot would take the host past %u MiB (page tables that "
			 "point back at themselves?)", d->id, m->nleaves, m->ntables,
			 SNAP_MAX_BYTES >> 20);
	else if (col.err)
		snprintf(c->err, c->errlen, "out of memory");
	if (col.err)
		return col.err;
	if (w < 0)
		m->walk_err = w;
	return 0;
}

static int take_once(const struct gmem *g, void *vctx)
{
	struct take_ctx *c = vctx;
	struct snapshot *s = c->s;
	const struct snap_opts *o = c->o;
	int r;

	for (unsigned i = 0; i < s->nmms; i++)
		mm_snap_reset(&s->mms[i], &s->mem);
	s->nmms = 0;
	if ((r = mmtab_read(g, &s->table, c->err, c->errlen)) != 0)
		return r;
	if (o->pages)
		copy_pages(g, s);
	for (unsigned i = 0; i < MM_MAX; i++) {
		const struct mm_desc *d = &s->table.mms[i];
		if (d->id == 0 || (o->mm && d->id != o->mm))
			continue;
		if ((r = take_mm(g, c, &s->mms[s->nmms++], d)) != 0)
			return r;
		if (o->mm)
			break;
	}
	if (o->mm && s->nmms == 0) {
		snprintf(c->err, c->errlen, "no mm with id %u", o->mm);
		return -ESRCH;
	}
	return 0;
}

int snapshot_take(const struct gmem *g, const struct snap_opts *o, struct snapshot *s,
		  char *err, size_t errlen)
{
	struct take_ctx c = { .o = o, .s = s, .err = err, .errlen = errlen };
	uint64_t t0 = now_ns();
	int r;

	memset(s, 0, sizeof *s);
	s->opts = *o;
	s->npages = g->size >> 12;
	s->mem.max = SNAP_MAX_BYTES;
	/* The page array's copy is as large as RAM makes it (8 bytes a frame:
	 * 6 MiB for the largest RAM vmm gives a guest), the rest is the guest's
	 * doing. */
	if (budget_charge(&s->mem, MM_MAX * sizeof *s->mms +
			  (o->pages ? (s->npages ? s->npages : 1) * sizeof *s->pages : 0)) != 0) {
		snprintf(err, errlen, "a copy of the page array of %" PRIu64 " frames would take "
			 "more than %u MiB", s->npages, SNAP_MAX_BYTES >> 20);
		return -E2BIG;
	}
	s->mms = calloc(MM_MAX, sizeof *s->mms);
	if (!s->mms)
		goto nomem;
	if (o->pages && !(s->pages = calloc(s->npages ? s->npages : 1, sizeof *s->pages)))
		goto nomem;
	r = snapshot_run(g, o->timeout_ms, take_once, &c, &s->attempts);
	s->elapsed_ns = now_ns() - t0;
	if (r == -EBUSY)
		snprintf(err, errlen, "busy: the guest kept changing its mm state for %u ms "
			 "(%u attempts)", o->timeout_ms ? o->timeout_ms : SNAP_TIMEOUT_MS, s->attempts);
	else if (r == -EFAULT && s->attempts == 0)
		snprintf(err, errlen, "mm table at 0x%llx is outside RAM", MM_TABLE_GPA);
	if (r != 0)
		snapshot_free(s);
	return r;
nomem:
	snprintf(err, errlen, "out of memory");
	snapshot_free(s);
	return -ENOMEM;
}

void snapshot_free(struct snapshot *s)
{
	if (s->mms) {
		for (unsigned i = 0; i < MM_MAX; i++) {
			struct mm_snap *m = &s->mms[i];
			vma_list_free(&m->vmas);
			free(m->leaves);
			free(m->tables);
			free(m->errors);
		}
	}
	free(s->mms);
	free(s->pages);
	s->mms = NULL;
	s->pages = NULL;
	s->nmms = 0;
}

const struct mm_snap *snapshot_mm(const struct snapshot *s, uint32_t id)
{
	for (unsigned i = 0; i < s->nmms; i++)
		if (s->mms[i].desc.id == id)
			return &s->mms[i];
	return NULL;
}
