/*
 * TLB-coherence log points of the memory manager (shared/tlblog.h,
 * vmm/tlbcheck/).  TLBLOG(ev, mm_id, a, b) records one event in the global
 * order; while logging is off it is one test of a byte flag, and the
 * arguments are not evaluated.
 *
 * Builds: the guest (guest/kernel/tlblog.c writes the ring); the host unit
 * tests (MM_HOST_TEST without MM_TLBLOG_HOST: the calls vanish);
 * MM_HOST_TEST with MM_TLBLOG_HOST: the test provides both symbols.
 */
#ifndef GUEST_MM_MM_TLBLOG_H
#define GUEST_MM_MM_TLBLOG_H

#include <stdint.h>

#include "shared/tlblog.h"

#if defined(MM_HOST_TEST) && !defined(MM_TLBLOG_HOST)
#define mm_tlblog_on 0
static inline void tlblog_emit(uint32_t ev, uint32_t mm, uint64_t a, uint64_t b)
{
	(void)ev, (void)mm, (void)a, (void)b;
}
#else
/* Set once at boot from the control page's `enabled`. */
extern uint8_t mm_tlblog_on;
/* Record one event from this CPU (out of line, cold). */
void tlblog_emit(uint32_t ev, uint32_t mm, uint64_t a, uint64_t b) __attribute__((cold));
#endif

#define TLBLOG(ev, mm, a, b)                                                     \
	do {                                                                     \
		if (__builtin_expect(mm_tlblog_on, 0))                           \
			tlblog_emit((ev), (uint32_t)(mm), (uint64_t)(a), (uint64_t)(b)); \
	} while (0)

#endif
