/*
 * Page-table walker on synthetic guest memory: levels, 2 MiB leaves,
 * effective permissions, the three dump formats (exact text), filters,
 * translate/describe, and hostile tables (outside RAM, reserved bits,
 * aliasing loops) that must give errors, not crashes or endless walks.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "tests/inspect/synth.h"
#include "vmm/inspect/ptwalk.h"

#define UVA 0x100000000000ULL

static struct synth S;
static uint32_t MM;
static uint64_t PML4;

static void setup(void)
{
	synth_init(&S, 8 << 20);
	MM = synth_mm_new(&S);
	PML4 = synth_mm(&S, MM)->pml4;
}

static void teardown(void)
{
	synth_free(&S);
}

/* Map a 2 MiB leaf at va -> pa with extra bits (P and PS added). */
static void map_2m(uint64_t va, uint64_t pa, uint64_t bits)
{
	*synth_entry(&S, NULL, PML4, va, 2) = pa | bits | PTE_P | PTE_PS;
}

static char *dump(enum ptdump_mode mode, uint64_t start, uint64_t end, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ptdump_opts o = { .mode = mode, .start = start, .end = end };
	int r = ptdump(&S.g, PML4, &o, f);
	fclose(f);
	if (ret)
		*ret = r;
	return buf;
}

TestSuite(ptwalk, .init = setup, .fini = teardown);

Test(ptwalk, translate_4k_and_unmapped)
{
	uint64_t pa = synth_map(&S, MM, UVA + 0x1000, SYN_RW | PTE_A | PTE_D, 0);
	struct ptw_xlate x;

	cr_assert_eq(ptwalk_translate(&S.g, PML4, UVA + 0x1234, &x), 0);
	cr_assert_eq(x.gpa, pa + 0x234);
	cr_assert_eq(x.level, PTW_LEVEL_PTE);
	cr_assert_eq(x.size, 4096);
	cr_assert_eq(x.attrs, PTW_USER | PTW_WRITE | PTW_ACCESSED | PTW_DIRTY);
	cr_assert_eq(ptwalk_translate(&S.g, PML4, UVA, &x), -ENOENT, "same PT, not present");
	cr_assert_eq(ptwalk_translate(&S.g, PML4, UVA + (1ULL << 30), &x), -ENOENT, "no PD");
	cr_assert_eq(ptwalk_translate(&S.g, PML4, 0x0000800000000000ULL, &x), -ENOENT,
		     "non-canonical");
}

Test(ptwalk, translate_2m_leaf)
{
	map_2m(DIRECT_MAP_BASE + PAGE_SIZE_2M, PAGE_SIZE_2M, PTE_W | PTE_G | PTE_NX);
	struct ptw_xlate x;

	cr_assert_eq(ptwalk_translate(&S.g, PML4, DIRECT_MAP_BASE + PAGE_SIZE_2M + 0x12345, &x), 0);
	cr_assert_eq(x.gpa, PAGE_SIZE_2M + 0x12345);
	cr_assert_eq(x.level, PTW_LEVEL_PMD);
	cr_assert_eq(x.size, PAGE_SIZE_2M);
	cr_assert_eq(x.attrs, PTW_WRITE | PTW_NX | PTW_GLOBAL);
}

Test(ptwalk, effective_permissions_and_or)
{
	synth_map(&S, MM, UVA, SYN_RW, 0);
	struct ptw_xlate x;

	/* W cleared at the PDPT entry: not writable although the PTE is. */
	*synth_entry(&S, NULL, PML4, UVA, 3) &= ~PTE_W;
	cr_assert_eq(ptwalk_translate(&S.g, PML4, UVA, &x), 0);
	cr_assert_eq(x.attrs & (PTW_USER | PTW_WRITE | PTW_NX), PTW_USER);
	/* U cleared at the PD entry: supervisor only. */
	*synth_entry(&S, NULL, PML4, UVA, 2) &= ~PTE_U;
	cr_assert_eq(ptwalk_translate(&S.g, PML4, UVA, &x), 0);
	cr_assert_eq(x.attrs & (PTW_USER | PTW_WRITE | PTW_NX), 0);
	/* NX at the PML4 entry only: no-exec although the PTE allows it. */
	*synth_entry(&S, NULL, PML4, UVA, 4) |= PTE_NX;
	cr_assert_eq(ptwalk_translate(&S.g, PML4, UVA, &x), 0);
	cr_assert(x.attrs & PTW_NX);
	cr_assert_eq(x.entry & PTE_NX, 0);
}

Test(ptwalk, merged_exact_text)
{
	for (int i = 0; i < 4; i++)
		synth_map(&S, MM, UVA + 0x1000ULL * i, SYN_RW | PTE_NX | PTE_A | PTE_D, 0);
	synth_map(&S, MM, UVA + 0x4000, SYN_RW | PTE_NX | PTE_A, 0);   /* clean: new run */
	synth_map(&S, MM, UVA + 0x6000, SYN_RO, 0);                    /* after a hole */
	synth_map(&S, MM, UVA + 0x7000, SYN_RO, 1);                    /* zero page, same attrs */
	map_2m(DIRECT_MAP_BASE, 0, PTE_W | PTE_G | PTE_NX | PTE_A | PTE_D);
	map_2m(DIRECT_MAP_BASE + PAGE_SIZE_2M, PAGE_SIZE_2M, PTE_W | PTE_G | PTE_NX | PTE_A | PTE_D);
	map_2m(DIRECT_MAP_BASE + 2 * PAGE_SIZE_2M, 2 * PAGE_SIZE_2M, PTE_G | PTE_NX | PTE_A);

	char *txt = dump(PTDUMP_MERGED, 0, 0, NULL);
	cr_assert_str_eq(txt,
		"0000100000000000-0000100000004000    16K urw- ad- pte\n"
		"0000100000004000-0000100000005000     4K urw- a-- pte\n"
		"0000100000006000-0000100000008000     8K ur-x --- pte\n"
		"ffff888000000000-ffff888000400000     4M srw- adg pmd\n"
		"ffff888000400000-ffff888000600000     2M sr-- a-g pmd\n");
	free(txt);
}

Test(ptwalk, leaves_exact_text)
{
	uint64_t pa = synth_map(&S, MM, UVA, SYN_RW | PTE_NX | PTE_A | PTE_D, 0);
	map_2m(DIRECT_MAP_BASE, 0, PTE_W | PTE_G | PTE_PCD | PTE_PWT);
	char *txt = dump(PTDUMP_LEAVES, 0, 0, NULL);
	char want[256];
	snprintf(want, sizeof want,
		 "0000100000000000: %016llx X--DA--UW\n"
		 "ffff888000000000: 0000000000000000 -GP--CT-W\n", (unsigned long long)pa);
	cr_assert_str_eq(txt, want);
	free(txt);
}

Test(ptwalk, filters)
{
	for (int i = 0; i < 8; i++)
		synth_map(&S, MM, UVA + 0x1000ULL * i, SYN_RW, 0);
	map_2m(DIRECT_MAP_BASE, 0, PTE_W);

	char *txt = dump(PTDUMP_MERGED, UVA + 0x2000, UVA + 0x4000, NULL);
	cr_assert_str_eq(txt, "0000100000002000-0000100000004000     8K urwx --- pte\n");
	free(txt);
	/* A partial overlap still reports the whole leaf. */
	txt = dump(PTDUMP_MERGED, UVA + 0x2fff, UVA + 0x3001, NULL);
	cr_assert_str_eq(txt, "0000100000002000-0000100000004000     8K urwx --- pte\n");
	free(txt);
	txt = dump(PTDUMP_MERGED, 0xffff800000000000ULL, 0, NULL);
	cr_assert_str_eq(txt, "ffff888000000000-ffff888000200000     2M srwx --- pmd\n");
	free(txt);
	txt = dump(PTDUMP_MERGED, 0, 0x0000800000000000ULL, NULL);
	cr_assert_str_eq(txt, "0000100000000000-0000100000008000    32K urwx --- pte\n");
	free(txt);
	int r;
	txt = dump(PTDUMP_MERGED, UVA + 0x4000, UVA + 0x4000, &r);
	cr_assert_eq(r, -EINVAL);
	free(txt);
	/* A filter in the non-canonical hole maps nothing. */
	txt = dump(PTDUMP_LEAVES, 0x0000800000000000ULL, 0xffff800000000000ULL, &r);
	cr_assert_eq(r, 0);
	cr_assert_str_eq(txt, "");
	free(txt);
}

Test(ptwalk, json_shape)
{
	synth_map(&S, MM, UVA, SYN_RW | PTE_A, 0);
	synth_map(&S, MM, UVA + 0x1000, SYN_RW | PTE_A, 0);
	char *txt = dump(PTDUMP_JSON, UVA, UVA + 0x10000, NULL);
	char want[1024];
	snprintf(want, sizeof want,
		 "{\"pml4\":\"0x%llx\",\"start\":\"0x100000000000\",\"end\":\"0x100000010000\","
		 "\"ranges\":[{\"start\":\"0x100000000000\",\"end\":\"0x100000002000\",\"size\":8192,"
		 "\"pages\":2,\"level\":\"pte\",\"user\":true,\"write\":true,\"exec\":true,"
		 "\"accessed\":true,\"dirty\":false,\"global\":false,\"protnone\":false}],\"errors\":[],"
		 "\"errors_dropped\":0,\"truncated\":false,\"complete\":true}\n", (unsigned long long)PML4);
	cr_assert_str_eq(txt, want);
	free(txt);

	txt = dump(PTDUMP_JSON_LEAVES, 0, 0, NULL);
	cr_assert(strstr(txt, "\"leaves\":[{\"va\":\"0x100000000000\",\"pa\":\"0x"));
	cr_assert(strstr(txt, "},{\"va\":\"0x100000001000\""));
	cr_assert(strstr(txt, "\"end\":\"0x10000000000000000\""));
	free(txt);
}

Test(ptwalk, bad_tables_are_errors)
{
	synth_map(&S, MM, UVA, SYN_RW, 0);
	synth_map(&S, MM, UVA + (1ULL << 39), SYN_RW, 0);      /* another PML4 slot */
	/* Point the first PDPT entry outside RAM, and set PS in the other. */
	*synth_entry(&S, NULL, PML4, UVA, 3) = 0x7ff000000000ULL | PTE_P | PTE_W | PTE_U;
	*synth_entry(&S, NULL, PML4, UVA + (1ULL << 39), 3) |= PTE_PS;
	map_2m(DIRECT_MAP_BASE, 0x1000, PTE_W);                 /* reserved bits 13-20 clear... */
	map_2m(DIRECT_MAP_BASE + PAGE_SIZE_2M, 0x4000, PTE_W);  /* ...and set */

	int r;
	char *txt = dump(PTDUMP_MERGED, 0, 0, &r);
	cr_assert_eq(r, 0);
	char want[1024];
	snprintf(want, sizeof want,
		 "bad: va 0000100000000000 pud entry 0x00007ff000000007 at 0x%llx: next table outside RAM\n"
		 "bad: va 0000108000000000 pud entry 0x%016llx at 0x%llx: PS set in a PDPT entry: 1 GiB pages are not supported\n"
		 "ffff888000000000-ffff888000200000     2M srwx --- pmd\n"
		 "bad: va ffff888000200000 pmd entry 0x0000000000004083 at 0x%llx: reserved bits 13-20 set in a 2 MiB PDE\n",
		 (unsigned long long)((uint8_t *)synth_entry(&S, NULL, PML4, UVA, 3) - S.g.ram),
		 (unsigned long long)*synth_entry(&S, NULL, PML4, UVA + (1ULL << 39), 3),
		 (unsigned long long)((uint8_t *)synth_entry(&S, NULL, PML4, UVA + (1ULL << 39), 3) - S.g.ram),
		 (unsigned long long)((uint8_t *)synth_entry(&S, NULL, PML4, DIRECT_MAP_BASE + PAGE_SIZE_2M, 2) - S.g.ram));
	cr_assert_str_eq(txt, want);
	free(txt);

	struct ptw_xlate x;
	cr_assert_eq(ptwalk_translate(&S.g, PML4, UVA, &x), -EFAULT);
	cr_assert_eq(ptwalk_translate(&S.g, PML4, UVA + (1ULL << 39), &x), -EFAULT);
	cr_assert_eq(ptwalk_translate(&S.g, PML4, DIRECT_MAP_BASE + PAGE_SIZE_2M, &x), -EFAULT);
	cr_assert_eq(ptwalk_translate(&S.g, PML4, DIRECT_MAP_BASE + 5, &x), 0);
	cr_assert_eq(x.gpa, 5, "bit 12 of a 2 MiB PDE is PAT, not address");
}

Test(ptwalk, bad_pml4_pointer)
{
	struct ptw_xlate x;
	char *buf = NULL, want[512];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct ptdump_opts o = { .mode = PTDUMP_MERGED };

	cr_assert_eq(ptdump(&S.g, PML4 + 8, &o, f), 0);
	cr_assert_eq(ptdump(&S.g, S.g.size, &o, f), 0);
	cr_assert_eq(ptdump(&S.g, UINT64_MAX & ~0xfffULL, &o, f), 0);
	fclose(f);
	snprintf(want, sizeof want,
		 "bad: pml4 0x%llx: PML4 address misaligned or outside RAM\n"
		 "bad: pml4 0x%llx: PML4 address misaligned or outside RAM\n"
		 "bad: pml4 0xfffffffffffff000: PML4 address misaligned or outside RAM\n",
		 (unsigned long long)PML4 + 8, (unsigned long long)S.g.size);
	cr_assert_str_eq(buf, want);
	free(buf);
	cr_assert_eq(ptwalk_translate(&S.g, PML4 + 8, 0, &x), -EFAULT);
	cr_assert_eq(ptwalk_translate(&S.g, S.g.size, 0, &x), -EFAULT);
}

static int count_leaf(void *ctx, const struct ptw_leaf *l)
{
	(void)l;
	(*(size_t *)ctx)++;
	return 0;
}

/* Every entry of the PML4 points back to the PML4: each level is the same
 * page again, so the tree has 512^3 tables and 512^4 leaves.  The budget
 * stops it. */
Test(ptwalk, self_referencing_tables_are_bounded)
{
	uint64_t *pml4 = (uint64_t *)(void *)(S.g.ram + PML4);
	for (int i = 0; i < 512; i++)
		pml4[i] = PML4 | PTE_P | PTE_W | PTE_U;

	size_t leaves = 0;
	struct ptw_visitor v = { .leaf = count_leaf, .ctx = &leaves };
	cr_assert_eq(ptwalk(&S.g, PML4, 0, UINT64_MAX, &v), -E2BIG);
	uint64_t budget = (S.g.size >> 12) + PTW_TABLE_SLACK;
	cr_assert_leq(leaves, 512 * budget);
	cr_assert_gt(leaves, 0);

	int r;
	char *txt = dump(PTDUMP_MERGED, 0, 0, &r);
	cr_assert_eq(r, -E2BIG);
	cr_assert(strstr(txt, "walk budget exhausted"));
	free(txt);

	struct ptw_xlate x;
	cr_assert_eq(ptwalk_translate(&S.g, PML4, UVA, &x), 0, "one path is fine");
	cr_assert_eq(x.gpa, PML4 + (UVA & 0xfff));
}

Test(ptwalk, describe_levels)
{
	uint64_t pa = synth_map(&S, MM, UVA + 0x3000, SYN_RW | PTE_NX, 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ptwalk_describe(&S.g, PML4, UVA + 0x3008, f);
	ptwalk_describe(&S.g, PML4, UVA + 0x4000, f);
	ptwalk_describe(&S.g, PML4, 0xdead000000000000ULL, f);
	fclose(f);
	cr_assert(strstr(buf, "  pml4e[ 32] at "));
	cr_assert(strstr(buf, "  pdpte[  0] at "));
	cr_assert(strstr(buf, "  pde  [  0] at "));
	cr_assert(strstr(buf, "  pte  [  3] at "));
	char want[128];
	snprintf(want, sizeof want, "  -> gpa 0x%llx, 4K page, effective urw-\n",
		 (unsigned long long)pa + 8);
	cr_assert(strstr(buf, want), "%s", buf);
	cr_assert(strstr(buf, "  -> not present at the pte\n"));
	cr_assert(strstr(buf, "  -> not canonical\n"));
	free(buf);
}

Test(ptwalk, protnone_leaves)
{
	synth_map(&S, MM, UVA, SYN_RW, 0);
	uint64_t pa = synth_map(&S, MM, UVA + 0x1000, SYN_RW, 0);
	synth_map(&S, MM, UVA + 0x2000, SYN_RW, 0);
	/* mprotect(PROT_NONE) as Linux does it: P clear, PROTNONE set, A kept. */
	*synth_entry(&S, NULL, PML4, UVA + 0x1000, 1) = pa | PTE_PROTNONE | PTE_A;

	char *txt = dump(PTDUMP_MERGED, 0, 0, NULL);
	cr_assert_str_eq(txt,
		"0000100000000000-0000100000001000     4K urwx --- pte\n"
		"0000100000001000-0000100000002000     4K n--- a-- pte\n"
		"0000100000002000-0000100000003000     4K urwx --- pte\n");
	free(txt);
	txt = dump(PTDUMP_LEAVES, UVA + 0x1000, UVA + 0x2000, NULL);
	char want[128];
	snprintf(want, sizeof want, "0000100000001000: %016llx X---A---- protnone\n",
		 (unsigned long long)pa);
	cr_assert_str_eq(txt, want);
	free(txt);

	struct ptw_xlate x;
	cr_assert_eq(ptwalk_translate(&S.g, PML4, UVA + 0x1000, &x), -ENOENT, "the CPU faults");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ptwalk_describe(&S.g, PML4, UVA + 0x1000, f);
	fclose(f);
	snprintf(want, sizeof want, "  -> not present: PROT_NONE entry holding frame 0x%llx\n",
		 (unsigned long long)pa);
	cr_assert(strstr(buf, want), "%s", buf);
	free(buf);

	/* Without the visitor flag the walk shows only what the CPU sees. */
	size_t n = 0;
	struct ptw_visitor v = { .leaf = count_leaf, .ctx = &n };
	cr_assert_eq(ptwalk(&S.g, PML4, 0, UINT64_MAX, &v), 0);
	cr_assert_eq(n, 2);
}

Test(ptwalk, format_size)
{
	char b[24];
	ptw_format_size(4096, b, sizeof b);
	cr_assert_str_eq(b, "4K");
	ptw_format_size(0x600000, b, sizeof b);
	cr_assert_str_eq(b, "6M");
	ptw_format_size(1ULL << 30, b, sizeof b);
	cr_assert_str_eq(b, "1G");
	ptw_format_size(0x401000, b, sizeof b);
	cr_assert_str_eq(b, "4100K");
	ptw_format_size(1ULL << 47, b, sizeof b);
	cr_assert_str_eq(b, "128T");
}

/*
 * Each table is read once: a guest that clears an entry while the walk is
 * on (here: the leaf callback clears the leaf it was shown) does not make
 * the table's `used` count disagree with what the walk reported.
 */
struct racing {
	unsigned leaves;
	unsigned pt_used, pt_tables;
};

static int racing_leaf(void *ctx, const struct ptw_leaf *l)
{
	struct racing *r = ctx;

	r->leaves++;
	*(uint64_t *)(void *)(S.g.ram + l->entry_gpa) = 0;   /* the guest unmaps it */
	return 0;
}

static int racing_table(void *ctx, const struct ptw_table *t)
{
	struct racing *r = ctx;

	if (t->level == 1) {
		r->pt_tables++;
		r->pt_used = t->used;
	}
	return 0;
}

Test(ptwalk, a_table_is_read_once)
{
	struct racing r = { 0 };
	struct ptw_visitor v = { .leaf = racing_leaf, .table = racing_table, .ctx = &r };

	synth_map(&S, MM, UVA, SYN_RW, 0);
	synth_map(&S, MM, UVA + 0x3000, SYN_RW, 0);
	cr_assert_eq(ptwalk(&S.g, PML4, UVA, UVA + 0x1fff, &v), 0);
	cr_assert_eq(r.leaves, 1, "the filter shows one leaf");
	cr_assert_eq(r.pt_tables, 1);
	cr_assert_eq(r.pt_used, 2, "used counts the entries as read for the walk: %u", r.pt_used);
}
