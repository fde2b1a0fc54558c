/*
 * Hostile guest memory: random bytes and random bit flips in a valid state
 * go through every reader (walk, translate, describe, dumps, VMA list,
 * snapshot, checker, commands).  Nothing may crash or hang; run under ASan
 * and UBSan this also proves every access stays in bounds.
 *
 * A fixed number of rounds, each costing about a second of CPU under ASan
 * (every walk runs to its table budget, every leaf dump to its 8 MiB):
 * the breadth comes from the libFuzzer target tests/fuzz/fuzz_memory.c,
 * which runs the same readers over millions of inputs (docs/fuzzing.md);
 * this is the deterministic smoke run of the main suite.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tests/inspect/synth.h"
#include "vmm/inspect/check.h"
#include "vmm/inspect/icmd.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/snapshot.h"
#include "vmm/inspect/vmas.h"

#define UVA 0x100000000000ULL
#define RW  (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE)

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A guest address somewhere plausible: inside RAM, near its end, in the
 * direct map, or anything. */
static uint64_t rnd_ptr(uint64_t ram)
{
	switch (rnd() % 5) {
	case 0: return rnd() % ram;
	case 1: return ram - (rnd() % 64);
	case 2: return DIRECT_MAP_BASE + rnd() % ram;
	case 3: return (DIRECT_MAP_BASE + rnd() % ram) & ~7ULL;
	default: return rnd();
	}
}

static void exercise(const struct gmem *g)
{
	char err[256];
	FILE *f = fopen("/dev/null", "w");
	struct mm_table t;

	if (mmtab_read(g, &t, err, sizeof err) == 0) {
		for (unsigned i = 0; i < MM_MAX; i++) {
			const struct mm_desc *d = &t.mms[i];
			if (!d->id)
				continue;
			struct vma_list l;
			if (vmas_read(g, d, &l, err, sizeof err) == 0) {
				vmas_print(f, &l, 0, 0, true);
				vma_list_free(&l);
			}
			for (int mode = 0; mode < 4; mode++) {
				struct ptdump_opts o = { .mode = (enum ptdump_mode)mode };
				ptdump(g, d->pml4, &o, f);
			}
			struct ptw_xlate x;
			for (int k = 0; k < 8; k++) {
				uint64_t va = k < 4 ? UVA + rnd() % 0x10000000 : rnd();
				ptwalk_translate(g, d->pml4, va, &x);
				ptwalk_describe(g, d->pml4, va, f);
			}
		}
	}
	struct snap_opts o = { .walk = true, .pages = true, .timeout_ms = 20 };
	struct snapshot s;
	if (snapshot_take(g, &o, &s, err, sizeof err) == 0) {
		struct check_report r;
		if (check_snapshot(&s, &r) >= 0) {
			check_report_print(f, &r);
			check_report_free(&r);
		}
		snapshot_free(&s);
	}
	static const char *const cmds[][3] = {
		{ "ptdump" }, { "stats" }, { "check" }, { "vmas" }, { "mm", "list" },
		{ "walk", "0x100000000000" },
	};
	struct icmd_ctx ctx = { .g = *g };
	for (unsigned i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		char *argv[3];
		int argc = 0;
		for (; argc < 3 && cmds[i][argc]; argc++)
			argv[argc] = (char *)cmds[i][argc];
		const struct scen_cmd *c = scen_cmd_find(&icmd_commands, argc, argv, false);
		struct scen_stmt st = { .cmd = c };
		struct scen_io io = { .out = f, .err = f };
		cr_assert_not_null(c);
		if (c->parse(argc, argv, &st, err, sizeof err) == 0)
			c->run(&ctx, &st, &io);
	}
	fclose(f);
}

Test(fuzz, random_memory, .timeout = 120)
{
	struct gmem g = { .size = 1 << 20 };
	g.ram = malloc(g.size);
	for (uint64_t seed = 1; seed <= 6; seed++) {
		rng_state = seed * 0x9e3779b97f4a7c15ULL;
		for (uint64_t i = 0; i < g.size / 8; i++)
			((uint64_t *)(void *)g.ram)[i] = rnd();
		/* Make the PTEs likely present, with targets inside RAM. */
		for (uint64_t i = 0; i < g.size / 8; i++) {
			uint64_t *e = &((uint64_t *)(void *)g.ram)[i];
			if (rnd() % 8 == 0)
				*e = (rnd() % g.size & PTE_ADDR_MASK) | (*e & 0x8000000000000fffULL) | PTE_P;
		}
		struct mm_table *t = (struct mm_table *)(void *)(g.ram + MM_TABLE_GPA);
		t->magic = MM_TABLE_MAGIC;
		t->version = MM_TABLE_VERSION;
		t->seq = 0;
		t->pages = rnd() % 2 ? DIRECT_MAP_BASE + 0x100000 : rnd_ptr(g.size);
		t->zero_page = rnd_ptr(g.size);
		for (unsigned i = 0; i < MM_MAX; i++) {
			t->mms[i].id = rnd() % 16 ? 0 : (uint32_t)(rnd() % 8);
			t->mms[i].pml4 = rnd() % 4 ? (rnd() % g.size) & ~0xfffULL : rnd_ptr(g.size);
			t->mms[i].vma_head = rnd_ptr(g.size);
		}
		exercise(&g);
	}
	free(g.ram);
}

Test(fuzz, bit_flips_in_a_valid_state, .timeout = 120)
{
	for (uint64_t seed = 1; seed <= 40; seed++) {
		struct synth s;
		synth_init(&s, 4 << 20);
		uint32_t a = synth_mm_new(&s), b = synth_mm_new(&s);
		synth_vma(&s, a, UVA, UVA + 0x8000, RW);
		synth_vma(&s, a, UVA + 0x10000, UVA + 0x11000, VM_READ);
		synth_vma(&s, b, UVA, UVA + 0x4000, RW);
		for (int i = 0; i < 6; i++)
			synth_map(&s, a, UVA + 0x1000ULL * i, SYN_RW, i % 3 == 0);
		synth_map(&s, b, UVA, SYN_RW, 0);
		rng_state = seed * 0x2545f4914f6cdd1dULL;
		/* Flip bits in the allocated area (tables, VMAs, the page
		 * array) and in the mm table. */
		for (int k = 0; k < 200; k++) {
			uint64_t off = rnd() % 2 ? MM_TABLE_GPA + rnd() % sizeof(struct mm_table)
						 : 0x100000 + rnd() % (0x40000);
			s.g.ram[off] ^= (uint8_t)(1u << (rnd() % 8));
			/* A busy seq would make every reader wait for its
			 * timeout: a busy guest is test_snapshot.c's case. */
			s.tab->seq &= ~MM_SEQ_WRITERS;
			if (k % 20 == 0)
				exercise(&s.g);
		}
		synth_free(&s);
	}
}
