/*
 * Reading the guest's trace rings (shared/trace.h).  Everything in the
 * trace area is the guest's word: the heads bound nothing but what we
 * look at, each record must prove its place (seq), and at most one ring's
 * worth of records is read per CPU per call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/trace/trace.h"

int trace_buf_push(struct trace_buf *b, const struct trace_event *e)
{
	if (b->n >= TRACE_BUF_MAX) {
		b->lost++;
		return 0;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		struct trace_event *ev = realloc(b->ev, cap * sizeof *ev);
		if (!ev)
			return -ENOMEM;
		b->ev = ev;
		b->cap = cap;
	}
	b->ev[b->n++] = *e;
	return 0;
}

void trace_buf_clear(struct trace_buf *b)
{
	b->n = 0;
	b->lost = 0;
}

void trace_buf_free(struct trace_buf *b)
{
	free(b->ev);
	*b = (struct trace_buf){ 0 };
}

int trace_write_enabled(const struct gmem *g, bool on)
{
	struct trace_ctl *ctl = gmem_ptr(g, TRACE_GPA, sizeof *ctl);

	if (!ctl)
		return -EFAULT;
	__atomic_store_n(&ctl->enabled, on ? 1u : 0u, __ATOMIC_RELEASE);
	return 0;
}

static uint64_t ring_gpa(unsigned cpu)
{
	return TRACE_GPA + TRACE_RING_OFFSET + (uint64_t)cpu * TRACE_RING_SIZE;
}

static int head_of(const struct gmem *g, unsigned cpu, uint64_t *head)
{
	return gmem_read_u64(g, TRACE_GPA + offsetof(struct trace_ctl, heads) + cpu * 64u, head);
}

/* Read CPU cpu's new records into out (unsorted). */
static int read_ring(struct trace_reader *r, const struct gmem *g, unsigned cpu,
		     struct trace_buf *out)
{
	uint64_t head, head2, tail = r->tail[cpu], idx;
	size_t first = out->n;

	if (head_of(g, cpu, &head) != 0)
		return -EFAULT;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);   /* the records after the head */
	if (head - tail > (uint64_t)1 << 62) {
		r->tail[cpu] = head;      /* went backwards: start again from here */
		return 0;
	}
	if (head - tail > TRACE_RING_RECS) {
		out->lost += head - tail - TRACE_RING_RECS;
		tail = head - TRACE_RING_RECS;
	}
	for (idx = tail; idx != head; idx++) {
		struct trace_rec rec;
		struct trace_event e;
		uint64_t gpa = ring_gpa(cpu) + (idx & (TRACE_RING_RECS - 1)) * sizeof rec;

		if (gmem_read(g, gpa, &rec, sizeof rec) != 0)
			return -EFAULT;
		if (rec.seq != (uint32_t)idx || rec.ev == TEV_NONE || rec.ev >= TEV_NR ||
		    rec.cpu != cpu) {
			out->lost++;
			continue;
		}
		e = (struct trace_event){ .tsc = rec.tsc, .ev = rec.ev, .cpu = rec.cpu };
		memcpy(e.a, rec.a, sizeof e.a);
		if (trace_buf_push(out, &e) != 0)
			return -ENOMEM;
	}
	/*
	 * Records overwritten while we copied them are not to be believed:
	 * those below head2 - TRACE_RING_RECS, and the one at it, whose slot
	 * the guest may be writing right now (record head2, published only
	 * once written; the guest stores its seq before its arguments, so a
	 * record read half old, half new can carry the old seq).
	 */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);   /* the head after the records */
	if (head_of(g, cpu, &head2) == 0 && head2 - tail >= TRACE_RING_RECS &&
	    head2 - tail <= (uint64_t)1 << 62) {
		uint64_t bad = head2 - tail - TRACE_RING_RECS + 1;
		size_t got = out->n - first;
		if (bad > got)
			bad = got;
		if (bad) {        /* (with nothing kept out->ev may be NULL) */
			memmove(&out->ev[first], &out->ev[first + bad],
				(got - bad) * sizeof out->ev[0]);
			out->n -= bad;
			out->lost += bad;
		}
	}
	r->tail[cpu] = head;
	return 0;
}

static int by_tsc(const void *pa, const void *pb)
{
	const struct trace_event *a = pa, *b = pb;

	if (a->tsc != b->tsc)
		return a->tsc < b->tsc ? -1 : 1;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu ? -1 : 1;
	return 0;
}

int trace_read(struct trace_reader *r, const struct gmem *g, struct trace_buf *out)
{
	size_t first = out->n;
	unsigned cpus_with_records = 0;

	for (unsigned cpu = 0; cpu < TRACE_CPUS; cpu++) {
		size_t before = out->n;
		int err = read_ring(r, g, cpu, out);
		if (err)
			return err;
		cpus_with_records += out->n > before;
	}
	/* One CPU's ring is in order already; several are merged by TSC
	 * (rdtsc grows on each CPU). */
	if (cpus_with_records > 1)
		qsort(&out->ev[first], out->n - first, sizeof out->ev[0], by_tsc);
	return 0;
}
