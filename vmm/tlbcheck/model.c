/*
 * The replay model: per CPU the mm it has loaded and whether it is lazy,
 * and the set of what some CPU may still cache (stale.h):
 *  - TLOG_PTE_CLEAR adds (cpu, mm, va -> frame) for every CPU that has the
 *    mm loaded, lazy or not; TLOG_PT_UNLINK adds (cpu, mm, span -> table)
 *    the same way;
 *  - a flush on a CPU covering the address (page, range: the table's span
 *    met; full) or any CR3 load on it drops them;
 *  - TLOG_FRAME_FREE of a frame a non-lazy CPU may still translate to, and
 *    TLOG_PT_FREE of a table any CPU may still cache (lazy ones too: the
 *    page walker runs speculatively), are violations; a lazy CPU leaving
 *    lazy mode without a flush while it holds anything of the mm is one
 *    too (Linux lets it skip leaf flushes only because it flushes then).
 * Only the first violation is explained; later ones are counted.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/tlbcheck/model.h"

struct tlb_model *tlb_model_new(uint32_t cap)
{
	struct tlb_model *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	if (stale_init(&m->s, cap) != 0) {
		free(m);
		return NULL;
	}
	m->bad = TLBV_CLEAN;
	return m;
}

void tlb_model_free(struct tlb_model *m)
{
	if (!m)
		return;
	stale_fini(&m->s);
	free(m);
}

void tlb_model_refuse(struct tlb_model *m, const char *msg)
{
	if (m->bad != TLBV_CLEAN)
		return;
	m->bad = TLBV_REFUSED;
	snprintf(m->msg, sizeof m->msg, "tlb: log refused: %s", msg);
}

void tlb_model_lost(struct tlb_model *m, uint64_t n)
{
	m->n.lost += n;
}

/* A record no correct guest writes: refuse the log. */
static int refuse(struct tlb_model *m, const struct tlblog_rec *r, const char *why)
{
	char msg[TLBCHECK_MSG_MAX - 32];

	snprintf(msg, sizeof msg, "event %" PRIu64 " (kind %u, cpu %u, mm %u, a 0x%" PRIx64
		 ", b 0x%" PRIx64 "): %s", r->seq, r->ev, r->cpu, r->mm, r->a, r->b, why);
	tlb_model_refuse(m, msg);
	return 0;
}

static struct tlb_evref evref(const struct tlblog_rec *r)
{
	return (struct tlb_evref){ .seq = r->seq, .a = r->a, .b = r->b, .cpu = r->cpu, .ev = r->ev };
}

/* (kind, phys, va, level) for every CPU that has r->mm loaded. */
static void add_for_loaders(struct tlb_model *m, const struct tlblog_rec *r, unsigned kind,
			    uint64_t va, uint64_t phys, unsigned level)
{
	for (unsigned c = 0; c < TLBCHECK_CPUS; c++) {
		struct stale_ent e = { .va = va, .phys = phys, .seq = r->seq, .mm = r->mm,
				       .cpu = (uint16_t)c, .by_cpu = r->cpu, .kind = (uint8_t)kind,
				       .level = (uint8_t)level };
		if (m->cpu[c].mm != r->mm)
			continue;
		if (stale_add(&m->s, &e) != 0 && !m->full_seq)
			m->full_seq = r->seq;
	}
}

static void violation(struct tlb_model *m, const struct stale_ent *e, const struct tlblog_rec *r,
		      void (*explain)(struct tlb_model *, const struct stale_ent *,
				      const struct tlblog_rec *))
{
	m->n.violations++;
	if (m->bad != TLBV_CLEAN)
		return;
	m->bad = TLBV_VIOLATION;
	explain(m, e, r);
}

/* A data frame went back: no non-lazy CPU may still translate to it.  A
 * lazy CPU's entries are marked and leave the frame's chain: they are
 * judged when that CPU leaves lazy mode. */
static void frame_free(struct tlb_model *m, const struct tlblog_rec *r)
{
	uint32_t i = stale_phys_first(&m->s, STALE_LEAF, r->a), next;

	m->n.frames_checked++;
	for (; i != STALE_NIL; i = next) {
		struct stale_ent *e = &m->s.e[i];
		next = stale_phys_next(&m->s, i);
		if (m->cpu[e->cpu].lazy) {
			if (!e->freed_seq)
				e->freed_seq = r->seq;
			stale_phys_forget(&m->s, i);
			continue;
		}
		violation(m, e, r, explain_frame);
		return;
	}
}

static void table_free(struct tlb_model *m, const struct tlblog_rec *r)
{
	uint32_t i = stale_phys_first(&m->s, STALE_TABLE, r->a);

	m->n.tables_checked++;
	if (i != STALE_NIL)
		violation(m, &m->s.e[i], r, explain_table);
}

/* A lazy CPU uses its mm again; without a flush it must hold nothing of it. */
static void lazy_exit(struct tlb_model *m, const struct tlblog_rec *r)
{
	struct tlb_cpu *c = &m->cpu[r->cpu];
	uint32_t pick = STALE_NIL;

	c->lazy = false;
	if (r->a) {
		stale_drop_cpu(&m->s, r->cpu);
		return;
	}
	/* Explain with a leaf whose frame was freed, else a leaf, else a table. */
	for (uint32_t i = m->s.cpu_head[r->cpu]; i != STALE_NIL; i = m->s.e[i].cpu_next) {
		const struct stale_ent *e = &m->s.e[i];
		if (pick == STALE_NIL || (e->kind == STALE_LEAF && m->s.e[pick].kind != STALE_LEAF) ||
		    (e->freed_seq && !m->s.e[pick].freed_seq && e->kind == STALE_LEAF))
			pick = i;
	}
	if (pick != STALE_NIL)
		violation(m, &m->s.e[pick], r, explain_lazy_exit);
}

/* What the record says about its CPU's loaded mm and lazy mode. */
static int replay_mode(struct tlb_model *m, const struct tlblog_rec *r)
{
	struct tlb_cpu *c = &m->cpu[r->cpu];

	switch (r->ev) {
	case TLOG_CR3_LOAD:
		stale_drop_cpu(&m->s, r->cpu);
		c->mm = r->mm;
		c->lazy = false;
		return 0;
	case TLOG_LAZY_ENTER:
		if (r->mm != c->mm || c->lazy)
			return refuse(m, r, "lazy mode entered for an mm not in use on that CPU");
		c->lazy = true;
		return 0;
	default:              /* TLOG_LAZY_EXIT */
		if (r->mm != c->mm || !c->lazy)
			return refuse(m, r, "lazy mode left by a CPU not lazy in that mm");
		lazy_exit(m, r);
		return 0;
	}
}

/* Flushes and flush requests. */
static int replay_flush(struct tlb_model *m, const struct tlblog_rec *r)
{
	struct tlb_cpu *c = &m->cpu[r->cpu];

	switch (r->ev) {
	case TLOG_FLUSH_PAGE:
		stale_flush_pages(&m->s, r->cpu, r->a & ~0xfffULL, 1);
		c->flush = evref(r);
		return 0;
	case TLOG_FLUSH_RANGE:
		stale_flush(&m->s, r->cpu, r->a, r->b);
		c->flush = evref(r);
		return 0;
	case TLOG_FLUSH_ALL:
		stale_drop_cpu(&m->s, r->cpu);
		return 0;
	}
	if (r->a >= TLBCHECK_CPUS)
		return refuse(m, r, "flush request naming a CPU out of range");
	if (r->ev == TLOG_IPI_SEND)
		m->cpu[r->a].sent = evref(r);
	else if (r->ev == TLOG_IPI_RECV)
		c->recv = evref(r);
	else
		c->ack = evref(r);
	return 0;
}

/* Page-table changes and frees. */
static int replay_mm(struct tlb_model *m, const struct tlblog_rec *r)
{
	unsigned level = (unsigned)(r->b & 0xfff);

	switch (r->ev) {
	case TLOG_PTE_CLEAR:
		if (r->b & 0xfff)
			return refuse(m, r, "PTE clear of a frame address that is not page-aligned");
		add_for_loaders(m, r, STALE_LEAF, r->a & ~0xfffULL, r->b, 0);
		return 0;
	case TLOG_PT_UNLINK:
		if (level < 1 || level > 3)
			return refuse(m, r, "page-table unlink with a level outside 1..3");
		add_for_loaders(m, r, STALE_TABLE, r->a & ~(stale_span(level) - 1),
				r->b & ~0xfffULL, level);
		return 0;
	}
	if (r->a & 0xfff)
		return refuse(m, r, "free of an address that is not page-aligned");
	if (r->ev == TLOG_FRAME_FREE)
		frame_free(m, r);
	else
		table_free(m, r);
	return 0;
}

int tlb_model_feed(void *arg, const struct tlblog_rec *r)
{
	struct tlb_model *m = arg;

	if (m->bad == TLBV_REFUSED || m->n.lost)
		return 0;             /* nothing can be proven any more */
	if (r->cpu >= TLBCHECK_CPUS)
		return refuse(m, r, "CPU out of range");
	m->n.events++;
	switch (r->ev) {
	case TLOG_CR3_LOAD:
	case TLOG_LAZY_ENTER:
	case TLOG_LAZY_EXIT:
		return replay_mode(m, r);
	case TLOG_FLUSH_PAGE:
	case TLOG_FLUSH_RANGE:
	case TLOG_FLUSH_ALL:
	case TLOG_IPI_SEND:
	case TLOG_IPI_RECV:
	case TLOG_IPI_ACK:
		return replay_flush(m, r);
	case TLOG_PTE_CLEAR:
	case TLOG_PT_UNLINK:
	case TLOG_FRAME_FREE:
	case TLOG_PT_FREE:
		return replay_mm(m, r);
	default:
		m->n.events--;
		return refuse(m, r, "unknown event kind");
	}
}

enum tlbcheck_verdict tlb_model_verdict(const struct tlb_model *m, char *msg, size_t len,
					struct tlbcheck_counts *c)
{
	*c = m->n;
	c->stale = m->s.used;
	if (m->bad != TLBV_CLEAN) {
		snprintf(msg, len, "%s", m->msg);
		return m->bad;
	}
	if (m->n.lost) {
		snprintf(msg, len, "tlb: %" PRIu64 " events lost (overwritten before the host read "
			 "them): not proven", m->n.lost);
		return TLBV_LOST;
	}
	if (m->full_seq) {
		snprintf(msg, len, "tlb: capacity exceeded: %u possibly-stale entries held at event %"
			 PRIu64 ": not proven", m->s.cap, m->full_seq);
		return TLBV_CAPACITY;
	}
	if (len)
		msg[0] = 0;
	return TLBV_CLEAN;
}
