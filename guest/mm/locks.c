/*
 * The slow paths of the memory manager's locks (locks.h): spin with
 * interrupts let in, so that a waiter answers flush IPIs, and count the
 * wait in this CPU's published entry (mm_cpu_tlb.lock_waits).
 */
#include "guest/mm/locks.h"
#include "guest/mm/mm_percpu.h"

static void count_wait(void)
{
	struct mm_cpu_tlb *pub = this_cpu_mm()->pub;

	/* Only this CPU writes it: a relaxed load and store, no locked add. */
	if (pub)
		__atomic_store_n(&pub->lock_waits,
				 __atomic_load_n(&pub->lock_waits, __ATOMIC_RELAXED) + 1,
				 __ATOMIC_RELAXED);
}

void spin_lock_slow(spinlock_t *l)
{
	count_wait();
	do {
		while (__atomic_load_n(&l->v, __ATOMIC_RELAXED))
			arch_irq_window();
	} while (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE));
}

void mmap_write_lock_slow(volatile uint32_t *l)
{
	uint32_t free;

	count_wait();
	do {
		while (__atomic_load_n(l, __ATOMIC_RELAXED))
			arch_irq_window();
		free = 0;
	} while (!__atomic_compare_exchange_n(l, &free, MMAP_LOCK_WRITER, false, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
}

void mmap_read_lock_slow(volatile uint32_t *l)
{
	uint32_t v;

	count_wait();
	do {
		while ((v = __atomic_load_n(l, __ATOMIC_RELAXED)) & MMAP_LOCK_WRITER)
			arch_irq_window();
	} while (!__atomic_compare_exchange_n(l, &v, v + MMAP_LOCK_READER, false, __ATOMIC_ACQUIRE,
					      __ATOMIC_RELAXED));
}
