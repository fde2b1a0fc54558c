/*
 * Every injected way to break a shootdown (INJECT_TLB_*) is caught by the
 * TLB-coherence checker (docs/tlb.md), with the right message, and the
 * same steps without an injection replay clean.  One VM per case: the
 * checker keeps the first violation.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "tests/smp/smp_test.h"
#include "vmm/tlbcheck/vm_tlbcheck.h"

static struct tvm t;

static void down(void)
{
	tvm_destroy(&t);
	tvm_free_console(&t);
}

TestSuite(smp_tlbcheck, .fini = down, .timeout = 600);

/* An mm of 16 pages touched on CPUs 3..0 (each lazy with it loaded after
 * its request); then, on CPU 0, kind is armed (0: none), the whole range
 * unmapped (frames and page tables freed) and the mm destroyed.  The
 * checker's verdict. */
static enum tlbcheck_verdict run_case(uint32_t kind, uint64_t arg, char *msg, size_t len)
{
	struct tlbcheck_counts c;

	smp_boot(&t, 4, true);
	uint32_t mm = smp_mm_create(t.vm, 0);
	cr_assert_eq(smp_mmap(t.vm, 0, mm, WIN, 16 * PG), (int64_t)WIN);
	for (unsigned cpu = 4; cpu-- > 0;)
		cr_assert_eq(smp_touch(t.vm, cpu, mm, WIN, 16 * PG, TOUCH_WRITE), ACCESS_OK);
	cr_assert_eq(vm_tlbcheck(t.vm, msg, len, &c), TLBV_CLEAN, "%s", msg);
	if (kind)
		cr_assert_eq(smp_inject(t.vm, 0, mm, kind, arg), 0);
	cr_assert_eq(smp_munmap(t.vm, 0, mm, WIN, 16 * PG), 0);
	cr_assert_eq(smp_mm_destroy(t.vm, 0, mm), 0);
	return vm_tlbcheck(t.vm, msg, len, &c);
}

static void caught(uint32_t kind, uint64_t arg, const char *want)
{
	char msg[1024];
	enum tlbcheck_verdict v = run_case(kind, arg, msg, sizeof msg);

	cr_assert_eq(v, TLBV_VIOLATION, "kind %u: verdict %d: %s", kind, v, msg);
	cr_assert(strstr(msg, want), "kind %u: no '%s' in: %s", kind, want, msg);
}

Test(smp_tlbcheck, the_shootdown_replays_clean)
{
	char msg[1024];
	enum tlbcheck_verdict v = run_case(0, 0, msg, sizeof msg);

	cr_assert_eq(v, TLBV_CLEAN, "verdict %d: %s", v, msg);
}

Test(smp_tlbcheck, skipped_ipi_is_caught)
{
	caught(INJECT_TLB_SKIP_IPI, 2, "no flush request was sent to CPU 2");
}

Test(smp_tlbcheck, ack_before_flush_is_caught)
{
	caught(INJECT_TLB_ACK_EARLY, 0, "but flushed nothing covering it");
}

Test(smp_tlbcheck, free_before_the_acks_is_caught)
{
	caught(INJECT_TLB_FREE_EARLY, 0, "freed (event");
}

Test(smp_tlbcheck, lazy_cpu_skipped_with_tables_freed_is_caught)
{
	caught(INJECT_TLB_SKIP_LAZY, 0, "no flush request was sent to CPU");
}

Test(smp_tlbcheck, range_a_page_short_is_caught)
{
	caught(INJECT_TLB_SHORT_RANGE, 0, "flushed nothing covering it");
}
