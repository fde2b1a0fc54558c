/*
 * The invariant checker on synthetic guest memory: a clean state passes,
 * and each rule is caught by a crafted violation that breaks only it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "tests/inspect/synth.h"
#include "vmm/inspect/check.h"
#include "vmm/inspect/ptwalk.h"

#define UVA 0x100000000000ULL
#define RW  (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE)

static struct synth S;
static uint32_t MM, MM2;
static struct check_report R;
static uint64_t FRAME0;    /* user frame mapped at UVA */

/*
 * mm 1: [UVA, +16K) rw- with 3 user pages and the zero page (read-only) at
 *       +0x3000; [UVA+64K, +8K) r-- with the zero page at +64K; [UVA+128K,
 *       +4K) PROT_NONE, empty.
 * mm 2: [UVA, +4K) rw- with one page.
 */
static void setup(void)
{
	synth_init(&S, 8 << 20);
	MM = synth_mm_new(&S);
	MM2 = synth_mm_new(&S);
	synth_vma(&S, MM, UVA, UVA + 0x4000, RW);
	synth_vma(&S, MM, UVA + 0x10000, UVA + 0x12000, VM_READ | VM_MAYREAD);
	synth_vma(&S, MM, UVA + 0x20000, UVA + 0x21000, 0);
	FRAME0 = synth_map(&S, MM, UVA, SYN_RW | SYN_NX, 0);
	synth_map(&S, MM, UVA + 0x1000, SYN_RW | SYN_NX, 0);
	synth_map(&S, MM, UVA + 0x2000, SYN_RW | SYN_NX, 0);
	synth_map(&S, MM, UVA + 0x3000, SYN_RO | SYN_NX, 1);
	synth_map(&S, MM, UVA + 0x10000, SYN_RO | SYN_NX, 1);
	synth_vma(&S, MM2, UVA, UVA + 0x1000, RW);
	synth_map(&S, MM2, UVA, SYN_RW | SYN_NX, 0);
	memset(&R, 0, sizeof R);
}

static void teardown(void)
{
	check_report_free(&R);
	synth_free(&S);
}

static long run(void)
{
	struct snap_opts o = { .walk = true, .pages = true, .timeout_ms = 100 };
	struct snapshot s;
	char err[256];
	check_report_free(&R);
	cr_assert_eq(snapshot_take(&S.g, &o, &s, err, sizeof err), 0, "%s", err);
	long n = check_snapshot(&s, &R);
	snapshot_free(&s);
	return n;
}

static char *report_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	check_report_print(f, &R);
	fclose(f);
	return buf;
}

/* Exactly `count` violations, all of rule. */
static void expect_only(const char *rule, long count)
{
	long n = run();
	char *txt = report_text();
	cr_assert_eq(n, count, "expected %ld x %s, got:\n%s", count, rule, txt);
	for (size_t i = 0; i < R.n; i++)
		cr_assert_str_eq(R.v[i].rule, rule, "got:\n%s", txt);
	free(txt);
}

static bool has_rule(const char *rule)
{
	for (size_t i = 0; i < R.n; i++)
		if (strcmp(R.v[i].rule, rule) == 0)
			return true;
	return false;
}

static uint64_t *pte(uint32_t mm, uint64_t va)
{
	return synth_entry(&S, NULL, synth_mm(&S, mm)->pml4, va, 1);
}

TestSuite(check, .init = setup, .fini = teardown);

Test(check, clean_state_passes)
{
	long n = run();
	char *txt = report_text();
	cr_assert_eq(n, 0, "%s", txt);
	free(txt);
	cr_assert_eq(R.mms, 2);
	cr_assert_eq(R.vmas, 4);
	cr_assert_eq(R.leaves, 6);
	cr_assert_eq(R.tables, 6);
}

Test(check, needs_a_full_snapshot)
{
	struct snap_opts o = { .mm = MM, .walk = true, .pages = true };
	struct snapshot s;
	char err[256];
	cr_assert_eq(snapshot_take(&S.g, &o, &s, err, sizeof err), 0);
	cr_assert_eq(check_snapshot(&s, &R), -EINVAL);
	snapshot_free(&s);
}

Test(check, stray_pte_outside_vma)
{
	synth_map(&S, MM, UVA + 0x8000, SYN_RW, 0);
	expect_only("pte-outside-vma", 1);
	cr_assert_eq(R.v[0].mm, MM);
	cr_assert_eq(R.v[0].va, UVA + 0x8000);
	cr_assert_eq(R.v[0].pte, *pte(MM, UVA + 0x8000));
}

Test(check, writable_pte_in_readonly_vma)
{
	synth_map(&S, MM, UVA + 0x11000, SYN_RW, 0);
	expect_only("pte-write", 1);
	cr_assert(strstr(R.v[0].msg, "without VM_WRITE"));
}

Test(check, readonly_pte_in_readonly_vma_is_fine)
{
	synth_map(&S, MM, UVA + 0x11000, SYN_RO, 0);
	cr_assert_eq(run(), 0);
}

Test(check, present_pte_in_prot_none_vma)
{
	synth_map(&S, MM, UVA + 0x20000, SYN_RO, 0);
	expect_only("pte-prot-none", 1);
}

Test(check, protnone_pte_in_prot_none_vma_is_fine)
{
	/* Touched, then mprotect(PROT_NONE): the frame stays mapped. */
	uint64_t pa = synth_map(&S, MM, UVA + 0x20000, SYN_RW, 0);
	*pte(MM, UVA + 0x20000) = pa | PTE_PROTNONE | PTE_A;
	cr_assert_eq(run(), 0, "refcount and rss count it, the VMA allows it");
	*pte(MM, UVA + 0x20000) = 0;   /* the frame is now leaked */
	cr_assert_eq(run(), 2);
	cr_assert(has_rule("mm-counter") && has_rule("frame-leak"));
}

Test(check, protnone_pte_outside_vma)
{
	uint64_t pa = synth_map(&S, MM, UVA + 0x30000, SYN_RW, 0);
	*pte(MM, UVA + 0x30000) = pa | PTE_PROTNONE;
	expect_only("pte-outside-vma", 1);
}

Test(check, writable_zero_page)
{
	*pte(MM, UVA + 0x3000) |= PTE_W;
	expect_only("zero-writable", 1);
	cr_assert_eq(R.v[0].va, UVA + 0x3000);
}

Test(check, supervisor_pte_in_user_half)
{
	*pte(MM, UVA + 0x1000) &= ~PTE_U;
	expect_only("pte-not-user", 1);
}

Test(check, empty_table_in_gap)
{
	/* A PT (and its PD) for an address 1 GiB away from every VMA. */
	synth_entry(&S, synth_mm(&S, MM), synth_mm(&S, MM)->pml4, UVA + (1ULL << 30), 1);
	expect_only("pgtable-empty-gap", 1);
	cr_assert_eq(R.v[0].va, UVA + (1ULL << 30));
	cr_assert(strstr(R.v[0].msg, "empty PT page"), "%s", R.v[0].msg);
}

Test(check, empty_upper_table_in_gap)
{
	/* An empty PD: its PDPT entry exists but nothing below it. */
	uint64_t *e = synth_entry(&S, synth_mm(&S, MM), synth_mm(&S, MM)->pml4, UVA + (1ULL << 30), 2);
	(void)e;   /* the PD was created; the PD entry stays empty */
	expect_only("pgtable-empty-gap", 1);
	cr_assert(strstr(R.v[0].msg, "empty PD page"), "%s", R.v[0].msg);
}

Test(check, empty_table_touching_a_vma_is_allowed)
{
	struct mm_desc *d = synth_mm(&S, MM);
	/* A VMA straddling two PTs; both PTs exist, both empty. */
	synth_vma(&S, MM, UVA + 0x3ff000, UVA + 0x401000, RW);
	synth_entry(&S, d, d->pml4, UVA + 0x3ff000, 1);
	synth_entry(&S, d, d->pml4, UVA + 0x400000, 1);
	cr_assert_eq(run(), 0);
	/* Unmapping all pages of a PT whose span still holds VMAs: kept. */
	struct synth *s = &S;
	for (uint64_t va = UVA; va < UVA + 0x4000; va += 0x1000) {
		uint64_t *e = pte(MM, va);
		uint64_t pa = *e & PTE_ADDR_MASK;
		if (pa == s->tab->zero_page) {
			s->pages[pa >> 12].refcount--;
			d->zero_ptes--;
		} else {
			synth_release(s, pa);
			d->rss_pages--;
		}
		*e = 0;
	}
	*pte(MM, UVA + 0x10000) = 0;
	s->pages[s->tab->zero_page >> 12].refcount--;
	d->zero_ptes--;
	cr_assert_eq(run(), 0);
}

Test(check, pte_to_kernel_frame)
{
	uint64_t k = synth_alloc(&S, PAGE_T_KERNEL, 1);
	/* Free the user frame at +0x2000 and point its PTE at the kernel frame. */
	synth_release(&S, *pte(MM, UVA + 0x2000) & PTE_ADDR_MASK);
	*pte(MM, UVA + 0x2000) = k | SYN_RW;
	expect_only("frame-type", 1);
	cr_assert(strstr(R.v[0].msg, "of type kernel"), "%s", R.v[0].msg);
}

Test(check, pte_to_free_frame)
{
	uint64_t f = *pte(MM, UVA + 0x1000) & PTE_ADDR_MASK;
	synth_release(&S, f);
	long n = run();
	cr_assert_geq(n, 1);
	cr_assert(has_rule("frame-type"));
}

Test(check, pte_outside_ram)
{
	synth_vma(&S, MM, UVA + 0x4000, UVA + 0x5000, RW);
	*synth_entry(&S, NULL, synth_mm(&S, MM)->pml4, UVA + 0x4000, 1) = (1ULL << 40) | SYN_RW;
	expect_only("frame-outside-ram", 1);
}

Test(check, user_refcount)
{
	S.pages[FRAME0 >> 12].refcount = 2;
	expect_only("frame-refcount", 1);
	cr_assert(strstr(R.v[0].msg, "refcount 2 but 1 PTEs"), "%s", R.v[0].msg);
}

Test(check, shared_frame_refcount_across_mms)
{
	/* mm 2 maps mm 1's frame too (read-only in both, as after fork):
	 * refcount 2 is right, 1 is not. */
	struct mm_desc *d2 = synth_mm(&S, MM2);
	synth_vma(&S, MM2, UVA + 0x1000, UVA + 0x2000, RW);
	*pte(MM2, UVA + 0x1000) = FRAME0 | SYN_RO;
	*pte(MM, UVA) = FRAME0 | SYN_RO | SYN_NX;
	d2->rss_pages++;
	expect_only("frame-refcount", 1);
	S.pages[FRAME0 >> 12].refcount = 2;
	cr_assert_eq(run(), 0);
}

Test(check, broken_refcount_after_fork)
{
	/* Two mms share FRAME0 copy-on-write; one reference too many (what
	 * OP_INJECT INJECT_REFCOUNT does in the guest) is caught. */
	struct mm_desc *d2 = synth_mm(&S, MM2);
	synth_vma(&S, MM2, UVA + 0x1000, UVA + 0x2000, RW);
	*pte(MM2, UVA + 0x1000) = FRAME0 | SYN_RO;
	*pte(MM, UVA) = FRAME0 | SYN_RO | SYN_NX;
	d2->rss_pages++;
	S.pages[FRAME0 >> 12].refcount = 3;
	expect_only("frame-refcount", 1);
	cr_assert(strstr(R.v[0].msg, "refcount 3 but 2 PTEs"), "%s", R.v[0].msg);
}

Test(check, cow_shared_page_writable)
{
	/* FRAME0 shared by two mms but still writable in mm 1: a write there
	 * would change mm 2's data. */
	struct mm_desc *d2 = synth_mm(&S, MM2);
	synth_vma(&S, MM2, UVA + 0x1000, UVA + 0x2000, RW);
	*pte(MM2, UVA + 0x1000) = FRAME0 | SYN_RO;
	d2->rss_pages++;
	S.pages[FRAME0 >> 12].refcount = 2;
	expect_only("cow-writable", 1);
}

Test(check, shmem_frame_holds_one_reference_for_its_object)
{
	S.pages[FRAME0 >> 12].type = PAGE_T_SHMEM;
	expect_only("frame-refcount", 1);           /* refcount 1: the object's is missing */
	S.pages[FRAME0 >> 12].refcount = 2;
	cr_assert_eq(run(), 0, "%s", report_text());
}

Test(check, leaked_user_frame)
{
	synth_alloc(&S, PAGE_T_USER, 1);
	expect_only("frame-leak", 1);
}

Test(check, zero_page_refcount)
{
	S.pages[S.tab->zero_page >> 12].refcount++;
	expect_only("zero-refcount", 1);
}

Test(check, second_zero_frame)
{
	synth_alloc(&S, PAGE_T_ZERO, 0);
	expect_only("zero-page", 1);
}

Test(check, bad_zero_page_pointer)
{
	S.tab->zero_page += 8;
	long n = run();
	cr_assert_geq(n, 1);
	cr_assert(has_rule("zero-page"));
}

Test(check, free_frame_with_refcount)
{
	uint64_t f = synth_alloc(&S, PAGE_T_USER, 0);
	synth_release(&S, f);
	S.pages[f >> 12].refcount = 1;
	expect_only("free-refcount", 1);
}

Test(check, frames_free_counter)
{
	S.tab->frames_free++;
	expect_only("frames-free", 1);
}

Test(check, frames_total_counter)
{
	S.tab->frames_total--;
	expect_only("frames-total", 1);
}

Test(check, frames_zero_counter)
{
	S.tab->frames_zero = S.tab->frames_free + 1;
	expect_only("frames-zero", 1);
}

Test(check, unknown_frame_type)
{
	uint64_t f = synth_alloc(&S, 77, 1);
	(void)f;
	long n = run();
	cr_assert(has_rule("frame-type"));
	cr_assert(has_rule("frames-total"));
	cr_assert_eq(n, 2);
}

Test(check, mm_counters)
{
	struct mm_desc *d = synth_mm(&S, MM);
	d->rss_pages++;
	d->zero_ptes--;
	d->pt_pages += 2;
	expect_only("mm-counter", 3);
	cr_assert(strstr(R.v[0].msg, "rss_pages 4 but the walk finds 3"), "%s", R.v[0].msg);
	cr_assert(strstr(R.v[1].msg, "zero_ptes 1 but the walk finds 2"), "%s", R.v[1].msg);
	cr_assert(strstr(R.v[2].msg, "pt_pages 5 but the walk finds 3"), "%s", R.v[2].msg);
}

Test(check, map_count)
{
	synth_mm(&S, MM2)->map_count = 5;
	expect_only("map-count", 1);
	cr_assert_eq(R.v[0].mm, MM2);
}

Test(check, pgtable_type)
{
	uint64_t pt = *synth_entry(&S, NULL, synth_mm(&S, MM)->pml4, UVA, 2) & PTE_ADDR_MASK;
	S.pages[pt >> 12].type = PAGE_T_KERNEL;
	expect_only("pgtable-type", 1);
}

Test(check, pgtable_shared)
{
	/* mm 2's PD entry points at mm 1's PT: the PT is used twice. */
	uint64_t *pd1 = synth_entry(&S, NULL, synth_mm(&S, MM)->pml4, UVA, 2);
	uint64_t *pd2 = synth_entry(&S, NULL, synth_mm(&S, MM2)->pml4, UVA, 2);
	uint64_t old = *pd2 & PTE_ADDR_MASK;
	synth_release(&S, *(uint64_t *)(void *)(S.g.ram + old) & PTE_ADDR_MASK);   /* mm 2's page */
	synth_release(&S, old);
	*pd2 = *pd1;
	run();
	cr_assert(has_rule("pgtable-shared"));
}

Test(check, bad_table_pointer)
{
	*synth_entry(&S, NULL, synth_mm(&S, MM)->pml4, UVA + (1ULL << 30), 2) =
		0xfff000000000ULL | PTE_P | PTE_W | PTE_U;
	synth_mm(&S, MM)->pt_pages++;   /* the PD created on the way */
	long n = run();
	cr_assert(has_rule("walk"));
	cr_assert_eq(n, 1, "counters are not compared after a walk error");
}

Test(check, corrupt_vma_list)
{
	struct mm_desc *d = synth_mm(&S, MM);
	synth_vma_ptr(&S, d->vma_head)->vm_next = d->vma_head;
	expect_only("vma-list", 1);
	cr_assert(strstr(R.v[0].msg, "disorder or cycle"), "%s", R.v[0].msg);
}

Test(check, duplicate_mm_ids)
{
	synth_mm(&S, MM2)->id = MM;
	long n = run();
	cr_assert(has_rule("mm-table"));
	cr_assert_geq(n, 1);
}

Test(check, bad_pages_pointer)
{
	S.tab->pages = DIRECT_MAP_BASE + S.g.size - 8;
	expect_only("mm-table", 1);
}

Test(check, report_format_and_cap)
{
	/* More stray PTEs than the report keeps (read-only: a frame mapped
	 * more than once must be, or cow-writable would count too). */
	struct mm_desc *d = synth_mm(&S, MM);
	*pte(MM, UVA) = FRAME0 | SYN_RO | SYN_NX;
	for (unsigned i = 0; i < CHECK_MAX_KEPT + 5; i++) {
		*synth_entry(&S, d, d->pml4, UVA + 0x100000 + 0x1000ULL * i, 1) = FRAME0 | SYN_RO;
	}
	S.pages[FRAME0 >> 12].refcount += CHECK_MAX_KEPT + 5;
	d->rss_pages += CHECK_MAX_KEPT + 5;
	long n = run();
	cr_assert_eq(n, CHECK_MAX_KEPT + 5);
	cr_assert_eq(R.n, CHECK_MAX_KEPT);
	char *txt = report_text();
	char want[256];
	snprintf(want, sizeof want, "violation: pte-outside-vma mm=%u va=0x100000100000 pte=0x%llx: "
		 "present PTE (frame 0x%llx) at 0x100000100000 outside every VMA\n", MM,
		 (unsigned long long)(FRAME0 | SYN_RO), (unsigned long long)FRAME0);
	cr_assert(strncmp(txt, want, strlen(want)) == 0, "%s", txt);
	cr_assert(strstr(txt, "\n... and 5 more\n"));
	free(txt);
}
