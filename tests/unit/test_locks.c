/*
 * The memory manager's locks (guest/mm/locks.h, docs/locking.md) under
 * host threads that share the one fake CPU: a spinlock excludes, the
 * mmap_lock lets readers share and a writer exclude everybody.  Bounded by
 * operation counts.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>

#include "guest/mm/locks.h"

#define THREADS 4
#define ROUNDS  20000

static spinlock_t spin;
static uint64_t spin_count;

static void *spin_worker(void *arg)
{
	(void)arg;
	for (unsigned i = 0; i < ROUNDS; i++) {
		spin_lock(&spin);
		spin_count++;           /* a plain increment: only the lock protects it */
		spin_unlock(&spin);
	}
	return NULL;
}

Test(locks, spinlock_excludes)
{
	pthread_t th[THREADS];

	for (unsigned i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, spin_worker, NULL), 0);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(spin_count, (uint64_t)THREADS * ROUNDS);
	cr_assert_eq(spin.v, 0);
}

Test(locks, readers_share_a_writer_excludes)
{
	volatile uint32_t l = 0;

	mmap_lock_read(&l);
	mmap_lock_read(&l);             /* a second reader gets in at once */
	cr_assert_eq(l, 2 * MMAP_LOCK_READER);
	cr_assert(mmap_lock_readers(&l));
	mmap_unlock_read(&l);
	mmap_unlock_read(&l);
	cr_assert_eq(l, 0);
	mmap_lock_write(&l);
	cr_assert_eq(l, MMAP_LOCK_WRITER);
	cr_assert_not(mmap_lock_readers(&l), "a writer is not a reader");
	mmap_unlock_write(&l);
	cr_assert_eq(l, 0);
}

static volatile uint32_t rw;
static uint64_t pair[2];               /* writers keep them equal, readers look */
static atomic_int readers_in, writers_in;
static atomic_uint broken;

static void *rw_worker(void *arg)
{
	bool writer = (uintptr_t)arg & 1;

	for (unsigned i = 0; i < ROUNDS / 4; i++) {
		if (writer) {
			mmap_lock_write(&rw);
			if (atomic_fetch_add(&writers_in, 1) != 0 || atomic_load(&readers_in) != 0)
				atomic_fetch_add(&broken, 1);
			pair[0]++;
			sched_yield();          /* a half-done change, visible if readers got in */
			pair[1]++;
			atomic_fetch_sub(&writers_in, 1);
			mmap_unlock_write(&rw);
		} else {
			mmap_lock_read(&rw);
			atomic_fetch_add(&readers_in, 1);
			if (atomic_load(&writers_in) != 0 ||
			    __atomic_load_n(&pair[0], __ATOMIC_RELAXED) !=
			    __atomic_load_n(&pair[1], __ATOMIC_RELAXED))
				atomic_fetch_add(&broken, 1);
			atomic_fetch_sub(&readers_in, 1);
			mmap_unlock_read(&rw);
		}
	}
	return NULL;
}

Test(locks, mmap_lock_under_threads)
{
	pthread_t th[THREADS];

	for (uintptr_t i = 0; i < THREADS; i++)
		cr_assert_eq(pthread_create(&th[i], NULL, rw_worker, (void *)i), 0);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(atomic_load(&broken), 0, "%u times a writer was not alone",
		     atomic_load(&broken));
	cr_assert_eq(pair[0], (uint64_t)(THREADS / 2) * (ROUNDS / 4));
	cr_assert_eq(pair[1], pair[0]);
	cr_assert_eq(rw, 0);
}
