/* Helpers of tests/smp/: see smp_test.h. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "shared/layout.h"
#include "tests/smp/smp_test.h"

void smp_boot(struct tvm *t, unsigned ncpus, bool tlblog)
{
	char path[4096];
	struct vm_config cfg = { .guest_path = vmm_bin_path("guest.elf", path, sizeof(path)),
				 .nr_cpus = ncpus, .tlblog = tlblog };

	tvm_create(t, cfg);
	cr_assert_eq(t->status, 0, "booting %s on %u CPUs: %d: %s", path, ncpus, t->status, t->err);
	cr_assert_null(vm_failure(t->vm));
}

int64_t smp_req(struct vm *vm, unsigned cpu, struct chan_slot *s)
{
	int r = vm_request_on(vm, cpu, s, 1);

	cr_assert_eq(r, 0, "op %u on CPU %u: %s", s->op, cpu,
		     vm_failure(vm) ? vm_failure(vm) : strerror(-r));
	return s->result;
}

uint32_t smp_mm_create(struct vm *vm, unsigned cpu)
{
	struct chan_slot s = { .op = OP_MM_CREATE };

	cr_assert_eq(smp_req(vm, cpu, &s), 0);
	cr_assert_gt(s.mm_create.id, 0);
	return s.mm_create.id;
}

int64_t smp_mmap(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len)
{
	struct chan_slot s = { .op = OP_MMAP, .mm = mm };

	s.mmap = (struct chan_mmap){ .addr = addr, .len = len, .flags = MMAP_F_FIXED,
				     .prot = PROT_READ_ABI | PROT_WRITE_ABI };
	return smp_req(vm, cpu, &s);
}

int64_t smp_munmap(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len)
{
	struct chan_slot s = { .op = OP_MUNMAP, .mm = mm };

	s.munmap = (struct chan_munmap){ .addr = addr, .len = len };
	return smp_req(vm, cpu, &s);
}

int64_t smp_mprotect(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len,
		     uint32_t prot)
{
	struct chan_slot s = { .op = OP_MPROTECT, .mm = mm };

	s.mprotect = (struct chan_mprotect){ .addr = addr, .len = len, .prot = prot };
	return smp_req(vm, cpu, &s);
}

int64_t smp_touch(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len,
		  uint32_t mode)
{
	struct chan_slot s = { .op = OP_TOUCH, .mm = mm };

	s.touch = (struct chan_touch){ .addr = addr, .len = len, .mode = mode };
	return smp_req(vm, cpu, &s);
}

int64_t smp_fill(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len,
		 uint8_t byte)
{
	struct chan_slot s = { .op = OP_FILL, .mm = mm };

	s.fill = (struct chan_fill){ .addr = addr, .len = len, .byte = byte };
	return smp_req(vm, cpu, &s);
}

int64_t smp_check(struct vm *vm, unsigned cpu, uint32_t mm, uint64_t addr, uint64_t len,
		  uint8_t byte)
{
	struct chan_slot s = { .op = OP_CHECK, .mm = mm };

	s.check = (struct chan_check){ .addr = addr, .len = len, .byte = byte };
	return smp_req(vm, cpu, &s);
}

int64_t smp_inject(struct vm *vm, unsigned cpu, uint32_t mm, uint32_t kind, uint64_t addr)
{
	struct chan_slot s = { .op = OP_INJECT, .mm = mm };

	s.inject = (struct chan_inject){ .kind = kind, .addr = addr };
	return smp_req(vm, cpu, &s);
}

int64_t smp_mm_destroy(struct vm *vm, unsigned cpu, uint32_t mm)
{
	struct chan_slot s = { .op = OP_MM_DESTROY, .mm = mm };

	return smp_req(vm, cpu, &s);
}

struct mm_cpu_tlb smp_tlb(struct vm *vm, unsigned cpu)
{
	struct gmem g = vm_gmem(vm);
	struct mm_cpu_tlb e;

	cr_assert_lt(cpu, MM_CPUS_MAX);
	cr_assert_eq(gmem_read(&g, MM_TABLE_GPA + offsetof(struct mm_table, cpus) +
			       cpu * sizeof(e), &e, sizeof(e)), 0);
	return e;
}

void smp_count_frames(struct vm *vm, uint64_t *user, uint64_t *pgtables, uint32_t *zero_refs)
{
	struct gmem g = vm_gmem(vm);
	struct mm_table t;
	uint64_t n = g.size >> 12;
	struct abi_page *pages = calloc(n, sizeof(*pages));

	cr_assert_not_null(pages);
	cr_assert_eq(gmem_read(&g, MM_TABLE_GPA, &t, sizeof(t)), 0);
	cr_assert_geq(t.pages, DIRECT_MAP_BASE);
	cr_assert_eq(gmem_read(&g, t.pages - DIRECT_MAP_BASE, pages, n * sizeof(*pages)), 0);
	*user = *pgtables = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (pages[i].type == PAGE_T_USER || pages[i].type == PAGE_T_SHMEM)
			(*user)++;
		if (pages[i].type == PAGE_T_PGTABLE)
			(*pgtables)++;
	}
	*zero_refs = pages[t.zero_page >> 12].refcount;
	free(pages);
}
