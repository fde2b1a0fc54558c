/*
 * scengen --v2 SEED [NOPS]: a random portable scenario of language
 * version 2 (docs/scenarios.md).  Besides version 1's operations it mixes
 * mmap flags, mremap (moving only with fixed), madvise, mlock/munlock,
 * fork/process/exit with at most V2_MAX_LIVE live processes, cpu lines and
 * expect shared/exclusive.  It stays in two or three of the collision
 * windows and consults a page model per process (v2_model.h) so that it
 * never reads a private page that no write made present: what such a read
 * maps differs between kernels (the zero page, or not).  Only calls that
 * fail without side effects stand for the errors: none that a kernel
 * would apply to mappings outside the windows.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "tools/scengen/scengen.h"
#include "tools/scengen/scengen_v2.h"

#define V2_MAX_LIVE     4       /* live processes at most */

static const char *const prots[] = {
	"rw-", "rw-", "rw-", "r--", "r--", "---", "r-x", "rwx", "-w-", "-wx",
};
#define NR_PROTS (sizeof(prots) / sizeof(prots[0]))

struct vproc {
	bool alive;
	unsigned parent;        /* its parent's number (0 for process 1) */
	int slot;               /* its model in models[] */
};

static struct vproc *procs;     /* procs[N - 1] is process N */
static unsigned nprocs, cap_procs, cur;
static struct v2_model models[V2_MAX_LIVE];
static bool slot_used[V2_MAX_LIVE];
static uint64_t win[V2_MAX_WINDOWS];
static unsigned nwin;
uint8_t v2_bytes[4] = { 0xab, 0x5a, 0x01, 0xff };

struct v2_model *v2_cur(void)
{
	return &models[procs[cur - 1].slot];
}

uint64_t v2_waddr(void)
{
	return win[rng_below(nwin)] + rng_below(WINDOW_PAGES) * PAGE;
}

uint64_t v2_plen(unsigned max)
{
	uint64_t len = (1 + rng_below(max)) * PAGE;

	if (chance(10))
		len -= 1 + rng_below(PAGE - 1);
	return len;
}

unsigned v2_pick_prot(const char **word)
{
	const char *p = prots[rng_below(NR_PROTS)];

	*word = p;
	return (p[0] == 'r' ? M_READ : 0) | (p[1] == 'w' ? M_WRITE : 0) |
	       (p[2] == 'x' ? M_EXEC : 0);
}

void v2_put_range(const char *op, uint64_t addr, uint64_t len)
{
	printf("%s", op);
	put_num(addr);
	put_num(len);
}

/* Two or three windows, ascending. */
static void pick_windows(void)
{
	bool taken[NR_WINDOWS] = { false };
	unsigned want = 2 + (unsigned)rng_below(2);

	for (unsigned i = 0; i < want;) {
		unsigned w = (unsigned)rng_below(NR_WINDOWS);

		if (!taken[w]) {
			taken[w] = true;
			i++;
		}
	}
	nwin = 0;
	for (unsigned w = 0; w < NR_WINDOWS; w++)
		if (taken[w])
			win[nwin++] = windows[w];
	v2_set_windows(win, nwin);
}

/* ---- processes ---- */

static void add_proc(unsigned parent, int slot)
{
	if (nprocs == cap_procs) {
		cap_procs = cap_procs ? 2 * cap_procs : 16;
		procs = realloc(procs, cap_procs * sizeof(*procs));
		if (!procs) {
			fprintf(stderr, "scengen: out of memory\n");
			exit(2);
		}
	}
	procs[nprocs++] = (struct vproc){ .alive = true, .parent = parent, .slot = slot };
}

static void gen_process(void)
{
	uint64_t n = rng_below(nprocs + 2);

	printf("process");
	put_num(n);
	printf("\n");
	if (n >= 1 && n <= nprocs && procs[n - 1].alive)
		cur = (unsigned)n;
}

static void gen_fork(void)
{
	int slot = 0;

	while (slot < V2_MAX_LIVE && slot_used[slot])
		slot++;
	if (slot == V2_MAX_LIVE) {
		gen_process();
		return;
	}
	printf("fork\n");
	slot_used[slot] = true;
	v2_fork(&models[slot], v2_cur());
	add_proc(cur, slot);
}

static void gen_exit(void)
{
	struct vproc *p = &procs[cur - 1];

	printf("exit\n");
	if (cur == 1)
		return;   /* EINVAL */
	p->alive = false;
	slot_used[p->slot] = false;
	cur = procs[p->parent - 1].alive ? p->parent : 1;
}

/* ---- expectations and errors ---- */

bool v2_one_process;            /* no fork, process, exit, page sharing */

static void gen_expect(void)
{
	static const char *const what[] = { "mapped", "unmapped", "shared", "exclusive" };

	printf("expect %s", what[rng_below(v2_one_process ? 2 : 4)]);
	put_num(v2_waddr());
	put_num(v2_plen(16));
	printf("\n");
}

/* A call that fails (or does nothing) whatever is mapped: an unaligned
 * address, a zero or wrapping length, addresses beyond user space. */
static void gen_bad(void)
{
	static const char *const ops[] = { "mmap", "munmap", "mprotect", "madvise", "mlock" };
	unsigned op = (unsigned)rng_below(5), how = (unsigned)rng_below(4);
	uint64_t addr = v2_waddr(), len = v2_plen(4);

	if (how == 0 && op == 4)
		how = 3;                /* mlock rounds an unaligned address */
	if (how == 0)
		addr += 1 + rng_below(PAGE - 1);
	else if (how == 1)
		len = 0;
	else if (how == 2)
		len = chance(50) ? UINT64_MAX - rng_below(3) * PAGE : -addr;
	else
		addr = chance(50) ? 0x800000000000ULL : 0xffff800000000000ULL;
	v2_put_range(ops[op], addr, len);
	if (op == 0 || op == 2)
		printf(" %s", prots[rng_below(NR_PROTS)]);
	if (op == 3)
		printf(" %s", chance(50) ? "dontneed" : "random");
	printf("\n");
}

static void gen_op(void)
{
	unsigned r = (unsigned)rng_below(100);

	if (v2_one_process && r >= 68 && r < 80)
		r = 27 + (r - 68);      /* an access instead */
	if (r < 13)
		gen_mmap();
	else if (r < 27)
		gen_unmap_protect();
	else if (r < 47)
		gen_access();
	else if (r < 56)
		gen_madvise();
	else if (r < 61)
		gen_mlock();
	else if (r < 68)
		gen_mremap();
	else if (r < 72)
		gen_fork();
	else if (r < 77)
		gen_process();
	else if (r < 80)
		gen_exit();
	else if (r < 82)
		printf("cpu %u\n", (unsigned)rng_below(70));
	else if (r < 85)
		printf("maps\n");
	else if (r < 93)
		gen_expect();
	else if (r < 94)
		printf("expect result ok\n");
	else
		gen_bad();
}

void scengen_v2(unsigned long long seed, unsigned long long nops, bool one)
{
	v2_one_process = one;
	pick_windows();
	nprocs = 0;
	add_proc(0, 0);
	slot_used[0] = true;
	v2_init(&models[0]);
	cur = 1;
	printf("# scengen --v2%s %llu %llu\n", one ? " --one-process" : "", seed, nops);
	for (unsigned long long i = 0; i + 1 < nops; i++)
		gen_op();
	if (nops)
		printf("maps\n");
	free(procs);
}
