/*
 * Placeholder for the TLB-coherence log writer (guest/mm/mm_tlblog.h) until
 * guest/kernel/tlblog.c (branch tlbcheck) is merged: logging stays off.
 * Delete this file (and its line in guest/CMakeLists.txt) at that merge.
 */
#include <stdint.h>

#include "guest/mm/mm_tlblog.h"

uint8_t mm_tlblog_on;

void tlblog_emit(uint32_t ev, uint32_t mm, uint64_t a, uint64_t b)
{
	(void)ev, (void)mm, (void)a, (void)b;
}
