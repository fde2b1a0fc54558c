/*
 * libFuzzer target: the scenario parser and engine (vmm/script) over a
 * fake backend whose answers come from the fuzzer, so that both the
 * language's parsing and the runner's handling of whatever a backend
 * answers (results, errnos, faults, mapping lists, deaths) are fuzzed.
 *
 * Input: a little-endian u16 N, N bytes of backend answers, then the
 * script.  The script runs as a whole file (script_run_file) and line by
 * line (script_run_stream), the answers replayed for each.  When the
 * answers run dry the backend gives sane ones (mmap where asked, 0, no
 * mappings), so a scenario seed runs to its end.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz_bytes.h"
#include "vmm/script/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

struct fake {
	struct scen_backend be;          /* first: the engine casts */
	struct fuzz_bytes ans;
};

static struct fuzz_bytes *answers(struct scen_backend *be)
{
	return &((struct fake *)be)->ans;
}

/* A result: the default, -errno, any 64-bit value, or death (-1). */
static int result(struct scen_backend *be, int64_t def, int64_t *out)
{
	struct fuzz_bytes *a = answers(be);
	uint8_t how, e;

	*out = def;
	if (!take_u8(a, &how))
		return 0;
	switch (how % 5) {
	case 1:
		take_u8(a, &e);
		*out = -(int64_t)e;
		break;
	case 2:
		*out = (int64_t)take_u64(a);
		break;
	case 3:
		snprintf(be->failure, sizeof be->failure, "fuzz: the backend died");
		return -1;
	default:
		break;
	}
	return 0;
}

static int f_mmap(struct scen_backend *be, uint64_t addr, uint64_t len, unsigned prot,
		  unsigned how, unsigned flags, int64_t *res)
{
	(void)len;
	(void)prot;
	(void)flags;
	return result(be, how == SCEN_MMAP_ANY ? (int64_t)SCEN_WINDOW_START : (int64_t)addr, res);
}

static int f_munmap(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *res)
{
	(void)addr;
	(void)len;
	return result(be, 0, res);
}

static int f_mprotect(struct scen_backend *be, uint64_t addr, uint64_t len, unsigned prot,
		      int64_t *res)
{
	(void)addr;
	(void)len;
	(void)prot;
	return result(be, 0, res);
}

static int f_access(struct scen_backend *be, enum scen_access_op op, uint64_t addr,
		    uint64_t len, uint8_t byte, struct scen_access_result *res)
{
	struct fuzz_bytes *a = answers(be);
	uint8_t s, d;
	int64_t r;

	(void)op;
	(void)byte;
	*res = (struct scen_access_result){ .status = SCEN_ACC_OK };
	if (result(be, 0, &r) != 0)
		return -1;
	if (r == 0 || !take_u8(a, &s))
		return 0;
	take_u8(a, &d);
	res->status = (enum scen_access_status)(s % 4);
	res->detail = d;
	res->addr = (s & 4) ? addr + (len ? r % len : 0) : (uint64_t)r;
	return 0;
}

static int f_maps(struct scen_backend *be, uint64_t lo, uint64_t hi, struct scen_map **maps,
		  size_t *n)
{
	struct fuzz_bytes *a = answers(be);
	uint8_t k, p;
	uint64_t at = lo;

	(void)hi;
	*maps = NULL;
	*n = 0;
	if (!take_u8(a, &k) || k % 17 == 0)
		return 0;
	if (k == 0xff) {
		snprintf(be->failure, sizeof be->failure, "fuzz: the backend died listing");
		return -1;
	}
	if (!(*maps = calloc(k % 17, sizeof **maps)))
		return -1;
	/* Mostly ascending (the contract), sometimes anything. */
	for (unsigned i = 0; i < k % 17u; i++) {
		struct scen_map *m = &(*maps)[i];
		take_u8(a, &p);
		if (p & 0x80) {
			m->start = take_u64(a);
			m->end = take_u64(a);
		} else {
			m->start = at + ((uint64_t)(p & 0x0f) << 12);
			m->end = m->start + ((uint64_t)((p >> 4 & 7) + 1) << 12);
			at = m->end;
		}
		m->prot = p & 7;
		m->shared = (p & 0x40) != 0;
	}
	*n = k % 17u;
	return 0;
}

static int f_vma_count(struct scen_backend *be, uint64_t *count)
{
	int64_t r;

	if (result(be, 0, &r) != 0)
		return -1;
	*count = (uint64_t)r;
	return 0;
}

static int f_pte_present(struct scen_backend *be, uint64_t addr, uint64_t npages, bool *present)
{
	struct fuzz_bytes *a = answers(be);
	uint8_t bits = 0;

	(void)addr;
	for (uint64_t i = 0; i < npages; i++) {
		if (i % 8 == 0 && !take_u8(a, &bits))
			bits = 0;
		present[i] = (bits >> (i % 8)) & 1;
	}
	return 0;
}

static void f_destroy(struct scen_backend *be)
{
	(void)be;
}

/* ---- version 2: every answer from the fuzzer too ---- */

static int f_mremap(struct scen_backend *be, uint64_t addr, uint64_t old_len, uint64_t new_len,
		    unsigned flags, uint64_t new_addr, int64_t *res)
{
	(void)old_len;
	(void)new_len;
	return result(be, (int64_t)(flags & SCEN_MREMAP_FIXED ? new_addr : addr), res);
}

static int f_madvise(struct scen_backend *be, uint64_t addr, uint64_t len,
		     enum scen_advice advice, int64_t *res)
{
	(void)addr;
	(void)len;
	(void)advice;
	return result(be, 0, res);
}

static int f_mlock(struct scen_backend *be, uint64_t addr, uint64_t len, bool onfault,
		   int64_t *res)
{
	(void)addr;
	(void)len;
	(void)onfault;
	return result(be, 0, res);
}

static int f_munlock(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *res)
{
	(void)addr;
	(void)len;
	return result(be, 0, res);
}

/* Handles are whatever the fuzzer says: the engine must cope. */
static int f_fork(struct scen_backend *be, unsigned *child, int64_t *res)
{
	if (result(be, 0, res) != 0)
		return -1;
	*child = (unsigned)take_u64(answers(be));
	return 0;
}

static int f_select(struct scen_backend *be, unsigned handle)
{
	int64_t r;

	(void)handle;
	return result(be, 0, &r);
}

static int f_exit(struct scen_backend *be, unsigned handle)
{
	int64_t r;

	(void)handle;
	return result(be, 0, &r);
}

static int f_set_cpu(struct scen_backend *be, unsigned cpu)
{
	int64_t r;

	(void)cpu;
	return result(be, 0, &r);
}

static int f_page_share(struct scen_backend *be, uint64_t addr, uint64_t npages, uint8_t *state)
{
	struct fuzz_bytes *a = answers(be);
	uint8_t b = 0;

	(void)addr;
	for (uint64_t i = 0; i < npages; i++) {
		if (!take_u8(a, &b))
			b = 0;
		state[i] = b % 3;
	}
	return 0;
}

static const struct scen_backend_ops FAKE_OPS = {
	.name = "fuzz", .mmap = f_mmap, .munmap = f_munmap, .mprotect = f_mprotect,
	.access = f_access, .maps = f_maps, .vma_count = f_vma_count,
	.pte_present = f_pte_present, .destroy = f_destroy,
	.mremap = f_mremap, .madvise = f_madvise, .mlock = f_mlock, .munlock = f_munlock,
	.fork = f_fork, .select = f_select, .exit = f_exit, .set_cpu = f_set_cpu,
	.page_share = f_page_share,
};

static FILE *null_out(void)
{
	static FILE *f;

	if (!f && !(f = fopen("/dev/null", "w")))
		abort();
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_bytes ans, script;

	split_u16(data, len, &ans, &script);
	for (int stream = 0; stream < 2; stream++) {
		struct fake f = { .be = { .ops = &FAKE_OPS }, .ans = ans };
		static char empty[1] = "";
		/* fmemopen refuses size 0: an empty script is one NUL read away. */
		FILE *in = script.n ? fmemopen((void *)script.p, script.n, "r")
				    : fmemopen(empty, 1, "r");

		if (!in)
			abort();
		if (script.n == 0)
			fgetc(in);
		if (stream)
			script_run_stream(in, "fuzz.scn", &f.be, null_out(), null_out(), "> ");
		else
			script_run_file(in, "fuzz.scn", &f.be, null_out(), null_out());
		fclose(in);
	}
	return 0;
}
