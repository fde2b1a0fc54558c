/*
 * Helpers of the live inspection tests: see live.h.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int64_t live_request(struct vm *vm, struct chan_slot *s)
{
	int r = vm_request(vm, s);
	if (r != 0) {
		vm_report_failure(vm, stderr);
		cr_assert_fail("request %u failed: %s", s->op,
			       vm_failure(vm) ? vm_failure(vm) : strerror(-r));
	}
	return s->result;
}

/* The typed request for live_call's positional arguments. */
static void positional_request(struct chan_slot *s, const uint64_t a[4])
{
	switch (s->op) {
	case OP_MMAP:
		s->mmap = (struct chan_mmap){ a[0], a[1], (uint32_t)a[2], (uint32_t)a[3] };
		break;
	case OP_MUNMAP:
		s->munmap = (struct chan_munmap){ a[0], a[1] };
		break;
	case OP_MPROTECT:
		s->mprotect = (struct chan_mprotect){ .addr = a[0], .len = a[1], .prot = (uint32_t)a[2] };
		break;
	case OP_TOUCH:
		s->touch = (struct chan_touch){ .addr = a[0], .len = a[1], .mode = (uint32_t)a[2] };
		break;
	case OP_FILL:
		s->fill = (struct chan_fill){ .addr = a[0], .len = a[1], .byte = (uint32_t)a[2] };
		break;
	case OP_CHECK:
		s->check = (struct chan_check){ .addr = a[0], .len = a[1], .byte = (uint32_t)a[2] };
		break;
	case OP_VMA_LIST:
		s->vma_list = (struct chan_vma_list){ .from = a[0], .data_offset = (uint32_t)a[1],
						      .max = (uint32_t)a[2] };
		break;
	case OP_PTE:
		s->pte.addr = a[0];
		break;
	case OP_INJECT:
		s->inject = (struct chan_inject){ .kind = (uint32_t)a[0], .addr = a[1] };
		break;
	}
}

/* live_call's out[2] from the typed OUT fields. */
static void positional_answer(const struct chan_slot *s, uint64_t out[2])
{
	const struct chan_access *a = s->op == OP_TOUCH ? &s->touch.access :
				      s->op == OP_FILL ? &s->fill.access : &s->check.access;

	out[0] = out[1] = 0;
	switch (s->op) {
	case OP_TOUCH:
	case OP_FILL:
	case OP_CHECK:
		out[0] = a->addr;
		out[1] = s->result == ACCESS_MISMATCH ? a->found : a->fault;
		break;
	case OP_VMA_LIST:
		out[0] = s->vma_list.map_count;
		break;
	case OP_PTE:
		out[0] = s->pte.pte;
		out[1] = s->pte.level;
		break;
	case OP_STATS:
		out[0] = s->stats.map_count;
		break;
	case OP_MM_CREATE:
		out[0] = s->mm_create.id;
		break;
	}
}

int64_t live_call(struct vm *vm, uint16_t op, uint32_t mm, uint64_t a0, uint64_t a1,
		  uint64_t a2, uint64_t a3, uint64_t out[2])
{
	const uint64_t a[4] = { a0, a1, a2, a3 };
	struct chan_slot s = { .op = op, .mm = mm };

	positional_request(&s, a);
	live_request(vm, &s);
	if (out)
		positional_answer(&s, out);
	return s.result;
}

uint32_t live_mm_new(struct vm *vm)
{
	struct chan_slot s = { .op = OP_MM_CREATE };
	int64_t r = live_request(vm, &s);
	cr_assert(r == 0 && s.mm_create.id > 0, "OP_MM_CREATE: %lld, id %u", (long long)r,
		  s.mm_create.id);
	return s.mm_create.id;
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
