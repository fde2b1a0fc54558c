/*
 * Guests that crash or stop answering on purpose (tests/guests/): vm_create
 * or vm_request fails with the right reason, and the crash report carries the
 * reason, the registers, a page walk and the guest's last console lines.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <unistd.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/vm/vm_test.h"

struct crash_case {
	const char *guest;
	const char *reason[3];    /* substrings of vm_failure(), NULL-terminated */
	const char *console;      /* a line the guest printed before */
	bool regs;                /* the report has registers and page walks */
};

/* Boot a guest that must fail during boot and check everything. */
static void expect_boot_crash(const struct crash_case *c, struct vm_config cfg)
{
	char path[4096];
	struct tvm t;

	cfg.guest_path = test_guest_path(c->guest, path, sizeof(path));
	tvm_create(&t, cfg);
	/* Only the hang case sets a boot timeout: it times out, the rest die. */
	int want = cfg.boot_timeout_ms ? -ETIMEDOUT : -EPIPE;
	cr_assert_eq(t.status, want, "%s: vm_create status %d (%s)", c->guest, t.status, t.err);
	cr_assert_not_null(t.vm, "%s: no VM kept for the report", c->guest);
	const char *why = vm_failure(t.vm);
	cr_assert_not_null(why, "%s: no failure recorded", c->guest);
	for (int i = 0; i < 3 && c->reason[i]; i++) {
		cr_expect(strstr(why, c->reason[i]), "%s: reason '%s' lacks '%s'", c->guest, why, c->reason[i]);
		cr_expect(strstr(t.err, c->reason[i]), "%s: message '%s' lacks '%s'", c->guest, t.err, c->reason[i]);
	}

	char *rep = tvm_report(&t);
	cr_expect(strstr(rep, why), "%s: report lacks the reason:\n%s", c->guest, rep);
	if (c->regs) {
		cr_expect(strstr(rep, "rip"), "%s: report lacks rip:\n%s", c->guest, rep);
		cr_expect(strstr(rep, "cr3"), "%s: report lacks cr3:\n%s", c->guest, rep);
		cr_expect(strstr(rep, "page walk"), "%s: report lacks a page walk:\n%s", c->guest, rep);
	}
	cr_expect(strstr(rep, c->console), "%s: report lacks the console line '%s':\n%s",
		  c->guest, c->console, rep);
	free(rep);
	tvm_destroy(&t);
	cr_expect(t.console_buf && strstr(t.console_buf, c->console), "%s: console '%s'", c->guest,
		  t.console_buf ? t.console_buf : "");
	tvm_free_console(&t);
}

static void crash(const struct crash_case c)
{
	expect_boot_crash(&c, (struct vm_config){ 0 });
}

TestSuite(crash, .timeout = 60);

Test(crash, triple_fault)
{
	crash((struct crash_case){ "triple_fault", { "triple fault", "KVM_EXIT_SHUTDOWN" },
				   "triple_fault: empty IDT, then ud2", true });
}

/* kvm_pvm's ring-0 emulator cannot run SSE: KVM_EXIT_INTERNAL_ERROR.  A
 * hardware backend runs it, and with CR4.OSFXSR clear it raises #UD, which
 * a guest without an IDT turns into a triple fault.  Either way the VM
 * stops with a report and the guest never goes on. */
Test(crash, emulation_error)
{
	bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0;

	crash((struct crash_case){ "emul_error", { pvm ? "internal error" : "triple fault" },
				   "emul_error: xorps in ring 0", true });
}

Test(crash, panic)
{
	crash((struct crash_case){ "panic", { "guest panic: test guest panic: the sky is falling" },
				   "panic: about to panic", true });
}

Test(crash, panic_message_too_long)
{
	crash((struct crash_case){ "panic_long", { "guest panic", "1025 bytes is longer" },
				   "panic: about to panic", true });
}

Test(crash, bad_port)
{
	crash((struct crash_case){ "bad_port", { "unexpected I/O", "port 0x1234" },
				   "bad_port: out to an unknown port", true });
}

Test(crash, unknown_hypercall_number)
{
	crash((struct crash_case){ "bad_port_hc", { "unexpected I/O", "port 0x506" },
				   "bad_port: out to an unknown port", true });
}

Test(crash, hypercall_port_with_outb)
{
	crash((struct crash_case){ "bad_port_byte", { "unexpected I/O", "1 byte", "port 0x500" },
				   "bad_port: out to an unknown port", true });
}

Test(crash, mmio_outside_ram)
{
	crash((struct crash_case){ "mmio", { "MMIO write", "0x30000000" },
				   "mmio: store to 0x30000000", true });
}

Test(crash, exit_code_before_ready)
{
	crash((struct crash_case){ "exit_code", { "exited with code 7" },
				   "exit_code: exiting with 7", false });
}

Test(crash, hang_during_boot)
{
	double t0 = now_ms();
	expect_boot_crash(&(struct crash_case){ "hang", { "stopped answering", "300 ms" },
						"hang: going to sleep for ever", false },
			  (struct vm_config){ .boot_timeout_ms = 300 });
	cr_expect_lt(now_ms() - t0, 5000.0, "the boot timeout was not honoured");
}

/* Ready, then deaf: the first request times out. */
Test(crash, request_timeout)
{
	char path[4096];
	struct tvm t;
	struct vm_config cfg = { .guest_path = test_guest_path("console_ready", path, sizeof(path)),
				 .request_timeout_ms = 200 };

	tvm_create(&t, cfg);
	cr_assert_eq(t.status, 0, "status %d: %s", t.status, t.err);
	cr_assert_null(vm_failure(t.vm));

	double t0 = now_ms();
	struct chan_slot s = { .op = OP_NOP };
	cr_assert_eq(vm_request(t.vm, &s), -ETIMEDOUT);
	double waited = now_ms() - t0;
	cr_expect(waited >= 150.0 && waited < 5000.0, "timed out after %.0f ms", waited);
	const char *why = vm_failure(t.vm);
	cr_assert_not_null(why);
	cr_expect(strstr(why, "stopped answering"), "reason: %s", why);

	/* Once failed, the VM refuses further work at once. */
	cr_expect_eq(vm_request(t.vm, &s), -EPIPE);

	char *rep = tvm_report(&t);
	cr_expect(strstr(rep, "stopped answering"), "report:\n%s", rep);
	cr_expect(strstr(rep, "console_ready: up, but I will not answer"), "report:\n%s", rep);
	free(rep);
	tvm_destroy(&t);
	tvm_free_console(&t);
}
