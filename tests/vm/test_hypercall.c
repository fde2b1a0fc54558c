/*
 * Bounds checks of the guest -> host calls: bad buffers and argument
 * addresses stop the guest with a message naming the problem, and never
 * touch host memory outside guest RAM (run these under ASan).  HC_DISCARD
 * refuses the host area and the kernel image.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/layout.h"
#include "tests/guests/discard_result.h"
#include "tests/vm/vm_test.h"

static void expect_bad_call(const char *guest, const char *want1, const char *want2)
{
	char path[4096];
	struct tvm t;
	struct vm_config cfg = { .guest_path = test_guest_path(guest, path, sizeof(path)) };

	tvm_create(&t, cfg);
	cr_assert_eq(t.status, -EPIPE, "%s: status %d (%s)", guest, t.status, t.err);
	const char *why = vm_failure(t.vm);
	cr_assert_not_null(why);
	cr_expect(strstr(why, want1), "%s: '%s' lacks '%s'", guest, why, want1);
	cr_expect(strstr(why, want2), "%s: '%s' lacks '%s'", guest, why, want2);
	char *rep = tvm_report(&t);
	cr_expect(strstr(rep, "rip") && strstr(rep, "page walk"), "%s: report:\n%s", guest, rep);
	cr_expect(strstr(rep, " follows"), "%s: no console line:\n%s", guest, rep);
	free(rep);
	tvm_destroy(&t);
	/* The bad write itself never reached the console. */
	cr_expect(!strstr(t.console_buf, "still alive"), "%s: guest went on after a bad call", guest);
	cr_expect(!strstr(t.console_buf, "never printed"), "%s: console printed a bad buffer", guest);
	tvm_free_console(&t);
}

TestSuite(hypercall, .timeout = 60);

Test(hypercall, console_buffer_outside_ram)
{
	expect_bad_call("bad_console", "console", "0xc0000000+16");
}

Test(hypercall, console_too_long)
{
	expect_bad_call("bad_console_len", "console", "+4097");
}

Test(hypercall, console_straddles_end_of_ram)
{
	expect_bad_call("bad_console_end", "console", "0x7fffff8+16");
}

Test(hypercall, console_wraps_address_space)
{
	expect_bad_call("bad_console_wrap", "console", "0xffffffffffffff00+512");
}

Test(hypercall, argument_outside_ram)
{
	expect_bad_call("bad_arg", "argument at guest-physical 0xfffff000", "outside RAM or misaligned");
}

Test(hypercall, argument_misaligned)
{
	expect_bad_call("bad_arg_misaligned", "argument at guest-physical", "misaligned");
}

Test(hypercall, argument_straddles_end_of_ram)
{
	expect_bad_call("bad_arg_end", "argument at guest-physical 0x7fffff8", "outside RAM");
}

Test(hypercall, discard_refuses_host_area_and_image)
{
	char path[4096];
	struct tvm t;
	struct vm_config cfg = { .guest_path = test_guest_path("discard_bad", path, sizeof(path)) };

	tvm_create(&t, cfg);
	cr_assert_eq(t.status, 0, "status %d: %s", t.status, t.err);

	const struct discard_result *r = vm_channel_data(t.vm);
	cr_assert_eq(r->magic, DISCARD_RESULT_MAGIC);
	cr_expect_eq(r->ret_bad, -1, "refusable frames: ret %lld", (long long)r->ret_bad);
	cr_expect_eq(r->ret_mixed, -1, "mixed list: ret %lld", (long long)r->ret_mixed);
	cr_expect_eq(r->ret_good, 0, "good frames: ret %lld", (long long)r->ret_good);
	cr_expect_eq(r->ret_empty, 0, "empty list: ret %lld", (long long)r->ret_empty);
	cr_expect(r->reserved_intact, "a host-reserved frame was discarded");
	cr_expect(r->kernel_intact, "a kernel-image frame was discarded");
	cr_expect(r->unaligned_intact, "an unaligned entry discarded a frame");
	cr_expect(r->mixed_zeroed, "the good frame of a mixed list was not discarded");
	cr_expect(r->good_zeroed, "good frames were not discarded");

	/* And as the host sees guest RAM. */
	struct gmem g = vm_gmem(t.vm);
	uint64_t v = 0;
	cr_assert_eq(gmem_read_u64(&g, r->reserved_frame, &v), 0);
	cr_expect_eq(v, 0x5a5aa5a5deadbeefULL);
	cr_assert_eq(gmem_read_u64(&g, r->kernel_frame, &v), 0);
	cr_expect_eq(v, 0x5a5aa5a5deadbeefULL);
	cr_assert_eq(gmem_read_u64(&g, r->good_frame, &v), 0);
	cr_expect_eq(v, 0);
	cr_assert_eq(gmem_read_u64(&g, BOOT_PML4_GPA + 511 * 8, &v), 0);
	cr_expect_neq(v, 0, "the boot PML4 was zeroed");

	cr_expect_null(vm_failure(t.vm));
	tvm_destroy(&t);
	cr_expect(strstr(t.console_buf, "discard_bad: refused what it had to"), "console: %s", t.console_buf);
	tvm_free_console(&t);
}
