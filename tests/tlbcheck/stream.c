/* Synthetic logs for the checker's unit tests (stream.h). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tests/tlbcheck/stream.h"

void stream_init(struct stream *s, uint32_t cap)
{
	s->m = tlb_model_new(cap);
	s->seq = 0;
	cr_assert_not_null(s->m);
}

void stream_fini(struct stream *s)
{
	tlb_model_free(s->m);
	s->m = NULL;
}

uint64_t ev(struct stream *s, unsigned kind, unsigned cpu, uint32_t mm, uint64_t a, uint64_t b)
{
	struct tlblog_rec r = { .seq = ++s->seq, .ev = (uint16_t)kind, .cpu = (uint16_t)cpu,
				.mm = mm, .a = a, .b = b };

	cr_assert_eq(tlb_model_feed(s->m, &r), 0);
	return s->seq;
}

enum tlbcheck_verdict stream_verdict(struct stream *s, const char **msg, struct tlbcheck_counts *c)
{
	static char buf[TLBCHECK_MSG_MAX];

	*msg = buf;
	return tlb_model_verdict(s->m, buf, sizeof buf, c);
}

void ram_init(struct ram *r, uint32_t recs)
{
	r->g.size = RAM_SIZE;
	r->g.ram = calloc(1, RAM_SIZE);
	cr_assert_not_null(r->g.ram);
	r->ctl = (struct tlblog_ctl *)(r->g.ram + TLBLOG_GPA);
	r->ring = (struct tlblog_rec *)(r->g.ram + RING_GPA);
	r->recs = recs;
	r->ctl->enabled = 1;
	r->ctl->recs = recs;
	r->ctl->ring_gpa = RING_GPA;
	r->ctl->version = TLBLOG_VERSION;
	r->ctl->magic = TLBLOG_MAGIC;
}

void ram_fini(struct ram *r)
{
	free(r->g.ram);
	r->g.ram = NULL;
}

void ram_emit(struct ram *r, unsigned kind, unsigned cpu, uint32_t mm, uint64_t a, uint64_t b)
{
	uint64_t n = r->ctl->head++;
	struct tlblog_rec *x = &r->ring[n & (r->recs - 1)];

	*x = (struct tlblog_rec){ .ev = (uint16_t)kind, .cpu = (uint16_t)cpu, .mm = mm, .a = a,
				  .b = b };
	x->seq = n + 1;
}
