/*
 * The per-process counters (`mm list`, `stats`) and the sharing marks of
 * the page-table dumps on synthetic guest memory after a "fork": exact
 * lines, JSON members, and what each shows when the guest's word (a
 * refcount, rss_pages, a parent) disagrees with the host's own walk.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/pte.h"
#include "tests/inspect/icmd_run.h"
#include "tests/inspect/synth.h"
#include "vmm/inspect/mmstats.h"
#include "vmm/inspect/share.h"
#include "vmm/inspect/vmas.h"
#include "vmm/script/cmd.h"

#define UVA 0x100000000000ULL
#define RW  (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE)
#define RO_PTE (SYN_RO | SYN_NX | PTE_A | PTE_D)

static struct synth S;
static uint32_t PARENT, CHILD;
static uint64_t SHARED_PA, OWN_PA;
static char *OUT;
static char ERR[256];

/*
 * The parent maps UVA (written before the fork: now read-only in both and
 * mapped twice), UVA + 0x1000 (its own: written after the fork) and the
 * zero page at UVA + 0x2000; the child, forked from it, maps UVA (the same
 * frame) and the zero page at UVA + 0x2000.
 */
static void setup(void)
{
	struct mm_desc *c;

	synth_init(&S, 8 << 20);
	PARENT = synth_mm_new(&S);
	CHILD = synth_mm_new(&S);
	synth_vma(&S, PARENT, UVA, UVA + 0x3000, RW);
	synth_vma(&S, CHILD, UVA, UVA + 0x3000, RW);
	SHARED_PA = synth_map(&S, PARENT, UVA, RO_PTE, 0);
	OWN_PA = synth_map(&S, PARENT, UVA + 0x1000, SYN_RW | SYN_NX | PTE_A | PTE_D, 0);
	synth_map(&S, PARENT, UVA + 0x2000, SYN_RO | SYN_NX | PTE_A, 1);
	c = synth_mm(&S, CHILD);
	c->parent = PARENT;
	*synth_entry(&S, c, c->pml4, UVA, 1) = SHARED_PA | RO_PTE;
	S.pages[SHARED_PA >> 12].refcount++;
	c->rss_pages++;
	synth_map(&S, CHILD, UVA + 0x2000, SYN_RO | SYN_NX | PTE_A, 1);
	OUT = NULL;
	ERR[0] = 0;
}

static void teardown(void)
{
	free(OUT);
	synth_free(&S);
}

TestSuite(share, .init = setup, .fini = teardown);

static int run(uint32_t mm, const char *line)
{
	free(OUT);
	OUT = NULL;
	return icmd_run_line(&S.g, mm, line, &OUT, ERR, sizeof ERR);
}

/* The line of OUT that starts with prefix (static copy), or "". */
static const char *line_of(const char *prefix)
{
	static char line[512];
	const char *p = OUT;

	line[0] = 0;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (strncmp(p, prefix, strlen(prefix)) == 0 && n < sizeof line) {
			memcpy(line, p, n);
			line[n] = 0;
			return line;
		}
		p = nl ? nl + 1 : NULL;
	}
	return line;
}

Test(share, counts)
{
	struct mm_table t;
	struct frame_share fs;
	struct mm_counts c;
	char err[128];

	cr_assert_eq(mmtab_read(&S.g, &t, err, sizeof err), 0, "%s", err);
	cr_assert_eq(frame_share_count(&S.g, &t, &fs), 0);
	cr_assert(fs.complete);
	cr_assert_eq(fs.maps[SHARED_PA >> 12], 2);
	cr_assert_eq(fs.maps[OWN_PA >> 12], 1);
	cr_assert_eq(fs.maps[t.zero_page >> 12], 2);
	cr_assert_eq(frame_share_class(&fs, UVA, SHARED_PA, 4096), FRAME_SHARED);
	cr_assert_eq(frame_share_class(&fs, UVA + 0x1000, OWN_PA, 4096), FRAME_EXCLUSIVE);
	cr_assert_eq(frame_share_class(&fs, UVA + 0x2000, t.zero_page, 4096), FRAME_ZERO);
	cr_assert_eq(frame_share_class(&fs, 0xffff888000000000ULL, OWN_PA, 4096), FRAME_NOT_USER,
		     "the direct map is not a user mapping");
	cr_assert_eq(frame_share_class(&fs, UVA, S.g.size, 4096), FRAME_NOT_USER);
	mm_counts_get(&S.g, &t, &fs, mmtab_find(&t, CHILD), &c);
	cr_assert_eq(c.walk.rss, 1);
	cr_assert_eq(c.walk.shared, 1);
	cr_assert_eq(c.walk.zero_ptes, 1);
	cr_assert_eq(c.walk.refcount_bad, 0);
	cr_assert(c.parent_live && c.walk_complete);
	mm_counts_get(&S.g, &t, &fs, mmtab_find(&t, PARENT), &c);
	cr_assert_eq(c.walk.rss, 2);
	cr_assert_eq(c.walk.shared, 1);
	cr_assert(!c.parent_live);
	frame_share_free(&fs);
}

Test(share, mm_list_text_and_json)
{
	char want[512];

	cr_assert_eq(run(CHILD, "mm list"), SCEN_CMD_OK, "%s", ERR);
	snprintf(want, sizeof want, "mm list:\n"
		 "mm %u parent=0 pml4=0x%llx vmas=1 rss_pages=2 shared_pages=1 zero_ptes=1 pt_pages=3\n"
		 "mm %u parent=%u pml4=0x%llx vmas=1 rss_pages=1 shared_pages=1 zero_ptes=1 "
		 "pt_pages=3 *\n", PARENT, (unsigned long long)synth_mm(&S, PARENT)->pml4, CHILD,
		 PARENT, (unsigned long long)synth_mm(&S, CHILD)->pml4);
	cr_assert_str_eq(OUT, want);
	cr_assert_eq(run(CHILD, "mm list json"), SCEN_CMD_OK, "%s", ERR);
	snprintf(want, sizeof want, "{\"id\":%u,\"pml4\":\"0x%llx\",\"parent\":%u,\"parent_live\":true,"
		 "\"vmas\":1,\"rss_pages\":1,\"shared_pages\":1,\"zero_ptes\":1,\"pt_pages\":3,"
		 "\"walk_rss_pages\":1,\"refcount_mismatch\":0,\"walk_complete\":true,"
		 "\"current\":true}]}\n", CHILD, (unsigned long long)synth_mm(&S, CHILD)->pml4, PARENT);
	cr_assert(strstr(OUT, want), "%s", OUT);
	cr_assert(strstr(OUT, "\"parent\":0,\"parent_live\":false,\"vmas\":1,\"rss_pages\":2,"
			 "\"shared_pages\":1,"), "%s", OUT);
}

Test(share, stats_text_and_json)
{
	char want[512];

	cr_assert_eq(run(PARENT, "stats"), SCEN_CMD_OK, "%s", ERR);
	snprintf(want, sizeof want, "stats -> mm=%u parent=0 vmas=1 rss_pages=2 shared_pages=1 "
		 "zero_ptes=1 pt_pages=3 frames_total=%llu frames_free=%llu frames_zero=0 "
		 "requests=0\n", PARENT, (unsigned long long)S.tab->frames_total,
		 (unsigned long long)S.tab->frames_free);
	cr_assert_str_eq(OUT, want);
	cr_assert_eq(run(CHILD, "stats json"), SCEN_CMD_OK, "%s", ERR);
	snprintf(want, sizeof want, "{\"mm\":%u,\"parent\":%u,\"parent_live\":true,\"vmas\":1,"
		 "\"rss_pages\":1,\"shared_pages\":1,\"zero_ptes\":1,\"pt_pages\":3,"
		 "\"walk_rss_pages\":1,\"refcount_mismatch\":0,\"walk_complete\":true,"
		 "\"frames_total\":", CHILD, PARENT);
	cr_assert(strncmp(OUT, want, strlen(want)) == 0, "%s", OUT);
}

Test(share, the_guests_word_is_checked)
{
	S.pages[SHARED_PA >> 12].refcount = 3;
	synth_mm(&S, PARENT)->rss_pages = 5;
	synth_mm(&S, CHILD)->parent = 77;
	cr_assert_eq(run(CHILD, "mm list"), SCEN_CMD_OK, "%s", ERR);
	cr_assert(strstr(line_of("mm 1 "), " rss_pages=5 shared_pages=1 zero_ptes=1 pt_pages=3 "
			 "!walk_rss_pages=2 !refcount_mismatch=1"), "%s", OUT);
	cr_assert(strstr(line_of("mm 2 "), "mm 2 parent=77(exited) "), "%s", OUT);
	cr_assert(strstr(line_of("mm 2 "), " !refcount_mismatch=1 *"), "%s", OUT);
	cr_assert_eq(run(CHILD, "ptdump leaves 0 0x800000000000"), SCEN_CMD_OK, "%s", ERR);
	cr_assert(strstr(OUT, " shared refcount=3 maps=2\n"), "%s", OUT);
	cr_assert_eq(run(CHILD, "ptdump 0 0x800000000000"), SCEN_CMD_OK, "%s", ERR);
	cr_assert(strstr(OUT, " pte shared refcount-mismatch\n"), "%s", OUT);
	/* The page array out of reach: nothing agrees, nothing breaks. */
	S.tab->pages = 12345;
	cr_assert_eq(run(CHILD, "ptdump json-leaves 0 0x800000000000"), SCEN_CMD_OK, "%s", ERR);
	cr_assert(strstr(OUT, "\"sharing\":\"shared\",\"refcount_ok\":false,\"maps\":2,"
			 "\"refcount\":null}"), "%s", OUT);
}

Test(share, ptdump_marks_shared_not_exclusive)
{
	char want[128];

	cr_assert_eq(run(CHILD, "ptdump leaves 0 0x800000000000"), SCEN_CMD_OK, "%s", ERR);
	snprintf(want, sizeof want, "0000100000000000: %016llx X--DA--U- shared\n",
		 (unsigned long long)SHARED_PA);
	cr_assert(strstr(OUT, want), "%s", OUT);
	cr_assert_eq(run(PARENT, "ptdump leaves 0 0x800000000000"), SCEN_CMD_OK, "%s", ERR);
	cr_assert(strstr(OUT, want), "%s", OUT);
	snprintf(want, sizeof want, "0000100000001000: %016llx X--DA--UW\n",
		 (unsigned long long)OWN_PA);
	cr_assert(strstr(OUT, want), "the exclusive page has no mark: %s", OUT);
	cr_assert(strstr(OUT, "0000100000002000: "), "%s", OUT);
	cr_assert(strstr(line_of("0000100000002000: "), " zero"), "%s", OUT);

	cr_assert_eq(run(PARENT, "ptdump merged 0 0x800000000000"), SCEN_CMD_OK, "%s", ERR);
	cr_assert_str_eq(OUT, "ptdump merged 0x0 0x800000000000:\n"
			 "0000100000000000-0000100000001000     4K ur-- ad- pte shared\n"
			 "0000100000001000-0000100000002000     4K urw- ad- pte\n"
			 "0000100000002000-0000100000003000     4K ur-- a-- pte zero\n");

	cr_assert_eq(run(PARENT, "ptdump json 0 0x800000000000"), SCEN_CMD_OK, "%s", ERR);
	cr_assert(strstr(OUT, "\"protnone\":false,\"sharing\":\"shared\",\"refcount_ok\":true}"),
		  "%s", OUT);
	cr_assert(strstr(OUT, "\"protnone\":false,\"sharing\":\"exclusive\",\"refcount_ok\":true}"),
		  "%s", OUT);
	cr_assert_eq(run(PARENT, "ptdump json-leaves 0 0x800000000000"), SCEN_CMD_OK, "%s", ERR);
	cr_assert(strstr(OUT, "\"sharing\":\"shared\",\"refcount_ok\":true,\"maps\":2,"
			 "\"refcount\":2}"), "%s", OUT);
	cr_assert(strstr(OUT, "\"sharing\":\"exclusive\",\"refcount_ok\":true,\"maps\":1,"
			 "\"refcount\":1}"), "%s", OUT);

	/* Linux's format stays Linux's: no marks. */
	cr_assert_eq(run(PARENT, "ptdump linux 0 0x800000000000"), SCEN_CMD_OK, "%s", ERR);
	cr_assert_null(strstr(OUT, "shared"), "%s", OUT);
}

Test(share, kernel_half_is_not_marked)
{
	uint64_t pml4 = synth_mm(&S, PARENT)->pml4;

	/* The direct map maps the shared frame too: not a user mapping. */
	*synth_entry(&S, NULL, pml4, 0xffff888000000000ULL + SHARED_PA, 1) =
		SHARED_PA | PTE_P | PTE_W;
	cr_assert_eq(run(PARENT, "ptdump leaves"), SCEN_CMD_OK, "%s", ERR);
	cr_assert_neq(line_of("ffff888")[0], 0, "%s", OUT);
	cr_assert_null(strstr(line_of("ffff888"), "shared"), "%s", OUT);
	cr_assert_eq(run(PARENT, "mm list"), SCEN_CMD_OK, "%s", ERR);
	cr_assert(strstr(line_of("mm 1 "), " shared_pages=1 "), "the kernel half is not counted: %s",
		  OUT);
}

/* smaps counts a shared-memory page's PTEs, not its object's reference:
 * mapped once, it is private (Linux's page_mapcount). */
Test(share, smaps_shmem_page_mapped_once_is_private)
{
	uint32_t mm = synth_mm_new(&S);
	struct mm_desc *d = synth_mm(&S, mm);
	uint64_t pa = synth_alloc(&S, PAGE_T_SHMEM, 2);

	synth_vma(&S, mm, UVA, UVA + 0x1000, RW | VM_SHARED | VM_MAYSHARE);
	*synth_entry(&S, d, d->pml4, UVA, 1) = pa | SYN_RW | SYN_NX | PTE_A | PTE_D;
	d->rss_pages++;
	cr_assert_eq(run(mm, "smaps"), SCEN_CMD_OK, "%s", ERR);
	cr_assert(strstr(OUT, "Shared_Dirty:          0 kB\n"), "%s", OUT);
	cr_assert(strstr(OUT, "Private_Dirty:         4 kB\n"), "%s", OUT);
	cr_assert_eq(run(mm, "mm list"), SCEN_CMD_OK, "%s", ERR);
	cr_assert(strstr(line_of("mm 3 "), " rss_pages=1 shared_pages=0 "), "%s", OUT);
	cr_assert_null(strstr(line_of("mm 3 "), "!"), "a shmem frame's refcount is PTEs + 1: %s",
		       OUT);
}
