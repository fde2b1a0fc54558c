/*
 * The guest's half of the TLB-coherence log (shared/tlblog.h): the flag the
 * log points test (guest/mm/mm_tlblog.h), the ring set up at boot when the
 * host asked for it, and tlblog_emit(), which takes the next sequence
 * number with one locked add and fills that record, its seq last.  The
 * host replays the records (vmm/tlbcheck/).  Cold: only ever called while
 * logging is on.
 */
#include <stdint.h>

#include "guest/arch/x86_64/this_cpu.h"
#include "guest/kernel/tlblog.h"
#include "guest/lib/printk.h"
#include "guest/mm/frame.h"
#include "guest/mm/mm_tlblog.h"
#include "shared/layout.h"

#define barrier() asm volatile("" : : : "memory")

uint8_t mm_tlblog_on;

/* Set once by tlblog_init, before any event: read-only afterwards. */
static struct tlblog_rec *tlblog_ring;
static uint64_t tlblog_mask;

static struct tlblog_ctl *tlblog_ctl(void)
{
	return (struct tlblog_ctl *)(DIRECT_MAP_BASE + TLBLOG_GPA);
}

void tlblog_init(void)
{
	struct tlblog_ctl *ctl = tlblog_ctl();
	uint64_t pages = TLBLOG_RECS_DEFAULT * sizeof(struct tlblog_rec) / PAGE_SIZE;
	uint64_t pa;

	if (!ctl->enabled)
		return;
	/* Frames never used since boot read zero: every seq is 0, unwritten. */
	pa = frame_alloc_contig(pages, PAGE_T_KERNEL);
	if (!pa) {
		printk("tlblog: no room for %lu KiB of log: logging stays off\n",
		       (unsigned long)(pages * PAGE_SIZE >> 10));
		return;
	}
	tlblog_ring = (struct tlblog_rec *)(DIRECT_MAP_BASE + pa);
	tlblog_mask = TLBLOG_RECS_DEFAULT - 1;
	ctl->ring_gpa = pa;
	ctl->recs = TLBLOG_RECS_DEFAULT;
	ctl->version = TLBLOG_VERSION;
	ctl->head = 0;
	barrier();                /* x86 stores are ordered: the fields, then magic */
	ctl->magic = TLBLOG_MAGIC;
	mm_tlblog_on = 1;
}

void tlblog_emit(uint32_t ev, uint32_t mm, uint64_t a, uint64_t b)
{
	uint64_t n = 1;
	struct tlblog_rec *r;

	asm volatile("lock xaddq %0, %1" : "+r"(n), "+m"(tlblog_ctl()->head) : : "memory");
	r = &tlblog_ring[n & tlblog_mask];
	r->ev = (uint16_t)ev;
	r->cpu = (uint16_t)smp_processor_id();
	r->mm = mm;
	r->a = a;
	r->b = b;
	barrier();                /* the record, then its seq */
	r->seq = n + 1;
}
