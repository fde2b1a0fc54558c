/*
 * The words of a violation (model.h): which CPU, mm, address, frame, and
 * the events involved, so that the reader of one line knows which step of
 * the shootdown went wrong:
 *   the PTE clear (or unlink), then for the CPU that may still hold it
 *   either its flush request's acknowledgement ("acknowledged flush 17 of
 *   CPU 0 at event 801 but flushed nothing covering it"), its reception
 *   without acknowledgement, the request sent but not received, no request
 *   at all, or (the CPU that cleared it) no covering flush; then its last
 *   page or range flush since, if any.
 */
#include <inttypes.h>
#include <stdio.h>

#include "vmm/tlbcheck/model.h"

/* What happened on e's CPU since e was recorded: ", CPU 2 ..." */
static void since(const struct tlb_model *m, const struct stale_ent *e, char *buf, size_t len)
{
	const struct tlb_cpu *c = &m->cpu[e->cpu];
	int n;

	if (c->ack.seq > e->seq)
		n = snprintf(buf, len, ", CPU %u acknowledged flush %" PRIu64 " of CPU %" PRIu64
			     " at event %" PRIu64 " but flushed nothing covering it",
			     e->cpu, c->ack.b, c->ack.a, c->ack.seq);
	else if (c->recv.seq > e->seq)
		n = snprintf(buf, len, ", CPU %u received flush %" PRIu64 " of CPU %" PRIu64
			     " at event %" PRIu64 " and has not acknowledged it",
			     e->cpu, c->recv.b, c->recv.a, c->recv.seq);
	else if (c->sent.seq > e->seq)
		n = snprintf(buf, len, ", CPU %u sent flush %" PRIu64 " to CPU %u at event %" PRIu64
			     ", not received yet", c->sent.cpu, c->sent.b, e->cpu, c->sent.seq);
	else if (e->cpu == e->by_cpu)
		n = snprintf(buf, len, ", CPU %u flushed nothing covering it", e->cpu);
	else
		n = snprintf(buf, len, ", no flush request was sent to CPU %u", e->cpu);
	if (n < 0 || (size_t)n >= len || c->flush.seq <= e->seq)
		return;
	if (c->flush.ev == TLOG_FLUSH_PAGE)
		snprintf(buf + n, len - (size_t)n, " (its last flush: page 0x%" PRIx64 " at event %"
			 PRIu64 ")", c->flush.a, c->flush.seq);
	else
		snprintf(buf + n, len - (size_t)n, " (its last flush: [0x%" PRIx64 ", 0x%" PRIx64
			 ") at event %" PRIu64 ")", c->flush.a, c->flush.b, c->flush.seq);
}

static const char *lazy_word(const struct tlb_model *m, unsigned cpu)
{
	return m->cpu[cpu].lazy ? " (lazy)" : "";
}

void explain_frame(struct tlb_model *m, const struct stale_ent *e, const struct tlblog_rec *r)
{
	char tail[256];

	since(m, e, tail, sizeof tail);
	snprintf(m->msg, sizeof m->msg, "tlb: frame 0x%" PRIx64 " freed (event %" PRIu64
		 ") while CPU %u may still translate mm %u va 0x%" PRIx64 " to it: PTE cleared at "
		 "event %" PRIu64 " by CPU %u%s", r->a, r->seq, e->cpu, e->mm, e->va, e->seq,
		 e->by_cpu, tail);
}

void explain_table(struct tlb_model *m, const struct stale_ent *e, const struct tlblog_rec *r)
{
	char tail[256];

	since(m, e, tail, sizeof tail);
	snprintf(m->msg, sizeof m->msg, "tlb: page-table page 0x%" PRIx64 " freed (event %" PRIu64
		 ") while CPU %u%s may still cache it: mm %u, level-%u table of [0x%" PRIx64
		 ", 0x%" PRIx64 "), unlinked at event %" PRIu64 " by CPU %u%s", r->a, r->seq, e->cpu,
		 lazy_word(m, e->cpu), e->mm, e->level, e->va, e->va + stale_span(e->level), e->seq,
		 e->by_cpu, tail);
}

void explain_lazy_exit(struct tlb_model *m, const struct stale_ent *e, const struct tlblog_rec *r)
{
	char freed[64] = "";

	if (e->kind == STALE_TABLE) {
		snprintf(m->msg, sizeof m->msg, "tlb: CPU %u leaves lazy mode for mm %u (event %" PRIu64
			 ") without a flush while it may still cache page-table page 0x%" PRIx64
			 " (level-%u table of [0x%" PRIx64 ", 0x%" PRIx64 ")): unlinked at event %"
			 PRIu64, r->cpu, r->mm, r->seq, e->phys, e->level, e->va,
			 e->va + stale_span(e->level), e->seq);
		return;
	}
	if (e->freed_seq)
		snprintf(freed, sizeof freed, ", frame freed at event %" PRIu64, e->freed_seq);
	snprintf(m->msg, sizeof m->msg, "tlb: CPU %u leaves lazy mode for mm %u (event %" PRIu64
		 ") without a flush while it may still translate va 0x%" PRIx64 " to frame 0x%"
		 PRIx64 ": PTE cleared at event %" PRIu64 " by CPU %u%s", r->cpu, r->mm, r->seq,
		 e->va, e->phys, e->seq, e->by_cpu, freed);
}
