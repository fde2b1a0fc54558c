/*
 * Waiting for the guest's answer: a thread waiting on a long request sleeps
 * (after a short spin) instead of burning a CPU, and the guest's "answers
 * ready" notification is never lost (requests that outlast the spin all
 * complete, none waits for the time-out).
 */
#include <criterion/criterion.h>
#include <time.h>

#include "shared/channel.h"
#include "tests/vm/vm_test.h"

#define WIN        0x100000000000ULL
#define RW         (PROT_READ_ABI | PROT_WRITE_ABI)
/* 4,096 first-touch write faults from ring 3: 0.3 s to a few seconds of
 * guest work here, against a spin of tens of microseconds. */
#define LONG_LEN   (16ULL << 20)
/* The waiting thread's CPU time over the wall time of the request.  A
 * spinning waiter is at 100%; a sleeping one at a few percent.  Generous,
 * so that a loaded 2-CPU machine passes. */
#define MAX_CPU_SHARE  0.20
/* Requests that each outlast the spin (one new page: a fault of ~160 us). */
#define SHORT_SLEEPS   300

static struct tvm t;

/* The real guest, with a request time-out short enough that a lost
 * wake-up fails the test instead of hanging it. */
static void boot(void)
{
	char path[4096];
	struct vm_config cfg = { .guest_path = vmm_bin_path("guest.elf", path, sizeof(path)),
				 .request_timeout_ms = 20000 };

	tvm_create(&t, cfg);
	cr_assert_eq(t.status, 0, "booting %s: status %d: %s", path, t.status, t.err);
}

static void down(void)
{
	tvm_destroy(&t);
	tvm_free_console(&t);
}

TestSuite(wait, .init = boot, .fini = down, .timeout = 240);

/* One request through the host API: the guest's result (the call itself
 * must succeed). */
static int64_t request(struct chan_slot *s)
{
	int r = vm_request(t.vm, s);

	cr_assert_eq(r, 0, "op %u: vm_request %d: %s", s->op, r, vm_failure(t.vm));
	return s->result;
}

static int64_t touch(uint32_t mm, uint64_t addr, uint64_t len)
{
	struct chan_slot s = { .op = OP_TOUCH, .mm = mm,
			       .touch = { .addr = addr, .len = len, .mode = TOUCH_WRITE } };

	return request(&s);
}

static double thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint32_t new_mm_with(uint64_t len)
{
	struct chan_slot c = { .op = OP_MM_CREATE };
	int64_t r = request(&c);

	cr_assert_eq(r, 0, "OP_MM_CREATE: %lld", (long long)r);
	cr_assert_geq(c.mm_create.id, 1);
	struct chan_slot m = { .op = OP_MMAP, .mm = c.mm_create.id,
			       .mmap = { .addr = WIN, .len = len, .prot = RW, .flags = MMAP_F_FIXED } };
	int64_t a = request(&m);
	cr_assert_eq(a, (int64_t)WIN, "OP_MMAP: %lld", (long long)a);
	return c.mm_create.id;
}

Test(wait, long_request_does_not_burn_the_callers_cpu)
{
	uint32_t mm = new_mm_with(LONG_LEN);
	double w0 = now_ms(), c0 = thread_cpu_ms();
	int64_t r = touch(mm, WIN, LONG_LEN);
	double wall = now_ms() - w0, cpu = thread_cpu_ms() - c0;

	cr_assert_eq(r, ACCESS_OK, "OP_TOUCH: %lld", (long long)r);
	cr_log_info("touch of %llu MiB: %.1f ms wall, %.2f ms of the waiting thread's CPU (%.2f%%)",
		    LONG_LEN >> 20, wall, cpu, 100.0 * cpu / wall);
	cr_expect_lt(cpu, wall * MAX_CPU_SHARE, "the waiter used %.1f ms of CPU in %.1f ms", cpu, wall);
}

Test(wait, no_lost_wakeup)
{
	uint32_t mm = new_mm_with(SHORT_SLEEPS * 0x1000ULL);
	double w0 = now_ms();

	for (unsigned i = 0; i < SHORT_SLEEPS; i++) {
		int64_t r = touch(mm, WIN + i * 0x1000ULL, 0x1000);
		cr_assert_eq(r, ACCESS_OK, "touch %u: %lld", i, (long long)r);
	}
	cr_log_info("%u one-page touches: %.1f ms", SHORT_SLEEPS, now_ms() - w0);
	/* And the channel still answers at once afterwards. */
	struct chan_slot nop = { .op = OP_NOP };
	cr_expect_eq(request(&nop), 0);
}
