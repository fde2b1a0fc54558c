/*
 * Real concurrency (docs/locking.md): each mm has an mmap_lock of its own,
 * so requests for different mms run at the same time on different CPUs.
 * CPU 0 holds mm A's mmap_lock for writing on purpose
 * (INJECT_HOLD_MMAP_LOCK) until the test releases it.  Meanwhile a munmap
 * of A from CPU 2 (a writer) and a touch of A from CPU 3 (its lookup takes
 * the lock for reading) are seen waiting for it (their published
 * lock_waits move) and do not complete, while requests on mm B from CPU 1
 * all complete (under the old big lock they could not: CPU 1's first
 * request would wait until the request timeout).  After the release the
 * waiting requests complete, in full.  Every wait of the test is bounded by
 * a number of polls (a hang guard), never by the time something takes.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "tests/smp/smp_test.h"

#define HANG_GUARD 600000       /* polls 100 us apart: a minute of nothing happening */
#define B_ROUNDS   8            /* request rounds on mm B while A is held */

static struct tvm t;

static void down(void)
{
	tvm_destroy(&t);
	tvm_free_console(&t);
}

TestSuite(smp_locks, .fini = down, .timeout = 600);

/* A request sent from a thread of its own; done once it was answered. */
struct bg_req {
	pthread_t th;
	unsigned cpu;
	struct chan_slot s;
	int rc;
	atomic_int done;
};

static void *bg_run(void *arg)
{
	struct bg_req *b = arg;

	b->rc = vm_request_on(t.vm, b->cpu, &b->s, 1);
	atomic_store(&b->done, 1);
	return NULL;
}

static void bg_start(struct bg_req *b)
{
	atomic_store(&b->done, 0);
	cr_assert_eq(pthread_create(&b->th, NULL, bg_run, b), 0);
}

static void poll_pause(void)
{
	struct timespec ts = { 0, 100000 };
	nanosleep(&ts, NULL);
}

/* Poll until CPU cpu's published lock_hold is mm (hang guard). */
static void wait_hold(unsigned cpu, uint32_t mm)
{
	unsigned i;

	for (i = 0; i < HANG_GUARD && smp_tlb(t.vm, cpu).lock_hold != mm; i++)
		poll_pause();
	cr_assert_eq(smp_tlb(t.vm, cpu).lock_hold, mm, "CPU %u never held mm %u's lock", cpu, mm);
}

/* Poll until CPU cpu has waited for a lock more often than before. */
static void wait_waiting(unsigned cpu, uint64_t before)
{
	unsigned i;

	for (i = 0; i < HANG_GUARD && smp_tlb(t.vm, cpu).lock_waits == before; i++)
		poll_pause();
	cr_assert_gt(smp_tlb(t.vm, cpu).lock_waits, before, "CPU %u never waited", cpu);
}

Test(smp_locks, requests_on_other_mms_run_while_one_mm_is_locked)
{
	struct bg_req hold = { .cpu = 0 }, unmap = { .cpu = 2 }, touch = { .cpu = 3 };

	smp_boot(&t, 4, false);
	uint32_t a = smp_mm_create(t.vm, 0), b = smp_mm_create(t.vm, 1);
	cr_assert_eq(smp_mmap(t.vm, 0, a, WIN, 16 * PG), (int64_t)WIN);
	cr_assert_eq(smp_fill(t.vm, 0, a, WIN, 16 * PG, 0xa5), ACCESS_OK);

	hold.s = (struct chan_slot){ .op = OP_INJECT, .mm = a,
				     .inject = { .kind = INJECT_HOLD_MMAP_LOCK } };
	bg_start(&hold);
	wait_hold(0, a);

	/* A writer and a reader of A, each on a CPU of its own: they wait. */
	uint64_t w2 = smp_tlb(t.vm, 2).lock_waits, w3 = smp_tlb(t.vm, 3).lock_waits;
	unmap.s = (struct chan_slot){ .op = OP_MUNMAP, .mm = a,
				      .munmap = { .addr = WIN, .len = 4 * PG } };
	bg_start(&unmap);
	touch.s = (struct chan_slot){ .op = OP_TOUCH, .mm = a,
				      .touch = { .addr = WIN + 8 * PG, .len = 8 * PG,
						 .mode = TOUCH_WRITE } };
	bg_start(&touch);
	wait_waiting(2, w2);
	wait_waiting(3, w3);

	/* B is another mm: its requests run meanwhile, every one of them. */
	for (unsigned i = 0; i < B_ROUNDS; i++) {
		uint64_t at = WIN + i * 4 * PG;
		cr_assert_eq(smp_mmap(t.vm, 1, b, at, 4 * PG), (int64_t)at);
		cr_assert_eq(smp_fill(t.vm, 1, b, at, 4 * PG, (uint8_t)i), ACCESS_OK);
		cr_assert_eq(smp_check(t.vm, 1, b, at, 4 * PG, (uint8_t)i), ACCESS_OK);
		cr_assert_eq(smp_munmap(t.vm, 1, b, at, 2 * PG), 0);
	}
	cr_assert_eq(smp_tlb(t.vm, 0).lock_hold, a);
	cr_assert_eq(atomic_load(&unmap.done), 0, "the munmap of A ran while A was locked");
	cr_assert_eq(atomic_load(&touch.done), 0, "the touch of A ran while A was locked");
	cr_assert_eq(atomic_load(&hold.done), 0);

	/* Released (by a request on B): the hold ends, A's requests run. */
	cr_assert_eq(smp_inject(t.vm, 1, b, INJECT_RELEASE_HOLD, 0), 0);
	pthread_join(hold.th, NULL);
	pthread_join(unmap.th, NULL);
	pthread_join(touch.th, NULL);
	cr_assert_eq(hold.rc, 0);
	cr_assert_eq(hold.s.result, 0);
	cr_assert_eq(unmap.rc, 0);
	cr_assert_eq(unmap.s.result, 0);
	cr_assert_eq(touch.rc, 0);
	cr_assert_eq(touch.s.result, ACCESS_OK);
	cr_assert_eq(smp_tlb(t.vm, 0).lock_hold, 0);
	/* The munmap did its work: the first 4 pages fault, the rest kept their bytes. */
	cr_assert_eq(smp_touch(t.vm, 1, a, WIN, PG, TOUCH_READ), ACCESS_FAULT);
	cr_assert_eq(smp_check(t.vm, 2, a, WIN + 4 * PG, 4 * PG, 0xa5), ACCESS_OK);
	cr_assert_eq(smp_mm_destroy(t.vm, 3, a), 0);
	cr_assert_eq(smp_mm_destroy(t.vm, 0, b), 0);
}
