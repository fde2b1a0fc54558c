/* Boot of the real guest kernel on /dev/kvm: it must get ready, fast. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "shared/layout.h"
#include "tests/vm/vm_test.h"

/* A hang guard, not a speed test: a loaded machine, or the software CPU of
 * tools/kvm-machine.sh, takes seconds (3 s seen there); the boot time
 * itself is docs/benchmarks.md's. */
#define READY_LIMIT_MS 60000.0

Test(boot, kvm_is_usable)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	cr_assert_geq(fd, 0, "cannot open /dev/kvm: %s (these tests need KVM)", strerror(errno));
	cr_assert_eq(ioctl(fd, KVM_GET_API_VERSION, 0), KVM_API_VERSION);
	close(fd);
}

Test(boot, real_guest_gets_ready)
{
	struct tvm t;

	tvm_boot_real(&t);
	cr_log_info("guest.elf: vm_create to ready in %.2f ms", t.create_ms);
	cr_expect_lt(t.create_ms, READY_LIMIT_MS, "boot took %.1f ms", t.create_ms);
	cr_expect_geq(vm_insn_count(t.vm), 1, "insn_emulation counter unavailable");
	tvm_destroy(&t);
	cr_expect(t.console_len > 0 && strstr(t.console_buf, "ready"),
		  "no ready line on the console: '%s'", t.console_buf ? t.console_buf : "");
	tvm_free_console(&t);
}

Test(boot, translate_kernel_address)
{
	struct tvm t;
	uint64_t gpa = 0;
	bool valid = false;

	tvm_boot_real(&t);
	cr_assert_eq(vm_translate(t.vm, KERNEL_VIRT_BASE + HOST_RESERVED_END, &gpa, &valid), 0);
	cr_expect(valid);
	cr_expect_eq(gpa, HOST_RESERVED_END, "kernel text at gpa 0x%llx", (unsigned long long)gpa);
	tvm_destroy(&t);
	tvm_free_console(&t);
}

Test(boot, bad_memory_size_is_input_error)
{
	char path[4096], err[256] = "";
	struct vm *vm = (struct vm *)1;
	struct vm_config cfg = { .guest_path = vmm_bin_path("guest.elf", path, sizeof(path)),
				 .mem_size = 3 };

	cr_assert_eq(vm_create(&cfg, &vm, err, sizeof(err)), -EINVAL);
	cr_assert_null(vm);
	cr_expect(strstr(err, "memory size"), "message: %s", err);
}

Test(boot, missing_guest_names_file)
{
	struct vm *vm = NULL;
	char err[512] = "";
	struct vm_config cfg = { .guest_path = "/nonexistent/guest.elf" };

	cr_assert_eq(vm_create(&cfg, &vm, err, sizeof(err)), -ENOEXEC, "%s", err);
	cr_assert_null(vm);
	cr_expect(strstr(err, "/nonexistent/guest.elf"), "message: %s", err);
}
