/*
 * What a hostile guest can make the host allocate, per request: page tables
 * that point back at themselves and VMA lists as long as allowed, in all 64
 * address spaces.  A snapshot holds at most SNAP_MAX_BYTES, a dump prints at
 * most PTDUMP_MAX_BYTES, and every request (check, expect clean, ptdump,
 * vmas, through the control protocol's response path) stays under 64 MiB of
 * heap at its peak, failing cleanly with a message when the guest's state is
 * too large to inspect.  Before these bounds, the same guest made one check
 * allocate about 12 GiB.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/inspect/memcount.h"
#include "tests/inspect/synth.h"
#include "vmm/control.h"
#include "vmm/inspect/check.h"
#include "vmm/inspect/icmd.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/snapshot.h"
#include "vmm/script/cmd.h"

/* The bound the issue sets: host heap per request, whatever the guest writes. */
#define REQUEST_MAX  (64u << 20)

#define UVA 0x100000000000ULL

static struct synth S;

/* Every mm slot used, each with the PML4 tab (ids 1..64). */
static void all_mms(uint64_t pml4, uint64_t vma_head, uint64_t map_count)
{
	for (unsigned i = 0; i < MM_MAX; i++) {
		S.tab->mms[i].id = i + 1;
		S.tab->mms[i].pml4 = pml4;
		S.tab->mms[i].vma_head = vma_head;
		S.tab->mms[i].map_count = map_count;
	}
}

/* One page-table page whose 512 entries all point at itself (P W U), the
 * PML4 of all 64 mms: every walk visits its whole table budget and finds
 * 512 leaves in every PT it visits. */
static void self_referencing_tables(void)
{
	synth_init(&S, 2 << 20);
	uint64_t t = synth_alloc(&S, PAGE_T_PGTABLE, 1);
	uint64_t *e = (uint64_t *)(void *)(S.g.ram + t);

	for (unsigned i = 0; i < 512; i++)
		e[i] = t | PTE_P | PTE_W | PTE_U;
	all_mms(t, 0, 0);
}

/* MAX_MAP_COUNT valid one-page VMAs in one list, shared by all 64 mms. */
static void long_vma_lists(void)
{
	const size_t n = MAX_MAP_COUNT;
	uint64_t base = 0x200000;   /* above the page array of 8 MiB of RAM */

	synth_init(&S, 8 << 20);
	cr_assert_leq(base + n * sizeof(struct abi_vma), S.g.size);
	for (size_t i = 0; i < n; i++) {
		struct abi_vma *v = (struct abi_vma *)(void *)(S.g.ram + base + i * sizeof *v);
		uint64_t gva = synth_dm(base + i * sizeof *v);

		v->vm_start = UVA + 0x2000 * i;
		v->vm_end = v->vm_start + 0x1000;
		v->vm_flags = VM_READ;
		v->vm_prev = i ? gva - sizeof *v : 0;
		v->vm_next = i + 1 < n ? gva + sizeof *v : 0;
	}
	all_mms(synth_mm(&S, synth_mm_new(&S))->pml4, synth_dm(base), n);
}

static void teardown(void)
{
	synth_free(&S);
}

/* A backend that is never asked anything: these requests only read RAM. */
static void nothing_destroy(struct scen_backend *be)
{
	(void)be;
}

static const struct scen_backend_ops NOTHING_OPS = { .name = "none", .destroy = nothing_destroy };
static struct scen_backend NOTHING = { .ops = &NOTHING_OPS };

/* Answer one request line as the control socket does, in a session that
 * knows the inspection commands; returns the peak heap it took and the
 * response in *resp (malloc'ed). */
static size_t request(const char *line, char **resp)
{
	struct icmd_ctx ctx = { .g = S.g };
	struct script_session *s = script_session_new(&NOTHING, "bound");
	size_t len;

	cr_assert_not_null(s);
	cr_assert_eq(script_session_add_table(s, &icmd_commands, &ctx), 0);
	memcount_start();
	control_respond(s, line, strlen(line), resp, &len);
	size_t peak = memcount_stop();
	script_session_free(s);
	cr_assert_not_null(*resp);
	return peak;
}

/* The last line of a response: its status line. */
static const char *status_line(const char *resp)
{
	size_t n = strlen(resp);

	cr_assert(n > 0 && resp[n - 1] == '\n', "response not ended by a newline");
	while (n > 1 && resp[n - 2] != '\n')
		n--;
	return resp + n - 1;
}

Test(bound, snapshot_of_self_referencing_tables, .init = self_referencing_tables,
     .fini = teardown)
{
	struct snap_opts o = { .walk = true, .pages = true };
	struct snapshot s;
	char err[256] = "";

	memcount_start();
	int r = snapshot_take(&S.g, &o, &s, err, sizeof err);
	size_t peak = memcount_stop();

	cr_assert_eq(r, -E2BIG, "snapshot_take gave %d (%s)", r, err);
	cr_assert(strstr(err, "point back at themselves"), "message: %s", err);
	cr_assert_leq(peak, SNAP_MAX_BYTES + (1u << 20), "peak %zu bytes", peak);
	/* It did fill most of its budget: the counter counts. */
	cr_assert_geq(peak, SNAP_MAX_BYTES / 2, "peak %zu bytes", peak);
}

Test(bound, check_of_self_referencing_tables, .init = self_referencing_tables, .fini = teardown)
{
	char *resp;
	size_t peak = request("check\n", &resp);

	cr_assert_leq(peak, REQUEST_MAX, "peak %zu bytes", peak);
	cr_assert(strncmp(status_line(resp), "error: mm ", 10) == 0 &&
		  strstr(status_line(resp), ": its page tables hold more than"), "response: %s", resp);
	free(resp);

	peak = request("expect clean\n", &resp);
	cr_assert_leq(peak, REQUEST_MAX, "peak %zu bytes", peak);
	cr_assert(strstr(resp, "expect clean -> FAIL: mm ") &&
		  strstr(resp, ": its page tables hold more than"), "response: %s", resp);
	free(resp);
}

Test(bound, ptdump_of_self_referencing_tables, .init = self_referencing_tables,
     .fini = teardown)
{
	static const char *const lines[] = { "ptdump leaves\n", "ptdump json-leaves\n",
					     "ptdump merged\n", "ptdump json\n" };

	for (unsigned i = 0; i < 4; i++) {
		char *resp;
		size_t peak = request(lines[i], &resp);

		cr_assert_leq(peak, REQUEST_MAX, "%s: peak %zu bytes", lines[i], peak);
		cr_assert_str_eq(status_line(resp), "ok\n");
		cr_assert_leq(strlen(resp), PTDUMP_MAX_BYTES + 4096);
		/* The leaves alternate nothing, so merged is one short range; the
		 * leaf dumps stop at the byte bound and say so. */
		if (i < 2)
			cr_assert(strstr(resp, i == 0 ? "\ntruncated: after " : "\"truncated\":true"),
				  "%s not truncated", lines[i]);
		free(resp);
	}
}

Test(bound, check_of_long_vma_lists, .init = long_vma_lists, .fini = teardown)
{
	char *resp;
	size_t peak = request("check\n", &resp);

	cr_assert_leq(peak, REQUEST_MAX, "peak %zu bytes", peak);
	cr_assert(strstr(status_line(resp), "VMAs would take the host past its memory bound"),
		  "response: %s", resp);
	free(resp);

	/* One mm's list alone fits. */
	peak = request("vmas\n", &resp);
	cr_assert_leq(peak, REQUEST_MAX, "peak %zu bytes", peak);
	cr_assert_str_eq(status_line(resp), "ok\n");
	free(resp);
}
