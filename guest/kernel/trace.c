/*
 * The guest's half of the trace (shared/trace.h): a flag copied from the
 * host's control page per request, and trace_emit(), which stores one
 * fixed-size record in this CPU's ring.  No formatting here: the host
 * reads and names the records (vmm/trace/).  Cold: only ever called while
 * tracing is on.
 */
#include <stdint.h>

#include "guest/kernel/trace.h"
#include "guest/mm/mm_trace.h"
#include "shared/layout.h"

#define barrier() asm volatile("" : : : "memory")

uint8_t mm_trace_on;

asm(TRACE_THUNK_ASM);

void trace_emit(uint32_t ev, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	struct trace_ctl *ctl = (struct trace_ctl *)(DIRECT_MAP_BASE + TRACE_GPA);
	unsigned cpu = smp_processor_id();
	struct trace_rec *ring, *r;
	uint64_t head;
	uint32_t lo, hi;

	if (cpu >= TRACE_CPUS)
		return;
	ring = (struct trace_rec *)(DIRECT_MAP_BASE + TRACE_GPA + TRACE_RING_OFFSET +
				    (uint64_t)cpu * TRACE_RING_SIZE);
	head = ctl->heads[cpu].head;
	r = &ring[head & (TRACE_RING_RECS - 1)];
	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	r->tsc = (uint64_t)hi << 32 | lo;
	r->ev = (uint16_t)ev;
	r->cpu = (uint16_t)cpu;
	r->seq = (uint32_t)head;
	r->a[0] = a0;
	r->a[1] = a1;
	r->a[2] = a2;
	r->a[3] = a3;
	r->a[4] = a4;
	r->a[5] = 0;
	barrier();                /* x86 stores are ordered: the record, then the head */
	ctl->heads[cpu].head = head + 1;
}
