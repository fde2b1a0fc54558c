/*
 * The memory manager's big lock.  Requests on several CPUs run at once,
 * but every change to the mm state (mm table, VMAs, page tables, frames,
 * slabs, the published counters and their seqcount) happens with this lock
 * held; ring-3 accesses run without it, and their page faults take it.
 * Waiting lets interrupts in, so that a waiter answers the flush IPIs of
 * the holder (docs/tlb.md: no deadlock).
 */
#include "guest/mm/mm.h"
#include "guest/mm/mm_internal.h"

static volatile uint32_t big_lock;

void mm_lock(void)
{
	while (__atomic_exchange_n(&big_lock, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&big_lock, __ATOMIC_RELAXED))
			arch_irq_window();
}

void mm_unlock(void)
{
	__atomic_store_n(&big_lock, 0, __ATOMIC_RELEASE);
}
