/*
 * The trace for the guest mm built on the host (MM_TRACE_HOST): records go
 * into a fake guest-physical area laid out as shared/trace.h says, read by
 * the host's own reader through host_ring_gmem().
 */
#ifndef TESTS_TRACE_HOST_RING_H
#define TESTS_TRACE_HOST_RING_H

#include <stdint.h>

#include "vmm/gmem.h"

extern uint8_t mm_trace_on;

/* The area as guest memory, and a fresh (zeroed) one. */
struct gmem host_ring_gmem(void);
void host_ring_reset(void);

/* Record as the guest does (CPU 0, a counter for the TSC). */
void trace_emit(uint32_t ev, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4);

#endif
