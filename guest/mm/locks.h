/*
 * The memory manager's locks (docs/locking.md): a spinlock for small global
 * state (frames, slab caches, the mm table, shared objects) and each mm's
 * page_table_lock, and the reader/writer mmap_lock of each mm.  All of them
 * spin; every wait loop lets interrupts in (arch_irq_window), so that a
 * waiting CPU still answers the flush IPIs of the CPU it waits for
 * (docs/tlb.md, "no deadlock").  The uncontended paths are a few
 * instructions: a spinlock is one `lock bts` and a store, a writer's
 * mmap_lock one `lock cmpxchg` and a store.
 */
#ifndef GUEST_MM_LOCKS_H
#define GUEST_MM_LOCKS_H

#include "guest/mm/mm_internal.h"

typedef struct {
	volatile uint32_t v;          /* 1: held */
} spinlock_t;

/* mmap_lock: bit 0 a writer holds it, the rest counts readers (2 each). */
#define MMAP_LOCK_WRITER      1u
#define MMAP_LOCK_READER      2u

void spin_lock_slow(spinlock_t *l);
void mmap_write_lock_slow(volatile uint32_t *l);
void mmap_read_lock_slow(volatile uint32_t *l);

static inline void spin_lock(spinlock_t *l)
{
	asm goto("lock btsl $0, %0\n\tjc %l[slow]" : : "m"(l->v) : "memory", "cc" : slow);
	return;
slow:
	spin_lock_slow(l);
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

static inline void mmap_lock_write(volatile uint32_t *l)
{
	uint32_t free = 0;

	if (!__atomic_compare_exchange_n(l, &free, MMAP_LOCK_WRITER, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		mmap_write_lock_slow(l);
}

static inline void mmap_unlock_write(volatile uint32_t *l)
{
	__atomic_store_n(l, 0, __ATOMIC_RELEASE);
}

static inline void mmap_lock_read(volatile uint32_t *l)
{
	uint32_t v = __atomic_load_n(l, __ATOMIC_RELAXED);

	if ((v & MMAP_LOCK_WRITER) ||
	    !__atomic_compare_exchange_n(l, &v, v + MMAP_LOCK_READER, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		mmap_read_lock_slow(l);
}

static inline void mmap_unlock_read(volatile uint32_t *l)
{
	__atomic_fetch_sub(l, MMAP_LOCK_READER, __ATOMIC_RELEASE);
}

/* Held for reading by someone (the caller, when it holds it at all)? */
static inline bool mmap_lock_readers(const volatile uint32_t *l)
{
	return __atomic_load_n(l, __ATOMIC_RELAXED) >= MMAP_LOCK_READER;
}

#endif
