/*
 * The public API's inspection (include/vmm-mm/vmm.h: vmm_vmas, vmm_ptes,
 * vmm_walk, vmm_counters, vmm_mm_list, vmm_check) on synthetic guest
 * memory: the api_* functions they call with the VM's memory; and
 * vmm_boot refusing a bad configuration before it boots anything.  Booting,
 * vmm_run and the typed requests need KVM: test_api_boot.c and the
 * installed example (docs/criterion-test.md, tests/install/) exercise them.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/inspect/synth.h"
#include "vmm/api/api_internal.h"

#define UVA 0x100000000000ULL
#define RW  (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE)

static struct synth S;
static uint32_t MM, MM2;
static char ERR[256];

static void setup(void)
{
	synth_init(&S, 8 << 20);
	MM = synth_mm_new(&S);
	MM2 = synth_mm_new(&S);
	synth_vma(&S, MM, UVA, UVA + 0x3000, RW);
	synth_map(&S, MM, UVA, SYN_RW | SYN_NX | PTE_A | PTE_D, 0);
	synth_map(&S, MM, UVA + 0x1000, SYN_RW | SYN_NX | PTE_A | PTE_D, 0);
	synth_map(&S, MM, UVA + 0x2000, SYN_RO | SYN_NX | PTE_A, 1);
	ERR[0] = 0;
}

static void teardown(void)
{
	synth_free(&S);
}

TestSuite(api, .init = setup, .fini = teardown);

Test(api, vmas_as_structs)
{
	struct vmm_vma *v;
	size_t n;

	cr_assert_eq(api_vmas(&S.g, MM, &v, &n, ERR, sizeof ERR), 0, "%s", ERR);
	cr_assert_eq(n, 1);
	cr_assert_eq(v[0].start, UVA);
	cr_assert_eq(v[0].end, UVA + 0x3000);
	cr_assert_eq(v[0].flags, RW);
	cr_assert_not(v[0].anon);
	free(v);
	cr_assert_eq(api_vmas(&S.g, MM2, &v, &n, ERR, sizeof ERR), 0, "%s", ERR);
	cr_assert_eq(n, 0);
	cr_assert_null(v);
	cr_assert_eq(api_vmas(&S.g, 0, &v, &n, ERR, sizeof ERR), 0, "mm 0: the first one");
	cr_assert_eq(n, 1);
	free(v);
	cr_assert_eq(api_vmas(&S.g, 42, &v, &n, ERR, sizeof ERR), -ESRCH);
	cr_assert_str_eq(ERR, "no mm with id 42");
	synth_vma_ptr(&S, synth_mm(&S, MM)->vma_head)->vm_next = 12345;
	cr_assert_eq(api_vmas(&S.g, MM, &v, &n, ERR, sizeof ERR), -EFAULT);
	cr_assert(strstr(ERR, "pointer 0x3039"), "%s", ERR);
}

Test(api, ptes_in_a_range)
{
	struct vmm_pte *p;
	size_t n;

	cr_assert_eq(api_ptes(&S.g, MM, UVA + 0x1000, UVA + 0x3000, &p, &n, ERR, sizeof ERR), 0,
		     "%s", ERR);
	cr_assert_eq(n, 2);
	cr_assert_eq(p[0].va, UVA + 0x1000);
	cr_assert(p[0].user && p[0].write && !p[0].exec && p[0].accessed && p[0].dirty);
	cr_assert_eq(p[1].pa, S.tab->zero_page);
	cr_assert(!p[1].write && !p[1].dirty && !p[1].protnone);
	cr_assert_eq(p[1].size, 4096);
	free(p);
	cr_assert_eq(api_ptes(&S.g, MM, UVA, UVA, &p, &n, ERR, sizeof ERR), -EINVAL);
}

Test(api, walk_level_by_level)
{
	struct vmm_walk w;

	cr_assert_eq(api_walk(&S.g, MM, UVA + 0x1008, &w, ERR, sizeof ERR), 0, "%s", ERR);
	cr_assert_eq(w.outcome, VMM_WALK_MAPPED);
	cr_assert_eq(w.nlevels, 4);
	cr_assert_eq(w.levels[0].level, 4);
	cr_assert_eq(w.levels[0].index, 32);
	cr_assert_eq(w.levels[0].entry_gpa, synth_mm(&S, MM)->pml4 + 32 * 8);
	cr_assert_eq(w.levels[3].index, 1);
	cr_assert_eq(w.gpa & 0xfff, 8);
	cr_assert(w.user && w.write && !w.exec);
	cr_assert_eq(w.page_size, 4096);
	cr_assert_eq(api_walk(&S.g, MM, UVA + 0x200000, &w, ERR, sizeof ERR), 0);
	cr_assert_eq(w.outcome, VMM_WALK_NOT_PRESENT);
	cr_assert_eq(w.nlevels, 3);
	cr_assert_eq(api_walk(&S.g, MM, 0x800000000000ULL, &w, ERR, sizeof ERR), 0);
	cr_assert_eq(w.outcome, VMM_WALK_NONCANONICAL);
}

Test(api, counters_and_mm_list)
{
	struct vmm_counters c;
	struct vmm_mm_info mms[1];
	size_t n;

	cr_assert_eq(api_counters(&S.g, MM, &c, ERR, sizeof ERR), 0, "%s", ERR);
	cr_assert_eq(c.mm, MM);
	cr_assert_eq(c.vmas, 1);
	cr_assert_eq(c.rss_pages, 2);
	cr_assert_eq(c.zero_ptes, 1);
	cr_assert_eq(c.pt_pages, 3);
	cr_assert_eq(c.frames_free, S.tab->frames_free);
	cr_assert_eq(api_mm_list(&S.g, MM2, mms, 1, &n, ERR, sizeof ERR), 0, "%s", ERR);
	cr_assert_eq(n, 2, "both counted, one kept");
	cr_assert_eq(mms[0].id, MM);
	cr_assert_not(mms[0].current);
	S.tab->seq = 1;   /* a guest that never finishes its change */
	cr_assert_eq(api_counters(&S.g, MM, &c, ERR, sizeof ERR), -EBUSY);
	cr_assert(strncmp(ERR, "busy: ", 6) == 0, "%s", ERR);
}

Test(api, checker_results_as_structs)
{
	struct vmm_check_result r;

	cr_assert_eq(api_check(&S.g, &r, ERR, sizeof ERR), 0, "%s", ERR);
	cr_assert_eq(r.total, 0);
	cr_assert_eq(r.mms, 2);
	cr_assert_eq(r.ptes, 3);
	synth_map(&S, MM, UVA + 0x5000, SYN_RW, 0);
	cr_assert_eq(api_check(&S.g, &r, ERR, sizeof ERR), 0, "%s", ERR);
	cr_assert_eq(r.total, 1);
	cr_assert_eq(r.n, 1);
	cr_assert_str_eq(r.v[0].rule, "pte-outside-vma");
	cr_assert(r.v[0].has_va && r.v[0].has_mm);
	cr_assert_eq(r.v[0].va, UVA + 0x5000);
	free(r.v);
}

/* cpus outside 1..8 is refused before anything is booted (no KVM needed),
 * with a message that names the field and the range. */
Test(api_boot, nine_cpus_refused_with_a_message)
{
	static char sentinel;
	struct vmm *v = (struct vmm *)&sentinel;   /* must come back NULL */
	char err[512] = "";
	struct vmm_config cfg = { .quiet = true, .guest = "/nonexistent/guest.elf", .cpus = 9 };

	cr_assert_eq(vmm_boot(&cfg, &v, err, sizeof err), -EINVAL);
	cr_assert_null(v);
	cr_assert(strstr(err, "vmm_config.cpus is 9"), "%s", err);
	cr_assert(strstr(err, "1 to 8 CPUs"), "%s", err);
}
