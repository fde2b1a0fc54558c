/*
 * The flush IPI, between initiator and target (docs/tlb.md): each CPU's
 * shared TLB state, and the handler's fast path, inline so that the
 * architecture's interrupt handler (guest/arch/x86_64/tlb_ipi.c) is one
 * function that saves only the registers it uses.
 *
 * A request: the initiator fills its own tlb_cpus[].info, sets its bit in
 * each target's pending mask (lock or) and sends the IPI; the target takes
 * its whole mask at once (xchg), and for each initiator flushes and then
 * acknowledges with one locked increment of that initiator's info.acks; the
 * initiator waits until acks is the number of targets.
 */
#ifndef GUEST_MM_TLB_IPI_H
#define GUEST_MM_TLB_IPI_H

#include "guest/mm/mm_types.h"
#include "guest/mm/tlb.h"

/* One CPU's state that the others read or write. */
struct tlb_cpu {
	volatile uint64_t pending;    /* bit i: CPU i's request, not yet taken */
	union {
		struct {
			volatile uint8_t is_lazy;  /* lazy TLB mode */
			volatile uint8_t slow;     /* requests need the slow path: set
						    * by an initiator that logs or
						    * injects, never cleared */
		};
		volatile uint16_t any_slow;        /* either: the handler's one test */
	};
	uint32_t next_id;
	struct tlb_flush_info info;   /* this CPU's request while it waits for acks */
} __attribute__((aligned(64)));

extern struct tlb_cpu tlb_cpus[MM_CPUS_MAX];

/* The handler's general path (tlb_smp.c): every pending request, with the
 * log points, the injected early acknowledgement and lazy mode. */
void mm_tlb_ipi_slow(void);

/*
 * The flush IPI on this CPU, interrupts off: every pending request (Linux's
 * flush_tlb_func).  Nothing to do if this CPU has another mm loaded (its
 * CR3 load flushed), or if its TLB is already at the request's tlb_gen;
 * one generation behind: the range (the initiator said whether it is past
 * the ceiling: full); else everything.  Returns false, having done
 * nothing, when the slow path must run instead (this CPU is lazy, or the
 * requests are logged or carry an injected bug).
 */
static inline __attribute__((always_inline)) bool mm_tlb_ipi_fast(void)
{
	struct tlb_cpu *me = &tlb_cpus[smp_processor_id()];

	if (__builtin_expect(me->any_slow, 0))
		return false;
	struct mm_percpu *pc = this_cpu_mm();
	struct mm_cpu_tlb *pub = pc->pub;
	struct mm_struct *mm = pc->current_mm;
	uint64_t loaded = pc->loaded_gen;
	uint64_t p = __atomic_exchange_n(&me->pending, 0, __ATOMIC_ACQUIRE);

	while (p) {
		struct tlb_flush_info *f = &tlb_cpus[__builtin_ctzll(p)].info;
		uint64_t gen = f->new_gen;

		p &= p - 1;
		pub->ipis_recv++;
		if (f->mm == mm && gen > loaded) {
			if (gen == loaded + 1 && !f->full) {
				for (uint64_t va = f->start; va < f->end; va += PAGE_SIZE)
					arch_flush_tlb_page(va);
			} else {
				arch_flush_tlb_all();
			}
			loaded = gen;
			pub->flushes++;
		}
		__atomic_add_fetch(&f->acks, 1, __ATOMIC_RELEASE);
	}
	pc->loaded_gen = loaded;
	return true;
}

#endif
