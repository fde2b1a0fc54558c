/*
 * The reader against a fake guest RAM: records in order across drains and
 * ring wraps, lost events, and hostile control pages and rings, which are
 * refused without reading outside RAM (ASan watches).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tlbcheck/stream.h"

static struct ram ram;
static struct tlbcheck tc;

static void init(void)
{
	ram_init(&ram, 8);
	cr_assert_eq(tlbcheck_init(&tc, 256), 0);
}

static void fini(void)
{
	tlbcheck_fini(&tc);
	ram_fini(&ram);
}

TestSuite(reader, .init = init, .fini = fini);

static enum tlbcheck_verdict drain(const char **msg, struct tlbcheck_counts *c)
{
	static char buf[TLBCHECK_MSG_MAX];

	tlbcheck_drain(&tc, &ram.g);
	*msg = buf;
	return tlbcheck_verdict(&tc, buf, sizeof buf, c);
}

/* One munmap of one page on CPU 0, 5 events. */
static void munmap_one(unsigned i)
{
	uint64_t va = 0x100000000000ULL + i * 0x1000, pa = 0x800000 + i * 0x1000;

	ram_emit(&ram, TLOG_CR3_LOAD, 0, 1, 0, 0);
	ram_emit(&ram, TLOG_PTE_CLEAR, 0, 1, va, pa);
	ram_emit(&ram, TLOG_FLUSH_PAGE, 0, 1, va, 0);
	ram_emit(&ram, TLOG_FRAME_FREE, 0, 0, pa, 0);
	ram_emit(&ram, TLOG_CR3_LOAD, 0, 0, 0, 0);
}

Test(reader, off_until_the_guest_publishes)
{
	struct tlbcheck_counts c;
	const char *msg;

	ram.ctl->magic = 0;
	cr_expect_eq(drain(&msg, &c), TLBV_OFF);
	ram.ctl->magic = TLBLOG_MAGIC;
	cr_expect_eq(drain(&msg, &c), TLBV_CLEAN, "%s", msg);
}

Test(reader, incremental_across_wraps)
{
	struct tlbcheck_counts c;
	const char *msg;

	for (unsigned i = 0; i < 20; i++) {
		munmap_one(i);        /* 5 events, ring of 8: read after each */
		cr_assert_eq(drain(&msg, &c), TLBV_CLEAN, "%s", msg);
	}
	cr_expect_eq(c.events, 100);
	cr_expect_eq(c.frames_checked, 20);
	cr_expect_eq(c.lost, 0);
}

Test(reader, a_record_not_written_yet_waits)
{
	struct tlbcheck_counts c;
	const char *msg;

	munmap_one(0);
	ram.ring[2].seq = 0;      /* the flush's writer has not finished */
	cr_assert_eq(drain(&msg, &c), TLBV_CLEAN, "%s", msg);
	cr_expect_eq(c.events, 2);
	ram.ring[2].seq = 3;
	cr_assert_eq(drain(&msg, &c), TLBV_CLEAN, "%s", msg);
	cr_expect_eq(c.events, 5);
}

Test(reader, overrun_is_lost_not_proven)
{
	struct tlbcheck_counts c;
	const char *msg;

	munmap_one(0);
	munmap_one(1);            /* 10 events in a ring of 8 */
	cr_assert_eq(drain(&msg, &c), TLBV_LOST, "%s", msg);
	cr_expect_eq(c.lost, 2);
	cr_expect_eq(c.events, 0, "nothing is replayed after a loss");
	cr_expect_str_eq(msg, "tlb: 2 events lost (overwritten before the host read them): not "
			 "proven");
}

/* A control page the reader must refuse, with the words of its reason. */
static void expect_refused(const char *why)
{
	struct tlbcheck_counts c;
	const char *msg;

	munmap_one(0);
	cr_assert_eq(drain(&msg, &c), TLBV_REFUSED, "%s", msg);
	cr_expect(strstr(msg, "tlb: log refused: ") && strstr(msg, why), "%s", msg);
	cr_expect_eq(c.events, 0);
	/* Refused for good, whatever the guest writes next. */
	ram.ctl->ring_gpa = RING_GPA;
	ram.ctl->recs = 8;
	ram.ctl->version = TLBLOG_VERSION;
	cr_expect_eq(drain(&msg, &c), TLBV_REFUSED);
}

Test(reader, ring_outside_ram)
{
	ram.ctl->ring_gpa = RAM_SIZE - 0x1000;   /* 8 records fit, but... */
	ram.ctl->recs = 256;                     /* ...256 do not */
	expect_refused("is not page-aligned guest RAM above 0x100000");
}

Test(reader, ring_far_outside_ram)
{
	ram.ctl->ring_gpa = ~0ULL << 12;
	expect_refused("is not page-aligned guest RAM");
}

Test(reader, ring_over_the_host_area)
{
	ram.ctl->ring_gpa = 0x10000;             /* the channel */
	expect_refused("above 0x100000");
}

Test(reader, ring_not_aligned)
{
	ram.ctl->ring_gpa = RING_GPA + 32;
	expect_refused("not page-aligned");
}

Test(reader, recs_not_a_power_of_two)
{
	ram.ctl->recs = 12;
	expect_refused("log ring of 12 records (a power of two up to 1048576 expected)");
}

Test(reader, recs_zero_or_huge)
{
	ram.ctl->recs = 0;
	expect_refused("log ring of 0 records");
}

Test(reader, recs_huge)
{
	ram.ctl->recs = 1u << 31;
	expect_refused("log ring of 2147483648 records");
}

Test(reader, wrong_version)
{
	ram.ctl->version = 7;
	expect_refused("log version 7, this host reads 1");
}

Test(reader, seq_no_writer_can_have_written)
{
	struct tlbcheck_counts c;
	const char *msg;

	munmap_one(0);
	ram.ring[1].seq = 12345;
	cr_assert_eq(drain(&msg, &c), TLBV_REFUSED, "%s", msg);
	cr_expect(strstr(msg, "log record 2 has seq 12345 (head 5)"), "%s", msg);
	cr_expect_eq(c.events, 1);
}

Test(reader, seq_of_a_later_lap_without_the_head)
{
	struct tlbcheck_counts c;
	const char *msg;

	munmap_one(0);
	ram.ring[1].seq = 2 + 8;  /* a later lap, but the head says no writer got there */
	cr_assert_eq(drain(&msg, &c), TLBV_REFUSED, "%s", msg);
}

Test(reader, head_going_back)
{
	struct tlbcheck_counts c;
	const char *msg;

	munmap_one(0);
	cr_assert_eq(drain(&msg, &c), TLBV_CLEAN, "%s", msg);
	ram.ctl->head = 1;
	cr_assert_eq(drain(&msg, &c), TLBV_REFUSED, "%s", msg);
	cr_expect(strstr(msg, "log head went back from 5 to 1"), "%s", msg);
}

Test(reader, a_huge_head_is_lost_events_not_a_loop)
{
	struct tlbcheck_counts c;
	const char *msg;

	ram.ctl->head = ~0ULL;
	cr_assert_eq(drain(&msg, &c), TLBV_LOST, "%s", msg);
	cr_expect_eq(c.lost, ~0ULL - 8);
}

/* Random control pages and rings: never a crash, a read outside RAM or a
 * verdict outside the enum (ASan and UBSan watch the host side). */
Test(reader, random_garbage)
{
	unsigned seed = 12345;

	for (unsigned round = 0; round < 2000; round++) {
		struct tlbcheck_counts c;
		const char *msg;
		uint8_t *ring = (uint8_t *)ram.ring;

		tlbcheck_fini(&tc);
		cr_assert_eq(tlbcheck_init(&tc, 16), 0);
		memset(ram.g.ram + TLBLOG_GPA, 0, sizeof(struct tlblog_ctl));
		ram.ctl->magic = TLBLOG_MAGIC;
		ram.ctl->version = TLBLOG_VERSION;
		ram.ctl->recs = round % 3 ? 8 : (uint32_t)rand_r(&seed);
		ram.ctl->ring_gpa = round % 5 ? RING_GPA : (uint64_t)rand_r(&seed) << 12;
		ram.ctl->head = round % 7 ? (uint64_t)(rand_r(&seed) % 20) : (uint64_t)rand_r(&seed) << 20;
		for (unsigned i = 0; i < 8 * sizeof(struct tlblog_rec); i++)
			ring[i] = (uint8_t)rand_r(&seed);
		/* Often plausible seqs, kinds and CPUs, so the model sees records. */
		for (unsigned i = 0; i < 8 && round % 2; i++) {
			struct tlblog_rec *r = &ram.ring[i];
			r->seq = i + 1;
			r->ev = (uint16_t)(r->ev % (TLOG_NR + 1));
			r->cpu = (uint16_t)(r->cpu % 70);
			r->mm %= 3;
			if (r->ev == TLOG_PTE_CLEAR || r->ev == TLOG_FRAME_FREE || r->ev == TLOG_PT_FREE)
				r->a &= ~0xfffULL, r->b &= ~0xfffULL;
		}
		for (unsigned d = 0; d < 3; d++) {
			enum tlbcheck_verdict v = drain(&msg, &c);
			cr_assert(v <= TLBV_REFUSED);
			cr_assert_leq(c.stale, 16);
			cr_assert(strlen(msg) < TLBCHECK_MSG_MAX);
		}
	}
}
