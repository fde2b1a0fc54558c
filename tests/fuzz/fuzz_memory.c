/*
 * libFuzzer target: the guest-memory readers over arbitrary guest RAM (a
 * hostile guest's published state): the mm table and VMA list readers, the
 * page-table walker (dumps in every mode, translate, describe), snapshots,
 * the invariant checker, and the inspection commands that answer from them.
 * Nothing may crash, hang, read outside RAM or allocate without bound
 * (-malloc_limit_mb).  Input: fuzz_ram.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_ram.h"
#include "vmm/inspect/icmd.h"
#include "vmm/inspect/mmstats.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/vmas.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static FILE *null_out(void)
{
	static FILE *f;

	if (!f && !(f = fopen("/dev/null", "w")))
		abort();
	return f;
}

/* Addresses worth translating in mm d: around its first VMAs, the scenario
 * window, the kernel half. */
static void walk_some(const struct gmem *g, const struct mm_desc *d, const struct vma_list *l)
{
	static const uint64_t fixed[] = { 0, 0x100000000000ULL, 0x100000001008ULL,
					  0x7ffffffff000ULL, 0xffff888000000000ULL,
					  0xffffffff80200000ULL, 0x800000000000ULL };
	struct ptw_xlate x;

	for (unsigned i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		ptwalk_translate(g, d->pml4, fixed[i], &x);
		ptwalk_describe(g, d->pml4, fixed[i], null_out());
	}
	for (size_t i = 0; l && i < l->n && i < 4; i++) {
		ptwalk_translate(g, d->pml4, l->v[i].start, &x);
		ptwalk_describe(g, d->pml4, l->v[i].end - 1, null_out());
	}
}

static void readers(const struct gmem *g)
{
	struct mm_table t;
	struct frame_share fs;
	char err[256];

	if (mmtab_read(g, &t, err, sizeof err) != 0 || frame_share_count(g, &t, &fs) != 0)
		return;
	for (unsigned i = 0; i < MM_MAX; i++) {
		const struct mm_desc *d = &t.mms[i];
		struct vma_list l;
		int have;

		if (!d->id)
			continue;
		have = vmas_read(g, d, &l, err, sizeof err) == 0;
		if (have)
			vmas_print(null_out(), &l, 0, 0, true);
		walk_some(g, d, have ? &l : NULL);
		if (have)
			vma_list_free(&l);
		struct mm_counts c;

		mm_counts_get(g, &t, &fs, d, &c);
		mm_stats_print(null_out(), &t, &c);
		mm_stats_json(null_out(), &t, &c);
	}
	frame_share_free(&fs);
}

/* Run one command line (words) of the icmd table. */
static void command(const struct gmem *g, const char *const *words)
{
	struct icmd_ctx ctx = { .g = *g };
	struct scen_io io = { .out = null_out(), .err = null_out() };
	char *argv[4], msg[256];
	int argc = 0;

	for (; argc < 4 && words[argc]; argc++)
		argv[argc] = (char *)words[argc];   /* parse functions do not write */
	const struct scen_cmd *c = scen_cmd_find(&icmd_commands, argc, argv, false);
	struct scen_stmt st = { .cmd = c };

	if (!c)
		abort();
	if (c->parse(argc, argv, &st, msg, sizeof msg) == 0)
		c->run(&ctx, &st, &io);
}

/* Every inspection command, as a session would run it; one dump mode per
 * input (the mm table's reserved[0] picks it), since the modes share the
 * walk and differ only in printing. */
static void commands(const struct gmem *g)
{
	static const char *const dumps[][4] = {
		{ "ptdump" }, { "ptdump", "leaves" }, { "ptdump", "json" },
		{ "ptdump", "json-leaves", "0x100000000000", "0x100000200000" },
	};
	static const char *const others[][4] = {
		{ "vmas" }, { "stats" }, { "mm", "list" }, { "walk", "0x100000000000" },
		{ "check" },
	};
	const struct mm_table *t = (const struct mm_table *)(const void *)(g->ram + MM_TABLE_GPA);

	command(g, dumps[t->reserved[0] % 4]);
	for (unsigned i = 0; i < sizeof others / sizeof others[0]; i++)
		command(g, others[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct gmem g = fuzz_ram();

	fuzz_ram_fill(data, len);
	readers(&g);
	commands(&g);   /* check: the snapshot and the checker */
	return 0;
}
