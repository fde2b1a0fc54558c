/*
 * See host_ring.h: the guest's trace_emit (guest/kernel/trace.c) over a
 * host buffer instead of the direct map.
 */
#include <string.h>

#include "shared/trace.h"
#include "tests/trace/host_ring.h"

uint8_t mm_trace_on;
static uint8_t area[TRACE_GPA + TRACE_SIZE] __attribute__((aligned(64)));
static uint64_t fake_tsc;

struct gmem host_ring_gmem(void)
{
	return (struct gmem){ .ram = area, .size = sizeof area };
}

void host_ring_reset(void)
{
	memset(area, 0, sizeof area);
	fake_tsc = 1000;
	mm_trace_on = 0;
}

void trace_emit(uint32_t ev, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	struct trace_ctl *ctl = (struct trace_ctl *)(area + TRACE_GPA);
	struct trace_rec *ring = (struct trace_rec *)(area + TRACE_GPA + TRACE_RING_OFFSET);
	uint64_t head = ctl->heads[0].head;
	struct trace_rec *r = &ring[head & (TRACE_RING_RECS - 1)];

	*r = (struct trace_rec){ .tsc = fake_tsc += 2600, .ev = (uint16_t)ev, .cpu = 0,
				 .seq = (uint32_t)head, .a = { a0, a1, a2, a3, a4, 0 } };
	ctl->heads[0].head = head + 1;
}
