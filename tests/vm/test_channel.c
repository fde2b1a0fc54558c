/* The request channel against the real guest: batches, ring wrap, errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "shared/channel.h"
#include "shared/mm_abi.h"
#include "tests/vm/vm_test.h"

#define ENOSYS_ 38
#define ESRCH_ 3
#define EINVAL_ 22
#define WIN 0x100000000000ULL

static struct tvm t;

static void boot(void)
{
	tvm_boot_real(&t);
}

static void down(void)
{
	tvm_destroy(&t);
	tvm_free_console(&t);
}

TestSuite(channel, .init = boot, .fini = down, .timeout = 60);

static void nops(struct chan_slot *s, unsigned n)
{
	memset(s, 0, n * sizeof(*s));
	for (unsigned i = 0; i < n; i++) {
		s[i].op = OP_NOP;
		s[i].result = 0x5a5a;   /* must be overwritten */
	}
}

/* One request; its result (the test fails if there is no answer). */
static int64_t request(struct chan_slot *s)
{
	int r = vm_request(t.vm, s);

	cr_assert_eq(r, 0, "op %u: %s", s->op, vm_failure(t.vm) ? vm_failure(t.vm) : strerror(-r));
	return s->result;
}

static int64_t nop(void)
{
	struct chan_slot s = { .op = OP_NOP };

	return request(&s);
}

/* OP_MM_CREATE: the new id (>= 1), or the failing result. */
static int64_t mm_create(void)
{
	struct chan_slot s = { .op = OP_MM_CREATE };
	int64_t r = request(&s);

	return r == 0 ? (int64_t)s.mm_create.id : r;
}

/* A no-op has no fields: the guest writes none of the slot but the result. */
Test(channel, one_nop)
{
	struct chan_slot s = { .op = OP_NOP, .result = 9, .raw = { 1, 2, 3, 4 } };

	cr_assert_eq(request(&s), 0);
	cr_expect_eq(s.raw[0], 1);
	cr_expect_eq(s.raw[3], 4);
	cr_expect_eq(s.raw[4], 0);
}

Test(channel, sixty_four_nops_one_doorbell)
{
	struct chan_slot s[64];

	nops(s, 64);
	cr_assert_eq(vm_request_batch(t.vm, s, 64), 0, "%s", vm_failure(t.vm));
	for (unsigned i = 0; i < 64; i++) {
		cr_expect_eq(s[i].result, 0, "slot %u: %lld", i, (long long)s[i].result);
		cr_expect_eq(s[i].raw[0], 0);
	}
	cr_expect_null(vm_failure(t.vm));
}

/* Full batches and odd sizes so that the free-running indices wrap the ring
 * many times and batches straddle its end. */
Test(channel, ring_wraps)
{
	static struct chan_slot s[CHANNEL_SLOTS];
	unsigned sizes[] = { CHANNEL_SLOTS, 1, CHANNEL_SLOTS, 255, 3, 200, 130, CHANNEL_SLOTS, 77 };
	unsigned total = 0;

	for (unsigned k = 0; k < 5; k++)
		for (unsigned j = 0; j < sizeof(sizes) / sizeof(sizes[0]); j++) {
			nops(s, sizes[j]);
			cr_assert_eq(vm_request_batch(t.vm, s, sizes[j]), 0, "batch of %u after %u: %s",
				     sizes[j], total, vm_failure(t.vm));
			for (unsigned i = 0; i < sizes[j]; i++)
				cr_assert_eq(s[i].result, 0);
			total += sizes[j];
		}
	cr_expect_null(vm_failure(t.vm));
}

Test(channel, oversized_batch_refused_vm_healthy)
{
	static struct chan_slot s[CHANNEL_SLOTS + 1];

	nops(s, CHANNEL_SLOTS + 1);
	cr_assert_eq(vm_request_batch(t.vm, s, CHANNEL_SLOTS + 1), -EINVAL);
	cr_assert_null(vm_failure(t.vm));
	cr_assert_eq(vm_request_batch(t.vm, s, 0), -EINVAL);
	cr_assert_null(vm_failure(t.vm));
	cr_assert_eq(nop(), 0);
}

Test(channel, bad_op_and_bad_mm)
{
	int64_t a = mm_create();
	cr_assert_geq(a, 1, "OP_MM_CREATE: %lld", (long long)a);

	struct chan_slot bad[] = {
		{ .op = 99 },
		{ .op = 99, .mm = (uint32_t)a },
		{ .op = OP_NR, .mm = (uint32_t)a },
		{ .op = 0xffff, .mm = 0xffffffff },
		{ .op = OP_MMAP, .mm = 12345,
		  .mmap = { .addr = WIN, .len = 0x1000, .prot = PROT_READ_ABI, .flags = MMAP_F_FIXED } },
		{ .op = OP_MUNMAP, .mm = 0, .munmap = { .addr = WIN, .len = 0x1000 } },
		{ .op = OP_MM_DESTROY, .mm = 12345 },
		{ .op = OP_TOUCH, .mm = 0xffffffff,
		  .touch = { .addr = WIN, .len = 0x1000, .mode = TOUCH_READ } },
	};
	const int64_t bad_want[] = { -ENOSYS_, -ENOSYS_, -ENOSYS_, -ENOSYS_,
				     -ESRCH_, -ESRCH_, -ESRCH_, -ESRCH_ };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(request(&bad[i]), bad_want[i], "request %u: %lld", i,
			     (long long)bad[i].result);

	/* Errors inside a batch stay in their slots. */
	struct chan_slot s[5] = {
		{ .op = OP_NOP }, { .op = 200 }, { .op = OP_NOP },
		{ .op = OP_STATS, .mm = 777 }, { .op = OP_NOP },
	};
	cr_assert_eq(vm_request_batch(t.vm, s, 5), 0, "%s", vm_failure(t.vm));
	int64_t want[5] = { 0, -ENOSYS_, 0, -ESRCH_, 0 };
	for (int i = 0; i < 5; i++)
		cr_expect_eq(s[i].result, want[i], "slot %d: %lld", i, (long long)s[i].result);

	cr_assert_null(vm_failure(t.vm));
	cr_assert_eq(nop(), 0);
}

/* Several mm operations in one doorbell, each checked. */
Test(channel, mixed_batch)
{
	int64_t a = mm_create();
	cr_assert_geq(a, 1, "OP_MM_CREATE: %lld", (long long)a);
	uint32_t mm = (uint32_t)a;

	struct chan_slot s[] = {
		{ .op = OP_MM_CREATE },
		{ .op = OP_MMAP, .mm = mm, .mmap = { .addr = WIN, .len = 0x4000,
			.prot = PROT_READ_ABI | PROT_WRITE_ABI, .flags = MMAP_F_FIXED } },
		{ .op = OP_TOUCH, .mm = mm, .touch = { .addr = WIN, .len = 0x4000, .mode = TOUCH_WRITE } },
		{ .op = OP_MUNMAP, .mm = mm, .munmap = { .addr = WIN + 0x1000, .len = 0x1000 } },
		{ .op = OP_MUNMAP, .mm = mm, .munmap = { .addr = WIN + 1, .len = 0x1000 } },
		{ .op = OP_TOUCH, .mm = mm,
		  .touch = { .addr = WIN + 0x1000, .len = 0x1000, .mode = TOUCH_READ } },
		{ .op = OP_VMA_LIST, .mm = mm, .vma_list = { .from = 0, .data_offset = 0, .max = 16 } },
		{ .op = OP_PTE, .mm = mm, .pte = { .addr = WIN } },
		{ .op = OP_PTE, .mm = mm, .pte = { .addr = WIN + 0x1000 } },
		{ .op = OP_NOP },
	};
	unsigned n = sizeof(s) / sizeof(s[0]);
	cr_assert_eq(vm_request_batch(t.vm, s, n), 0, "%s", vm_failure(t.vm));

	cr_expect_eq(s[0].result, 0, "second OP_MM_CREATE: %lld", (long long)s[0].result);
	int64_t b = s[0].mm_create.id;
	cr_expect_geq(b, 1, "second OP_MM_CREATE: id %lld", (long long)b);
	cr_expect_neq(b, a, "two address spaces with id %lld", (long long)a);
	cr_expect_eq(s[1].result, (int64_t)WIN, "mmap: %llx", (long long)s[1].result);
	cr_expect_eq(s[2].result, ACCESS_OK, "touch write: %lld", (long long)s[2].result);
	cr_expect_eq(s[3].result, 0, "munmap: %lld", (long long)s[3].result);
	cr_expect_eq(s[4].result, -EINVAL_, "unaligned munmap: %lld", (long long)s[4].result);
	cr_expect_eq(s[5].result, ACCESS_FAULT, "touch of a hole: %lld", (long long)s[5].result);
	cr_expect_eq(s[5].touch.access.addr, WIN + 0x1000);
	cr_expect_eq(s[5].touch.access.fault, FAULT_MAPERR);

	cr_expect_eq(s[6].result, 2, "VMAs listed: %lld", (long long)s[6].result);
	cr_expect_eq(s[6].vma_list.map_count, 2, "map_count %llu",
		     (unsigned long long)s[6].vma_list.map_count);
	const struct chan_vma *v = vm_channel_data(t.vm);
	if (s[6].result == 2) {
		cr_expect_eq(v[0].start, WIN);
		cr_expect_eq(v[0].end, WIN + 0x1000);
		cr_expect_eq(v[1].start, WIN + 0x2000);
		cr_expect_eq(v[1].end, WIN + 0x4000);
		cr_expect_eq(v[0].flags & (VM_READ | VM_WRITE | VM_EXEC), VM_READ | VM_WRITE);
	}
	cr_expect_eq(s[7].result, 0);
	cr_expect(s[7].pte.pte & 1, "touched page not present: pte %llx",
		  (unsigned long long)s[7].pte.pte);
	cr_expect_eq(s[7].pte.level, 1, "level %u", s[7].pte.level);
	cr_expect_eq(s[8].result, 0);
	cr_expect_eq(s[8].pte.pte, 0, "unmapped page has pte %llx", (unsigned long long)s[8].pte.pte);
	cr_expect_eq(s[9].result, 0);

	/* Destroying the second mm leaves the first alone. */
	if (b >= 1) {
		struct chan_slot d[] = {
			{ .op = OP_MM_DESTROY, .mm = (uint32_t)b },
			{ .op = OP_MMAP, .mm = (uint32_t)b, .mmap = { .addr = WIN, .len = 0x1000,
				.prot = PROT_READ_ABI, .flags = MMAP_F_FIXED } },
			{ .op = OP_TOUCH, .mm = mm, .touch = { .addr = WIN, .len = 0x1000, .mode = TOUCH_READ } },
		};
		cr_assert_eq(vm_request_batch(t.vm, d, 3), 0, "%s", vm_failure(t.vm));
		cr_expect_eq(d[0].result, 0);
		cr_expect_eq(d[1].result, -ESRCH_);
		cr_expect_eq(d[2].result, ACCESS_OK);
	}
	cr_assert_null(vm_failure(t.vm));
}

Test(channel, insn_count_grows_per_request)
{
	int64_t before = vm_insn_count(t.vm);
	cr_assert_geq(before, 0, "insn_emulation counter unavailable");
	for (int i = 0; i < 10; i++)
		cr_assert_eq(nop(), 0);
	int64_t after = vm_insn_count(t.vm);
	cr_expect_gt(after, before);
	cr_log_info("%.1f emulated guest instructions per no-op request",
		    (double)(after - before) / 10.0);
}

/* Boot a test guest that answers everything with one result (bad_result.c)
 * and send it a no-op: vm_request's return. */
static int request_to(const char *guest, struct tvm *v, struct chan_slot *s)
{
	char path[4096];
	struct vm_config cfg = { .guest_path = test_guest_path(guest, path, sizeof(path)) };

	tvm_create(v, cfg);
	cr_assert_eq(v->status, 0, "status %d: %s", v->status, v->err);
	*s = (struct chan_slot){ .op = OP_NOP };
	return vm_request(v->vm, s);
}

/* A result below -CHAN_ERRNO_MAX is no errno: the call fails with -EPROTO
 * (not in the slot, where it could pass for a guest result), the VM is
 * marked failed naming the op and the value, and later calls get -EPIPE. */
Test(channel_protocol, result_below_errno_range_fails_the_vm, .timeout = 60)
{
	static const char *const guests[] = { "bad_result", "bad_result_4096" };
	static const char *const values[] = { "-9223372036854775808", "-4096" };

	for (unsigned i = 0; i < 2; i++) {
		struct tvm v;
		struct chan_slot s;

		cr_assert_eq(request_to(guests[i], &v, &s), -EPROTO, "%s", guests[i]);
		cr_expect_eq(s.result, 0, "%s: the bad value reached the caller", guests[i]);
		const char *why = vm_failure(v.vm);
		cr_assert_not_null(why);
		cr_expect(strstr(why, "OP_NOP") && strstr(why, values[i]), "reason: %s", why);
		cr_expect_eq(vm_request(v.vm, &s), -EPIPE);
		tvm_destroy(&v);
		tvm_free_console(&v);
	}
}

/* -CHAN_ERRNO_MAX itself is an errno like any other. */
Test(channel_protocol, last_errno_is_a_result, .timeout = 60)
{
	struct tvm v;
	struct chan_slot s;

	cr_assert_eq(request_to("edge_result", &v, &s), 0, "%s", vm_failure(v.vm));
	cr_expect_eq(s.result, -CHAN_ERRNO_MAX);
	cr_expect_null(vm_failure(v.vm));
	tvm_destroy(&v);
	tvm_free_console(&v);
}
