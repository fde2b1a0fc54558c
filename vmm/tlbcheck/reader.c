/*
 * The reader of the TLB-coherence log (shared/tlblog.h): the control page
 * is validated once and latched, then records are taken in sequence order
 * from the host's own tail.  The guest writes while we read, and may lie:
 *  - a slot whose seq is not tail + 1 is not written yet, unless the head
 *    shows the ring was overrun (lost) or no writer can have written that
 *    seq (refused);
 *  - a record is copied, then the head is read again: a writer reusing the
 *    slot took its sequence number (moving head past tail + recs) before it
 *    stored anything, so a copy that might be torn is always detected.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "vmm/tlbcheck/tlbcheck.h"

static const struct tlblog_ctl *ctl_of(const struct gmem *g)
{
	return gmem_ptr(g, TLBLOG_GPA, sizeof(struct tlblog_ctl));
}

static uint64_t load_head(const struct tlblog_ctl *ctl)
{
	return __atomic_load_n((const uint64_t *)&ctl->head, __ATOMIC_ACQUIRE);
}

int tlblog_attach(struct tlblog_reader *rd, const struct gmem *g, char *msg, size_t len)
{
	const struct tlblog_ctl *ctl = ctl_of(g);
	uint32_t version, recs;
	uint64_t ring, bytes;

	if (rd->attached)
		return 1;
	if (!ctl) {
		snprintf(msg, len, "no log control page at 0x%llx in RAM", TLBLOG_GPA);
		return -1;
	}
	if (__atomic_load_n(&ctl->magic, __ATOMIC_ACQUIRE) != TLBLOG_MAGIC)
		return 0;
	version = __atomic_load_n(&ctl->version, __ATOMIC_RELAXED);
	recs = __atomic_load_n(&ctl->recs, __ATOMIC_RELAXED);
	ring = __atomic_load_n(&ctl->ring_gpa, __ATOMIC_RELAXED);
	if (version != TLBLOG_VERSION) {
		snprintf(msg, len, "log version %u, this host reads %u", version, TLBLOG_VERSION);
		return -1;
	}
	if (recs == 0 || (recs & (recs - 1)) || recs > TLBCHECK_RECS_MAX) {
		snprintf(msg, len, "log ring of %u records (a power of two up to %u expected)", recs,
			 TLBCHECK_RECS_MAX);
		return -1;
	}
	bytes = (uint64_t)recs * sizeof(struct tlblog_rec);
	if ((ring & (PAGE_SIZE_4K - 1)) || ring < HOST_RESERVED_END || !gmem_range_ok(g, ring, bytes)) {
		snprintf(msg, len, "log ring at 0x%" PRIx64 " (%" PRIu64 " bytes) is not page-aligned "
			 "guest RAM above 0x%llx", ring, bytes, HOST_RESERVED_END);
		return -1;
	}
	rd->ring_gpa = ring;
	rd->recs = recs;
	rd->tail = 0;
	rd->lost = 0;
	rd->attached = true;
	return 1;
}

/* What a slot's seq that is not tail + 1 means: 0 not written yet, 1 look
 * at the head again (overrun), -1 impossible. */
static int odd_seq(uint64_t seq, uint64_t tail, uint32_t recs)
{
	uint64_t want = tail + 1;

	if (seq == 0 || (seq < want && (want - seq) % recs == 0))
		return 0;                 /* an older lap or never: not written yet */
	if (seq > want && (seq - want) % recs == 0)
		return 1;                 /* a later lap: the ring was overrun */
	return -1;
}

/* A head that went back, or that no tail can follow. */
static int bad_head(uint64_t head, uint64_t tail, char *msg, size_t len)
{
	if (head >= tail)
		return 0;
	snprintf(msg, len, "log head went back from %" PRIu64 " to %" PRIu64, tail, head);
	return -1;
}

long tlblog_read(struct tlblog_reader *rd, const struct gmem *g, tlblog_sink fn, void *ctx,
		 uint64_t max, char *msg, size_t len)
{
	const struct tlblog_ctl *ctl = ctl_of(g);
	const struct tlblog_rec *ring;
	uint64_t head, done = 0, spins = 0;

	if (!rd->attached || !ctl)
		return 0;
	ring = gmem_ptr(g, rd->ring_gpa, (uint64_t)rd->recs * sizeof(struct tlblog_rec));
	if (!ring)
		return 0;                 /* cannot happen: checked at attach */
	head = load_head(ctl);
	/* Every pass consumes, skips or stops: 2 * max + 2 passes suffice
	 * even against a guest that moves its head meanwhile. */
	while (done < max && spins++ < 2 * max + 2) {
		const struct tlblog_rec *slot;
		struct tlblog_rec r;
		uint64_t seq;

		if (bad_head(head, rd->tail, msg, len))
			return -1;
		if (head - rd->tail > rd->recs) {
			uint64_t skip = head - rd->tail - rd->recs;
			rd->lost += skip;
			rd->tail += skip;
		}
		if (rd->tail == head)
			break;
		slot = &ring[rd->tail & (rd->recs - 1)];
		seq = __atomic_load_n(&slot->seq, __ATOMIC_ACQUIRE);
		if (seq != rd->tail + 1) {
			int k = odd_seq(seq, rd->tail, rd->recs);
			if (k == 0)
				break;
			head = load_head(ctl);
			if (k == 1 && head - rd->tail > rd->recs && head >= rd->tail)
				continue;
			snprintf(msg, len, "log record %" PRIu64 " has seq %" PRIu64 " (head %" PRIu64 ")",
				 rd->tail + 1, seq, head);
			return -1;
		}
		memcpy(&r, slot, sizeof r);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		head = load_head(ctl);
		if (bad_head(head, rd->tail, msg, len))
			return -1;
		if (head - rd->tail > rd->recs || r.seq != seq)
			continue;         /* reused while we copied: lost */
		rd->tail++;
		done++;
		if (fn(ctx, &r) != 0)
			break;
	}
	return (long)done;
}
