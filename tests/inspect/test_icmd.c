/*
 * Inspection commands (the icmd_commands table) on synthetic guest memory:
 * exact answers, argument errors, the lookup among the language's own
 * commands, busy guests.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tests/inspect/synth.h"
#include "vmm/inspect/icmd.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/script/cmd.h"

/* What run() returns: the table's answer, or not one of its commands. */
#define ICMD_UNKNOWN (-1)
#define ICMD_OK      SCEN_CMD_OK
#define ICMD_FAIL    SCEN_CMD_FAIL
#define ICMD_ERROR   SCEN_CMD_ERROR

#define UVA 0x100000000000ULL
#define RW  (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE)

static struct synth S;
static uint32_t MM, MM2;
static char *OUT;
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
	OUT = NULL;
	ERR[0] = 0;
}

static void teardown(void)
{
	free(OUT);
	synth_free(&S);
}

static uint32_t CUR;

static uint32_t current_mm(void *arg)
{
	(void)arg;
	return CUR;
}

/* The tables of a vmm session, in order (the VM's own need a VM). */
static const struct scen_cmd_table *const TABLES[] = {
	&scen_operations, &scen_expectations, &icmd_commands,
};

/* The entry a session picks for argv (every table with fitting arguments,
 * then by name alone), or NULL; *lang: it is the language's own. */
static const struct scen_cmd *lookup(int argc, char **argv, bool *lang)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < 3; k++) {
			const struct scen_cmd *c = scen_cmd_find(TABLES[k], argc, argv, pass);

			if (c) {
				*lang = k < 2;
				return c;
			}
		}
	}
	return NULL;
}

/* Run a command line on mm as a session would. */
static int run(uint32_t mm, const char *line)
{
	struct icmd_ctx ctx = { .g = S.g, .current_mm = current_mm };
	char buf[256], *argv[16];
	int argc = scen_split(line, buf, sizeof buf, argv, 16);
	bool lang = false;
	const struct scen_cmd *c;
	size_t len = 0;
	FILE *f;
	int r;

	cr_assert_gt(argc, 0);
	free(OUT);
	OUT = NULL;
	f = open_memstream(&OUT, &len);
	ERR[0] = 0;
	c = lookup(argc, argv, &lang);
	if (c && lang && strcmp(c->name, "help") == 0) {
		scen_help(f, TABLES, 3);
		r = ICMD_OK;
	} else if (!c || lang) {
		r = ICMD_UNKNOWN;
	} else {
		struct scen_stmt st = { .cmd = c };
		struct scen_io io = { .out = f, .err = stderr };

		CUR = mm;
		if (c->parse(argc, argv, &st, ERR, sizeof ERR) < 0) {
			r = ICMD_ERROR;
		} else {
			r = c->run(&ctx, &st, &io);
			if (r == SCEN_CMD_ERROR)
				snprintf(ERR, sizeof ERR, "%s", io.msg);
		}
	}
	fclose(f);
	return r;
}

TestSuite(icmd, .init = setup, .fini = teardown);

Test(icmd, ptdump_default_is_merged_with_header)
{
	cr_assert_eq(run(MM, "ptdump"), ICMD_OK, "%s", ERR);
	cr_assert_str_eq(OUT,
		"ptdump merged:\n"
		"0000100000000000-0000100000002000     8K urw- ad- pte\n"
		"0000100000002000-0000100000003000     4K ur-- a-- pte zero\n");
	cr_assert_eq(run(MM, "ptdump leaves 0x100000002000 0x100000003000"), ICMD_OK, "%s", ERR);
	char want[128];
	snprintf(want, sizeof want, "ptdump leaves 0x100000002000 0x100000003000:\n"
		 "0000100000002000: %016llx X---A--U- zero\n", (unsigned long long)S.tab->zero_page);
	cr_assert_str_eq(OUT, want);
	cr_assert_eq(run(MM2, "ptdump"), ICMD_OK);
	cr_assert_str_eq(OUT, "ptdump merged:\n");
}

Test(icmd, ptdump_json_has_no_header)
{
	cr_assert_eq(run(MM, "ptdump json 1M 2M"), ICMD_OK, "%s", ERR);
	cr_assert(strncmp(OUT, "{\"pml4\":", 8) == 0, "%s", OUT);
	cr_assert(strstr(OUT, "\"start\":\"0x100000\",\"end\":\"0x200000\",\"ranges\":[]"), "%s", OUT);
	cr_assert_eq(run(MM, "ptdump json-leaves"), ICMD_OK);
	cr_assert(strstr(OUT, "\"leaves\":[{"));
}

Test(icmd, ptdump_errors)
{
	cr_assert_eq(run(MM, "ptdump sideways"), ICMD_ERROR);
	cr_assert_str_eq(ERR, "ptdump: unknown mode 'sideways' (merged, leaves, json, json-leaves, linux)");
	cr_assert_eq(run(MM, "ptdump 0x1000"), ICMD_ERROR);
	cr_assert_eq(run(MM, "ptdump 0x2000 0x1000"), ICMD_ERROR);
	cr_assert_str_eq(ERR, "ptdump: END must be above START");
	cr_assert_eq(run(MM, "ptdump merged 0x1000 zz"), ICMD_ERROR);
	cr_assert_str_eq(ERR, "ptdump: bad address 'zz'");
	cr_assert_eq(run(MM, "ptdump 0x1000 0x99999999999999999"), ICMD_ERROR);
	cr_assert_eq(run(42, "ptdump"), ICMD_ERROR);
	cr_assert_str_eq(ERR, "no mm with id 42");
	cr_assert_str_eq(OUT, "", "nothing printed on an error");
}

Test(icmd, first_mm_by_default)
{
	cr_assert_eq(run(0, "stats"), ICMD_OK, "%s", ERR);
	char want[256];
	snprintf(want, sizeof want, "stats -> mm=%u parent=0 vmas=1 rss_pages=2 shared_pages=0 zero_ptes=1 pt_pages=3 "
		 "frames_total=%llu frames_free=%llu frames_zero=0 requests=0\n", MM,
		 (unsigned long long)S.tab->frames_total, (unsigned long long)S.tab->frames_free);
	cr_assert_str_eq(OUT, want);
}

Test(icmd, check_ok_and_fail)
{
	cr_assert_eq(run(MM, "check"), ICMD_OK, "%s", ERR);
	cr_assert_str_eq(OUT, "check -> ok (2 mms, 1 vmas, 3 ptes, 3 page tables, 2048 frames)\n");
	synth_map(&S, MM, UVA + 0x5000, SYN_RW, 0);
	cr_assert_eq(run(MM, "check"), ICMD_FAIL);
	const char *want = "check -> FAIL: 1 violation\nviolation: pte-outside-vma mm=1 va=0x100000005000 ";
	cr_assert(strncmp(OUT, want, strlen(want)) == 0, "%s", OUT);
	cr_assert_eq(run(MM, "check 1 2 3"), ICMD_UNKNOWN, "the scenario's check");
}

Test(icmd, vmas_walk_mmlist_help)
{
	cr_assert_eq(run(MM, "vmas"), ICMD_OK, "%s", ERR);
	cr_assert_str_eq(OUT, "vmas:\n100000000000-100000003000 rw-p 100000000 0x33 -\n");
	cr_assert_eq(run(MM2, "vmas"), ICMD_OK, "%s", ERR);
	cr_assert_str_eq(OUT, "vmas:\n");
	cr_assert_eq(run(MM, "walk 0x100000001008"), ICMD_OK, "%s", ERR);
	char hdr[128];
	snprintf(hdr, sizeof hdr, "walk 0x100000001008 (mm 1, pml4 0x%llx):\n  pml4e[ 32] at ",
		 (unsigned long long)synth_mm(&S, MM)->pml4);
	cr_assert(strncmp(OUT, hdr, strlen(hdr)) == 0, "%s", OUT);
	cr_assert_eq(run(MM, "walk"), ICMD_ERROR);
	cr_assert_eq(run(MM2, "mm list"), ICMD_OK);
	char want[512];
	snprintf(want, sizeof want, "mm list:\n"
		 "mm 1 parent=0 pml4=0x%llx vmas=1 rss_pages=2 shared_pages=0 zero_ptes=1 pt_pages=3\n"
		 "mm 2 parent=0 pml4=0x%llx vmas=0 rss_pages=0 shared_pages=0 zero_ptes=0 pt_pages=0 *\n",
		 (unsigned long long)synth_mm(&S, MM)->pml4, (unsigned long long)synth_mm(&S, MM2)->pml4);
	cr_assert_str_eq(OUT, want);
	cr_assert_eq(run(MM, "mm new"), ICMD_UNKNOWN, "needs the VM: not icmd's");
	cr_assert_eq(run(MM, "help"), ICMD_OK);
	cr_assert(strstr(OUT, "ptdump [MODE] [START END]"));
	cr_assert_eq(run(MM, "mmap 0x1000 4K rw-"), ICMD_UNKNOWN);
}

Test(icmd, corrupt_vma_list_is_an_error)
{
	synth_vma_ptr(&S, synth_mm(&S, MM)->vma_head)->vm_next = 12345;
	cr_assert_eq(run(MM, "vmas"), ICMD_ERROR);
	cr_assert(strstr(ERR, "pointer 0x3039"), "%s", ERR);
}

Test(icmd, busy_guest)
{
	S.tab->seq = 3;
	cr_assert_eq(run(MM, "stats"), ICMD_ERROR);
	cr_assert(strncmp(ERR, "busy: ", 6) == 0, "%s", ERR);
}

Test(icmd, numbers)
{
	uint64_t v;
	cr_assert_eq(scen_parse_number("4096", &v), 0);
	cr_assert_eq(v, 4096);
	cr_assert_eq(scen_parse_number("0x10K", &v), 0);
	cr_assert_eq(v, 0x4000);
	cr_assert_eq(scen_parse_number("2M", &v), 0);
	cr_assert_eq(v, 2 << 20);
	cr_assert_eq(scen_parse_number("16G", &v), 0);
	cr_assert_eq(v, 16ULL << 30);
	cr_assert_eq(scen_parse_number("0xffffffffffffffff", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
	cr_assert_eq(scen_parse_number("0x10000000000000000", &v), -1);
	cr_assert_eq(scen_parse_number("0xffffffffffffG", &v), -1);
	cr_assert_eq(scen_parse_number("", &v), -1);
	cr_assert_eq(scen_parse_number("0x", &v), -1);
	cr_assert_eq(scen_parse_number("12Q", &v), -1);
	cr_assert_eq(scen_parse_number("1KK", &v), -1);
	cr_assert_eq(scen_parse_number("K", &v), -1);
}
