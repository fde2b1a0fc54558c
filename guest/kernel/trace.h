/*
 * The request loop's side of the trace: take the host's switch once per
 * request (one load and one store), so that every trace point of the mm
 * tests a kernel byte (guest/mm/mm_trace.h).
 */
#ifndef GUEST_KERNEL_TRACE_H
#define GUEST_KERNEL_TRACE_H

#include <stdint.h>

#include "shared/layout.h"
#include "shared/trace.h"

extern uint8_t mm_trace_on;

static inline void trace_sync_switch(void)
{
	mm_trace_on = ((const struct trace_ctl *)(DIRECT_MAP_BASE + TRACE_GPA))->enabled != 0;
}

#endif
