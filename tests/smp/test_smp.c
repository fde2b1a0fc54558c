/*
 * Several CPUs: bring-up, requests on each CPU, and the TLB shootdown's
 * policy (docs/tlb.md) as the `tlb` counters show it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

#include "shared/layout.h"
#include "tests/smp/smp_test.h"

static struct tvm t;

static void boot4(void)
{
	smp_boot(&t, 4, false);
}

static void down(void)
{
	tvm_destroy(&t);
	tvm_free_console(&t);
}

TestSuite(smp, .init = boot4, .fini = down, .timeout = 600);

Test(smp, four_cpus_come_online)
{
	struct gmem g = vm_gmem(t.vm);
	const struct channel *ch = (const struct channel *)(g.ram + CHANNEL_GPA);

	cr_assert_eq(vm_nr_cpus(t.vm), 4);
	cr_assert_eq(ch->ncpus, 4);
	fflush(t.console);
	cr_assert(strstr(t.console_buf, "4 CPUs, ready"), "%s", t.console_buf);
	for (unsigned c = 1; c < 4; c++) {
		char line[32];
		snprintf(line, sizeof line, "CPU %u online", c);
		cr_assert(strstr(t.console_buf, line), "no '%s' in: %s", line, t.console_buf);
		cr_assert_eq(smp_tlb(t.vm, c).loaded_mm, 0);
	}
}

Test(smp, requests_run_on_each_cpu)
{
	struct chan_slot s = { .op = OP_NOP };

	cr_assert_eq(vm_request_on(t.vm, 4, &s, 1), -EINVAL);
	for (unsigned c = 0; c < 4; c++) {
		uint32_t mm = smp_mm_create(t.vm, c);
		cr_assert_eq(smp_mmap(t.vm, c, mm, WIN, 4 * PG), (int64_t)WIN);
		cr_assert_eq(smp_fill(t.vm, c, mm, WIN, 4 * PG, (uint8_t)(0x10 + c)), ACCESS_OK);
		/* The CPU loaded it, and keeps it loaded lazily after the request. */
		struct mm_cpu_tlb e = smp_tlb(t.vm, c);
		cr_assert_eq(e.loaded_mm, mm, "CPU %u has mm %u loaded, not %u", c, e.loaded_mm, mm);
		cr_assert_eq(e.lazy, 1);
		/* OP_VMA_LIST answers in this CPU's data window, not CPU 0's. */
		memset(vm_channel_data_on(t.vm, 0), 0xee, 64);
		s = (struct chan_slot){ .op = OP_VMA_LIST, .mm = mm };
		s.vma_list = (struct chan_vma_list){ .from = 0, .data_offset = 0, .max = 4 };
		cr_assert_eq(smp_req(t.vm, c, &s), 1);
		const struct chan_vma *v = vm_channel_data_on(t.vm, c);
		cr_assert_eq(v->start, WIN);
		cr_assert_eq(v->end, WIN + 4 * PG);
		if (c != 0)
			cr_assert_eq(*(uint8_t *)vm_channel_data_on(t.vm, 0), 0xee);
		cr_assert_eq(smp_mm_destroy(t.vm, c, mm), 0);
	}
}

/* The mm used on CPUs 0..3, each then lazy with it loaded. */
static uint32_t mm_on_every_cpu(void)
{
	uint32_t mm = smp_mm_create(t.vm, 0);

	cr_assert_eq(smp_mmap(t.vm, 0, mm, WIN, 16 * PG), (int64_t)WIN);
	for (unsigned c = 0; c < 4; c++)
		cr_assert_eq(smp_touch(t.vm, c, mm, WIN, 16 * PG, TOUCH_WRITE), ACCESS_OK);
	for (unsigned c = 0; c < 4; c++)
		cr_assert_eq(smp_tlb(t.vm, c).loaded_mm, mm);
	return mm;
}

Test(smp, lazy_cpus_are_skipped_unless_tables_are_freed)
{
	uint32_t mm = mm_on_every_cpu();
	struct mm_cpu_tlb b0 = smp_tlb(t.vm, 0), b[4];

	for (unsigned c = 1; c < 4; c++)
		b[c] = smp_tlb(t.vm, c);
	/* One page, its page table stays: the lazy CPUs are skipped. */
	cr_assert_eq(smp_munmap(t.vm, 0, mm, WIN + PG, PG), 0);
	struct mm_cpu_tlb a0 = smp_tlb(t.vm, 0);
	cr_assert_eq(a0.ipis_sent, b0.ipis_sent);
	cr_assert_eq(a0.lazy_skips, b0.lazy_skips + 3);
	for (unsigned c = 1; c < 4; c++)
		cr_assert_eq(smp_tlb(t.vm, c).ipis_recv, b[c].ipis_recv);
	/* CPU 1 comes back: tlb_gen moved, it flushes everything first. */
	cr_assert_eq(smp_touch(t.vm, 1, mm, WIN, PG, TOUCH_READ), ACCESS_OK);
	cr_assert_eq(smp_tlb(t.vm, 1).flushes, b[1].flushes + 1);
	/* Everything, page tables freed: every CPU that has it is told, and
	 * the lazy ones leave it. */
	b0 = smp_tlb(t.vm, 0);
	cr_assert_eq(smp_munmap(t.vm, 0, mm, WIN, 16 * PG), 0);
	cr_assert_eq(smp_tlb(t.vm, 0).ipis_sent, b0.ipis_sent + 3);
	for (unsigned c = 1; c < 4; c++) {
		struct mm_cpu_tlb e = smp_tlb(t.vm, c);
		cr_assert_eq(e.ipis_recv, b[c].ipis_recv + 1, "CPU %u", c);
		cr_assert_eq(e.loaded_mm, 0, "CPU %u still has mm %u", c, e.loaded_mm);
	}
	cr_assert_eq(smp_mm_destroy(t.vm, 0, mm), 0);
}

Test(smp, injected_knobs_change_the_shootdown)
{
	uint32_t mm = mm_on_every_cpu();
	struct mm_cpu_tlb b0 = smp_tlb(t.vm, 0);

	cr_assert_eq(smp_inject(t.vm, 0, mm, INJECT_TLB_SKIP_IPI, MM_CPUS_MAX), -EINVAL);
	cr_assert_eq(smp_inject(t.vm, 0, mm, INJECT_RELEASE_HOLD + 1, 0), -EINVAL);
	/* Skip CPU 2: only CPUs 1 and 3 are told, CPU 2 keeps the mm. */
	cr_assert_eq(smp_inject(t.vm, 0, mm, INJECT_TLB_SKIP_IPI, 2), 0);
	cr_assert_eq(smp_munmap(t.vm, 0, mm, WIN, 16 * PG), 0);
	cr_assert_eq(smp_tlb(t.vm, 0).ipis_sent, b0.ipis_sent + 2);
	cr_assert_eq(smp_tlb(t.vm, 2).loaded_mm, mm);
	cr_assert_eq(smp_tlb(t.vm, 1).loaded_mm, 0);
	/* Lazy CPUs skipped although tables are freed: nobody is told. */
	cr_assert_eq(smp_mmap(t.vm, 0, mm, WIN, 16 * PG), (int64_t)WIN);
	for (unsigned c = 1; c < 4; c++)
		cr_assert_eq(smp_touch(t.vm, c, mm, WIN, 16 * PG, TOUCH_WRITE), ACCESS_OK);
	b0 = smp_tlb(t.vm, 0);
	cr_assert_eq(smp_inject(t.vm, 0, mm, INJECT_TLB_SKIP_LAZY, 0), 0);
	cr_assert_eq(smp_munmap(t.vm, 0, mm, WIN, 16 * PG), 0);
	cr_assert_eq(smp_tlb(t.vm, 0).ipis_sent, b0.ipis_sent);
	cr_assert_eq(smp_tlb(t.vm, 0).lazy_skips, b0.lazy_skips + 3);
	/* One-shot: the next one tells them again (destroy makes them leave). */
	cr_assert_eq(smp_mm_destroy(t.vm, 0, mm), 0);
	for (unsigned c = 1; c < 4; c++)
		cr_assert_eq(smp_tlb(t.vm, c).loaded_mm, 0, "CPU %u", c);
}

struct toucher {
	struct vm *vm;
	uint32_t mm;
	atomic_bool stop;
	unsigned runs;
};

/* CPU 1, over and over: drop its pages (madvise dontneed), then read them
 * back, one fault each: most of each run is spent in ring 3 or in its
 * faults, not lazy. */
static void *touch_loop(void *arg)
{
	struct toucher *tc = arg;

	/* Bounded: at most 2000 runs even if the main thread never stops us. */
	while (!atomic_load(&tc->stop) && tc->runs < 2000) {
		struct chan_slot s = { .op = OP_MADVISE, .mm = tc->mm };
		s.madvise = (struct chan_madvise){ .addr = WIN + 64 * PG, .len = 256 * PG,
						   .advice = MADV_DONTNEED_ABI };
		if (vm_request_on(tc->vm, 1, &s, 1) != 0 || s.result != 0)
			break;
		s = (struct chan_slot){ .op = OP_TOUCH, .mm = tc->mm };
		s.touch = (struct chan_touch){ .addr = WIN + 64 * PG, .len = 256 * PG,
					       .mode = TOUCH_READ };
		if (vm_request_on(tc->vm, 1, &s, 1) != 0 || s.result != ACCESS_OK)
			break;
		tc->runs++;
	}
	return NULL;
}

Test(smp, a_cpu_in_ring_3_gets_the_ipi)
{
	uint32_t mm = smp_mm_create(t.vm, 0);
	struct toucher tc = { .vm = t.vm, .mm = mm };
	pthread_t th;
	unsigned rounds = 0;

	cr_assert_eq(smp_mmap(t.vm, 0, mm, WIN, 320 * PG), (int64_t)WIN);
	cr_assert_eq(smp_touch(t.vm, 0, mm, WIN, 64 * PG, TOUCH_WRITE), ACCESS_OK);
	uint64_t recv0 = smp_tlb(t.vm, 1).ipis_recv;
	cr_assert_eq(pthread_create(&th, NULL, touch_loop, &tc), 0);
	/* munmap/mmap a page CPU 1 does not touch, while it reads the rest in
	 * ring 3 and its faults (not lazy): CPU 0 must interrupt it; at most
	 * 300 rounds. */
	while (smp_tlb(t.vm, 1).ipis_recv == recv0 && rounds++ < 300) {
		/* Go when CPU 1 is seen using the mm (at most 10000 looks). */
		for (unsigned look = 0; look < 10000; look++) {
			struct mm_cpu_tlb e = smp_tlb(t.vm, 1);
			if (e.loaded_mm == mm && !e.lazy)
				break;
			sched_yield();
		}
		cr_assert_eq(smp_munmap(t.vm, 0, mm, WIN, PG), 0);
		cr_assert_eq(smp_mmap(t.vm, 0, mm, WIN, PG), (int64_t)WIN);
		cr_assert_eq(smp_touch(t.vm, 0, mm, WIN, PG, TOUCH_WRITE), ACCESS_OK);
	}
	atomic_store(&tc.stop, true);
	pthread_join(th, NULL);
	cr_assert_gt(smp_tlb(t.vm, 1).ipis_recv, recv0, "no IPI in %u rounds (%u touches)",
		     rounds, tc.runs);
	cr_assert_null(vm_failure(t.vm));
	cr_assert_eq(smp_mm_destroy(t.vm, 0, mm), 0);
}
