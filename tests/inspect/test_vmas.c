/*
 * VMA list reader on synthetic guest memory: the maps format, and corrupt
 * lists (cycles, pointers outside RAM or the direct map, misaligned,
 * overlapping, bad vm_prev, endless) that must give an error message.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "tests/inspect/synth.h"
#include "vmm/inspect/vmas.h"

#define UVA 0x100000000000ULL
#define RW  (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

static struct synth S;
static uint32_t MM;
static uint64_t V[3];
static struct vma_list L;
static char err[256];

static void setup(void)
{
	synth_init(&S, 8 << 20);
	MM = synth_mm_new(&S);
	V[1] = synth_vma(&S, MM, UVA + 0x4000, UVA + 0x6000, VM_READ);
	V[0] = synth_vma(&S, MM, UVA, UVA + 0x2000, RW);
	V[2] = synth_vma(&S, MM, UVA + 0x10000, UVA + 0x11000, 0);
	memset(&L, 0, sizeof L);
	err[0] = 0;
}

static void teardown(void)
{
	vma_list_free(&L);
	synth_free(&S);
}

static int rd(void)
{
	return vmas_read(&S.g, synth_mm(&S, MM), &L, err, sizeof err);
}

TestSuite(vmas, .init = setup, .fini = teardown);

Test(vmas, read_and_print)
{
	cr_assert_eq(rd(), 0, "%s", err);
	cr_assert_eq(L.n, 3);
	cr_assert_eq(L.v[0].start, UVA);
	cr_assert_eq(L.v[2].end, UVA + 0x11000);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	vmas_print(f, &L, 0, 0, false);
	vmas_print(f, &L, UVA + 0x5000, UVA + 0x10000, false);   /* only the middle one */
	vmas_print(f, &L, 0, 0, true);
	fclose(f);
	cr_assert_str_eq(buf,
		"100000000000-100000002000 rw-p\n"
		"100000004000-100000006000 r--p\n"
		"100000010000-100000011000 ---p\n"
		"100000004000-100000006000 r--p\n"
		"100000000000-100000002000 rw-p 100000000 0x73 -\n"
		"100000004000-100000006000 r--p 100000004 0x1 -\n"
		"100000010000-100000011000 ---p 100000010 0x0 -\n");
	free(buf);

	struct vma_info small = { .start = 0x10000, .end = 0x11000, .flags = VM_READ | VM_EXEC,
				  .anon_vma = 1 };
	char line[128];
	vma_format(&small, true, line, sizeof line);
	cr_assert_str_eq(line, "00010000-00011000 r-xp 00000000 0x5 anon");
}

Test(vmas, find)
{
	cr_assert_eq(rd(), 0);
	cr_assert_eq(vmas_find(&L, UVA + 0x1fff), &L.v[0]);
	cr_assert_null(vmas_find(&L, UVA + 0x2000));
	cr_assert_eq(vmas_find(&L, UVA + 0x4000), &L.v[1]);
	cr_assert_null(vmas_find(&L, UVA + 0x11000));
	cr_assert_null(vmas_find(&L, 0));
	cr_assert_eq(vmas_lower_bound(&L, UVA + 0x7000), 2);
}

Test(vmas, empty_list)
{
	struct mm_desc d = { .id = 9 };
	cr_assert_eq(vmas_read(&S.g, &d, &L, err, sizeof err), 0);
	cr_assert_eq(L.n, 0);
}

Test(vmas, cycle_back_to_head)
{
	synth_vma_ptr(&S, V[2])->vm_next = V[0];
	cr_assert_eq(rd(), -EINVAL);
	cr_assert(strstr(err, "VMA #3") && strstr(err, "disorder or cycle"), "%s", err);
	cr_assert_eq(L.n, 0);
	cr_assert_null(L.v);
}

Test(vmas, self_cycle)
{
	synth_vma_ptr(&S, V[1])->vm_next = V[1];
	cr_assert_eq(rd(), -EINVAL);
	cr_assert(strstr(err, "VMA #2"), "%s", err);
}

Test(vmas, pointer_outside_ram)
{
	synth_vma_ptr(&S, V[0])->vm_next = DIRECT_MAP_BASE + S.g.size - 8;   /* straddles the end */
	cr_assert_eq(rd(), -EFAULT);
	cr_assert(strstr(err, "VMA #1 pointer 0xffff8880007ffff8"), "%s", err);
	synth_vma_ptr(&S, V[0])->vm_next = UINT64_MAX;
	cr_assert_eq(rd(), -EFAULT);
	synth_vma_ptr(&S, V[0])->vm_next = 0x200000;   /* a GPA, not a direct-map address */
	cr_assert_eq(rd(), -EFAULT);
}

Test(vmas, misaligned_pointer)
{
	synth_vma_ptr(&S, V[0])->vm_next = V[1] + 4;
	cr_assert_eq(rd(), -EFAULT);
	cr_assert(strstr(err, "not an aligned direct-map address"), "%s", err);
}

Test(vmas, head_outside_ram)
{
	synth_mm(&S, MM)->vma_head = DIRECT_MAP_BASE + (1ULL << 40);
	cr_assert_eq(rd(), -EFAULT);
	cr_assert(strstr(err, "VMA #0"), "%s", err);
}

Test(vmas, overlapping)
{
	synth_vma_ptr(&S, V[1])->vm_start = UVA + 0x1000;
	cr_assert_eq(rd(), -EINVAL);
	cr_assert(strstr(err, "overlaps"), "%s", err);
}

Test(vmas, bad_ranges)
{
	synth_vma_ptr(&S, V[1])->vm_end = UVA + 0x4000;   /* empty */
	cr_assert_eq(rd(), -EINVAL);
	cr_assert(strstr(err, "bad range"), "%s", err);
	synth_vma_ptr(&S, V[1])->vm_end = UVA + 0x4800;   /* unaligned */
	cr_assert_eq(rd(), -EINVAL);
	synth_vma_ptr(&S, V[1])->vm_end = UVA + 0x6000;
	synth_vma_ptr(&S, V[2])->vm_end = TASK_SIZE + 0x1000;   /* above TASK_SIZE */
	cr_assert_eq(rd(), -EINVAL);
	synth_vma_ptr(&S, V[2])->vm_end = UVA + 0x11000;
	cr_assert_eq(rd(), 0);
}

Test(vmas, bad_prev)
{
	synth_vma_ptr(&S, V[2])->vm_prev = V[0];
	cr_assert_eq(rd(), -EINVAL);
	cr_assert(strstr(err, "vm_prev"), "%s", err);
	synth_vma_ptr(&S, V[2])->vm_prev = V[1];
	synth_vma_ptr(&S, V[0])->vm_prev = V[2];
	cr_assert_eq(rd(), -EINVAL);
}

/* A well-ordered list longer than any Linux mm may hold is refused. */
Test(vmas, too_long)
{
	struct synth big;
	synth_init(&big, 16 << 20);
	uint32_t id = synth_mm_new(&big);
	struct mm_desc *d = synth_mm(&big, id);
	uint64_t frame = 0, used = 4096, prev = 0;
	for (uint64_t i = 0; i < VMAS_MAX + 1; i++) {
		if (used + sizeof(struct abi_vma) > 4096) {
			frame = synth_alloc(&big, PAGE_T_KERNEL, 1);
			used = 0;
		}
		uint64_t gva = synth_dm(frame + used);
		used += sizeof(struct abi_vma);
		struct abi_vma *v = synth_vma_ptr(&big, gva);
		v->vm_start = 0x10000000ULL + i * 0x2000;
		v->vm_end = v->vm_start + 0x1000;
		v->vm_prev = prev;
		if (prev)
			synth_vma_ptr(&big, prev)->vm_next = gva;
		else
			d->vma_head = gva;
		prev = gva;
	}
	cr_assert_eq(vmas_read(&big.g, d, &L, err, sizeof err), -ELOOP);
	cr_assert(strstr(err, "longer than"), "%s", err);
	synth_free(&big);
}

Test(vmas, mm_table_checks)
{
	struct mm_table t;
	cr_assert_eq(mmtab_read(&S.g, &t, err, sizeof err), 0);
	cr_assert_not_null(mmtab_find(&t, MM));
	cr_assert_null(mmtab_find(&t, 0));
	cr_assert_null(mmtab_find(&t, MM + 1));
	S.tab->version = 7;
	cr_assert_eq(mmtab_read(&S.g, &t, err, sizeof err), -EPROTO);
	cr_assert(strstr(err, "version 7"), "%s", err);
	S.tab->magic = 0;
	cr_assert_eq(mmtab_read(&S.g, &t, err, sizeof err), -EPROTO);
	struct gmem tiny = { .ram = S.g.ram, .size = MM_TABLE_GPA + 100 };
	cr_assert_eq(mmtab_read(&tiny, &t, err, sizeof err), -EFAULT);
}

