/*
 * The TLB-coherence log's setup (tlblog.c; the log points themselves use
 * guest/mm/mm_tlblog.h).
 */
#ifndef GUEST_KERNEL_TLBLOG_H
#define GUEST_KERNEL_TLBLOG_H

/* If the host set `enabled` in the control page (shared/tlblog.h): take a
 * ring of TLBLOG_RECS_DEFAULT records from the frame allocator, publish it
 * (magic last) and turn the log points on.  Once, after mm_init and before
 * any request; without room for the ring logging stays off (and the
 * console says so). */
void tlblog_init(void);

#endif
