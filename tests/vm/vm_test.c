/* Helpers of tests/vm/: see vm_test.h. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/vm/vm_test.h"

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *env_or(const char *var, const char *def)
{
	const char *v = getenv(var);

	return v && *v ? v : def;
}

const char *vmm_bin_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", env_or("VMM_BIN", VMM_BIN_DEFAULT), name);
	return buf;
}

const char *test_guest_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s.elf", env_or("VMM_TEST_GUESTS", TEST_GUEST_DIR_DEFAULT), name);
	return buf;
}

void tvm_create(struct tvm *t, struct vm_config cfg)
{
	memset(t, 0, sizeof(*t));
	t->console = open_memstream(&t->console_buf, &t->console_len);
	cr_assert_not_null(t->console, "open_memstream");
	cfg.console = t->console;
	double t0 = now_ms();
	t->status = vm_create(&cfg, &t->vm, t->err, sizeof(t->err));
	t->create_ms = now_ms() - t0;
	/* KVM must be usable here: a setup failure (an error other than bad
	 * input, and no VM kept for a report) is a test failure. */
	cr_assert(t->status == 0 || t->vm || t->status == -EINVAL || t->status == -ENOEXEC,
		  "vm_create(%s): %d: %s", cfg.guest_path, t->status, t->err);
}

void tvm_boot_real(struct tvm *t)
{
	char path[4096];
	struct vm_config cfg = { .guest_path = vmm_bin_path("guest.elf", path, sizeof(path)) };

	tvm_create(t, cfg);
	cr_assert_eq(t->status, 0, "booting %s: status %d: %s", path, t->status, t->err);
	cr_assert_null(vm_failure(t->vm));
}

void tvm_destroy(struct tvm *t)
{
	vm_destroy(t->vm);
	t->vm = NULL;
	if (t->console) {
		fclose(t->console);     /* the vCPU thread is gone: no more writers */
		t->console = NULL;
	}
}

void tvm_free_console(struct tvm *t)
{
	free(t->console_buf);
	t->console_buf = NULL;
}

char *tvm_report(struct tvm *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert_not_null(f);
	vm_report_failure(t->vm, f);
	fclose(f);
	return buf;
}
