/*
 * Helpers of the live inspection tests: see live.h.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/inspect/live.h"
#include "vmm/inspect/snapshot.h"
#include "vmm/inspect/vmas.h"

struct vm *live_boot(uint64_t mem)
{
	const char *bin = getenv("VMM_BIN");
	char path[4096];
	snprintf(path, sizeof path, "%s/guest.elf", bin ? bin : "build/bin");
	if (access(path, R_OK) != 0)
		cr_skip_test("no guest kernel at %s (set VMM_BIN)", path);
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		cr_skip_test("/dev/kvm is not usable here");
	close(fd);

	struct vm_config cfg = { .guest_path = path, .mem_size = mem, .quiet = true };
	struct vm *vm = NULL;
	char err[512] = "";
	int r = vm_create(&cfg, &vm, err, sizeof err);
	cr_assert_eq(r, 0, "vm_create: %s", err);
	return vm;
}

int64_t live_call(struct vm *vm, uint16_t op, uint32_t mm, uint64_t a0, uint64_t a1,
		  uint64_t a2, uint64_t a3, uint64_t out[2])
{
	struct chan_slot s = { .op = op, .mm = mm, .arg = { a0, a1, a2, a3 } };
	if (vm_submit(vm, &s, 1) != 0) {
		vm_report_failure(vm, stderr);
		cr_assert_fail("request %u failed: %s", op, vm_failure(vm) ? vm_failure(vm) : "?");
	}
	if (out) {
		out[0] = s.out[0];
		out[1] = s.out[1];
	}
	return s.result;
}

uint32_t live_mm_new(struct vm *vm)
{
	int64_t id = live_call(vm, OP_MM_CREATE, 0, 0, 0, 0, 0, NULL);
	cr_assert_gt(id, 0, "OP_MM_CREATE: %lld", (long long)id);
	return (uint32_t)id;
}

void live_mmap(struct vm *vm, uint32_t mm, uint64_t addr, uint64_t len, unsigned prot)
{
	int64_t r = live_call(vm, OP_MMAP, mm, addr, len, prot, MMAP_F_FIXED, NULL);
	cr_assert_eq((uint64_t)r, addr, "mmap 0x%llx 0x%llx: %lld", (unsigned long long)addr,
		     (unsigned long long)len, (long long)r);
}

long live_check(struct vm *vm, struct check_report *out)
{
	struct gmem g = vm_gmem(vm);
	struct snap_opts o = { .walk = true, .pages = true };
	struct snapshot s;
	struct check_report r;
	char err[256];
	int ret = snapshot_take(&g, &o, &s, err, sizeof err);
	cr_assert_eq(ret, 0, "snapshot: %s", err);
	long n = check_snapshot(&s, &r);
	snapshot_free(&s);
	cr_assert_geq(n, 0);
	if (n > 0)
		check_report_print(stderr, &r);
	if (out)
		*out = r;
	else
		check_report_free(&r);
	return n;
}

uint64_t live_pml4(struct vm *vm, uint32_t mm)
{
	struct gmem g = vm_gmem(vm);
	struct mm_table t;
	char err[256];
	cr_assert_eq(mmtab_read(&g, &t, err, sizeof err), 0, "%s", err);
	const struct mm_desc *d = mmtab_find(&t, mm);
	cr_assert_not_null(d, "mm %u not in the table", mm);
	return d->pml4;
}
