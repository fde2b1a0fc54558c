/*
 * bench-inspect: the cost of inspecting a large address space from the host.
 *
 * Builds an mm with SIZE (default 1 GiB) mapped in 4 KiB pages, every page
 * faulted in (262,144 PTEs for 1 GiB), then dumps its page tables as merged
 * ranges (a consistent snapshot, snapshot_run + ptdump) RUNS times and
 * reports the host CPU time per dump (median, min, max), the wall time, the
 * snapshot retries, the full checker's cost, and how much the guest is
 * held up: the reader never stops the vCPU (it is a seqlock reader), and
 * the latency of guest requests issued while dumps run is measured against
 * an idle baseline.
 *
 * --synthetic builds the same page tables in a host buffer instead (no KVM).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/channel.h"
#include "shared/mm_abi.h"
#include "tools/bench-inspect/bench_inspect_opts.h"
#include "vmm/inspect/check.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/snapshot.h"
#include "vmm/inspect/vmas.h"
#include "vmm/vm.h"

#define UVA 0x100000000000ULL

static uint64_t ns_of(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t pct(uint64_t *v, size_t n, unsigned p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, cmp_u64);
	size_t i = (n - 1) * p / 100;
	return v[i];
}

/* ---- one dump inside a consistent window ---- */

struct dump_job {
	uint64_t pml4;
	char *buf;
	size_t len;
	size_t lines;
};

static int dump_once(const struct gmem *g, void *ctx)
{
	struct dump_job *j = ctx;
	free(j->buf);
	j->buf = NULL;
	FILE *f = open_memstream(&j->buf, &j->len);
	if (!f)
		return -ENOMEM;
	struct ptdump_opts o = { .mode = PTDUMP_MERGED, .start = 0, .end = USER_HALF_LAST + 1 };
	int r = ptdump(g, j->pml4, &o, f);
	fclose(f);
	return r;
}

/* ---- synthetic page tables ---- */

static uint64_t synth_next;
static struct abi_page *synth_pages;
static struct mm_table *synth_tab;

static uint64_t synth_frame(struct gmem *g, uint32_t type)
{
	uint64_t f = synth_next;
	synth_next += 4096;
	if (synth_next > g->size) {
		fprintf(stderr, "bench-inspect: synthetic RAM too small\n");
		exit(1);
	}
	synth_pages[f >> 12] = (struct abi_page){ .refcount = 1, .type = type };
	synth_tab->frames_free--;
	return f;
}

static uint64_t *synth_entry(struct gmem *g, uint64_t pml4, uint64_t va)
{
	uint64_t table = pml4;
	for (int l = 4; l > 1; l--) {
		uint64_t *e = (uint64_t *)(void *)(g->ram + table + 8 * ((va >> (12 + 9 * (l - 1))) & 511));
		if (!(*e & 1)) {
			*e = synth_frame(g, PAGE_T_PGTABLE) | PTE_P | PTE_W | PTE_U;
			synth_tab->mms[0].pt_pages++;
		}
		table = *e & PTE_ADDR_MASK;
	}
	return (uint64_t *)(void *)(g->ram + table + 8 * ((va >> 12) & 511));
}

static void synth_build(struct gmem *g, uint64_t size, uint64_t *pml4)
{
	g->size = 2 * size + (64ULL << 20);
	g->ram = calloc(1, g->size);
	if (!g->ram) {
		fprintf(stderr, "bench-inspect: out of memory\n");
		exit(1);
	}
	/* The page array right after the host area, then the frames. */
	uint64_t frames = g->size >> 12;
	synth_pages = (struct abi_page *)(void *)(g->ram + HOST_RESERVED_END);
	synth_next = (HOST_RESERVED_END + frames * sizeof(struct abi_page) + 4095) & ~4095ULL;
	struct mm_table *t = synth_tab = (struct mm_table *)(void *)(g->ram + MM_TABLE_GPA);
	t->magic = MM_TABLE_MAGIC;
	t->version = MM_TABLE_VERSION;
	t->pages = DIRECT_MAP_BASE + HOST_RESERVED_END;
	t->frames_total = t->frames_free = frames - (synth_next >> 12);
	for (uint64_t f = 0; f < synth_next >> 12; f++)
		synth_pages[f] = (struct abi_page){ .refcount = 1, .type = PAGE_T_RESERVED };
	*pml4 = synth_frame(g, PAGE_T_PGTABLE);
	t->mms[0].id = 1;
	t->mms[0].pml4 = *pml4;
	for (uint64_t off = 0; off < size; off += 4096)
		*synth_entry(g, *pml4, UVA + off) =
			synth_frame(g, PAGE_T_USER) | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_NX;
	t->mms[0].rss_pages = size >> 12;
	/* One VMA, in a kernel frame. */
	uint64_t vf = synth_frame(g, PAGE_T_KERNEL);
	struct abi_vma *v = (struct abi_vma *)(void *)(g->ram + vf);
	*v = (struct abi_vma){ .vm_start = UVA, .vm_end = UVA + size, .vm_pgoff = UVA >> 12,
			       .vm_flags = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE };
	t->mms[0].vma_head = DIRECT_MAP_BASE + vf;
	t->mms[0].map_count = 1;
}

/* ---- the live guest ---- */

/* One request; returns its result, or exits when there is no answer. */
static int64_t request(struct vm *vm, struct chan_slot *s)
{
	int r = vm_request(vm, s);

	if (r != 0) {
		fprintf(stderr, "bench-inspect: request %u: %s\n", s->op,
			vm_failure(vm) ? vm_failure(vm) : strerror(-r));
		exit(1);
	}
	return s->result;
}

/* An mm with size bytes at UVA, every page faulted in: 0 and *mm, or -1. */
static int live_build(struct vm *vm, uint64_t size, bool write, uint32_t *mm)
{
	struct chan_slot s = { .op = OP_MM_CREATE };

	if (request(vm, &s) != 0 || s.mm_create.id == 0) {
		fprintf(stderr, "bench-inspect: OP_MM_CREATE: %" PRId64 "\n", s.result);
		return -1;
	}
	*mm = s.mm_create.id;
	s = (struct chan_slot){ .op = OP_MMAP, .mm = *mm,
		.mmap = { .addr = UVA, .len = size, .prot = PROT_READ_ABI | PROT_WRITE_ABI,
			  .flags = MMAP_F_FIXED } };
	if ((uint64_t)request(vm, &s) != UVA) {
		fprintf(stderr, "bench-inspect: mmap of %" PRIu64 " bytes: %" PRId64 "\n", size,
			s.result);
		return -1;
	}
	fprintf(stderr, "bench-inspect: faulting in %" PRIu64 " pages (%s)...\n", size >> 12,
		write ? "write" : "read");
	for (uint64_t off = 0; off < size; off += 16ULL << 20) {
		uint64_t len = size - off < (16ULL << 20) ? size - off : 16ULL << 20;
		s = (struct chan_slot){ .op = OP_TOUCH, .mm = *mm,
			.touch = { .addr = UVA + off, .len = len,
				   .mode = write ? TOUCH_WRITE : TOUCH_READ } };
		if (request(vm, &s) != ACCESS_OK) {
			fprintf(stderr, "bench-inspect: touch at 0x%" PRIx64 ": %" PRId64 "\n",
				(uint64_t)(UVA + off), s.result);
			return -1;
		}
	}
	return 0;
}

/* ---- guest requests while dumping ---- */

struct prober {
	struct vm *vm;
	atomic_bool stop;
	uint64_t *lat;
	size_t n, cap;
};

static void *probe(void *arg)
{
	struct prober *p = arg;
	while (!atomic_load(&p->stop) && p->n < p->cap) {
		struct chan_slot s = { .op = OP_NOP };
		uint64_t t0 = ns_of(CLOCK_MONOTONIC);
		if (vm_request(p->vm, &s) != 0)
			break;
		p->lat[p->n++] = ns_of(CLOCK_MONOTONIC) - t0;
	}
	return NULL;
}

static void probe_start(struct prober *p, pthread_t *t)
{
	p->n = 0;
	atomic_store(&p->stop, false);
	pthread_create(t, NULL, probe, p);
}

static void probe_stop(struct prober *p, pthread_t t, uint64_t lat[3])
{
	atomic_store(&p->stop, true);
	pthread_join(t, NULL);
	lat[0] = pct(p->lat, p->n, 50);
	lat[1] = pct(p->lat, p->n, 99);
	lat[2] = pct(p->lat, p->n, 100);
}

/* ---- the measurements ---- */

struct results {
	uint64_t build_ns;
	uint64_t *cpu, *wall;         /* per dump */
	unsigned long attempts;
	size_t lines, len;
	uint64_t chk_cpu;
	long viol;
	size_t leaves;
	uint64_t lat_idle[3], lat_busy[3];
	size_t n_idle, n_busy;
	unsigned long busy_dumps;
};

/* Dumps, one at a time, guest idle: 0 or -1. */
static int measure_dumps(const struct gmem *g, struct dump_job *job, unsigned runs,
			 struct results *res)
{
	for (unsigned i = 0; i < runs; i++) {
		unsigned a = 0;
		uint64_t c0 = ns_of(CLOCK_THREAD_CPUTIME_ID), w0 = ns_of(CLOCK_MONOTONIC);
		int r = snapshot_run(g, 0, dump_once, job, &a);
		res->cpu[i] = ns_of(CLOCK_THREAD_CPUTIME_ID) - c0;
		res->wall[i] = ns_of(CLOCK_MONOTONIC) - w0;
		res->attempts += a;
		if (r != 0) {
			fprintf(stderr, "bench-inspect: dump failed: %s\n", strerror(-r));
			return -1;
		}
	}
	for (size_t k = 0; k < job->len; k++)
		res->lines += job->buf[k] == '\n';
	res->len = job->len;
	return 0;
}

/* The full checker once (every mm, walk and page array). */
static void measure_check(const struct gmem *g, struct results *res)
{
	uint64_t chk0 = ns_of(CLOCK_THREAD_CPUTIME_ID);
	struct snap_opts so = { .walk = true, .pages = true };
	struct snapshot s;
	struct check_report rep;
	char err[256];

	res->viol = -1;
	if (snapshot_take(g, &so, &s, err, sizeof err) == 0) {
		for (unsigned k = 0; k < s.nmms; k++)
			res->leaves += s.mms[k].nleaves;
		res->viol = check_snapshot(&s, &rep);
		if (res->viol > 0)
			check_report_print(stderr, &rep);
		if (res->viol >= 0)
			check_report_free(&rep);
		snapshot_free(&s);
	}
	res->chk_cpu = ns_of(CLOCK_THREAD_CPUTIME_ID) - chk0;
}

/* Guest request latency idle vs while dumping. */
static void measure_latency(struct vm *vm, const struct gmem *g, struct dump_job *job,
			    struct results *res)
{
	struct prober p = { .vm = vm, .cap = 1u << 20 };
	struct timespec second = { 1, 0 };
	pthread_t t;

	p.lat = calloc(p.cap, sizeof *p.lat);
	probe_start(&p, &t);
	nanosleep(&second, NULL);
	probe_stop(&p, t, res->lat_idle);
	res->n_idle = p.n;

	probe_start(&p, &t);
	uint64_t end = ns_of(CLOCK_MONOTONIC) + 1000000000ULL;
	while (ns_of(CLOCK_MONOTONIC) < end) {
		unsigned a;
		if (snapshot_run(g, 0, dump_once, job, &a) == 0)
			res->busy_dumps++;
	}
	probe_stop(&p, t, res->lat_busy);
	res->n_busy = p.n;
	free(p.lat);
}

static void print_results(const struct opts *o, struct results *res, bool live)
{
	unsigned runs = o->runs;
	uint64_t cmed = pct(res->cpu, runs, 50), cmin = pct(res->cpu, runs, 0);
	uint64_t cmax = pct(res->cpu, runs, 100);
	uint64_t wmed = pct(res->wall, runs, 50), wmin = pct(res->wall, runs, 0);
	uint64_t wmax = pct(res->wall, runs, 100);

	printf("bench-inspect: ptdump merged of %" PRIu64 " MiB in 4 KiB pages (%" PRIu64 " PTEs), "
	       "%s, %u runs, %ld CPUs\n", o->size >> 20, o->size >> 12,
	       o->synthetic ? "synthetic page tables" : "live guest", runs,
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("  building the mapping: %.3f s (%s)\n", res->build_ns / 1e9,
	       o->synthetic ? "host buffer" : o->write ? "guest write faults" : "guest read faults");
	printf("\n  %-34s %10s %10s %10s\n", "", "median", "min", "max");
	printf("  %-34s %7.2f ms %7.2f ms %7.2f ms\n", "host CPU per dump", cmed / 1e6, cmin / 1e6, cmax / 1e6);
	printf("  %-34s %7.2f ms %7.2f ms %7.2f ms\n", "wall time per dump", wmed / 1e6, wmin / 1e6, wmax / 1e6);
	printf("  %-34s %7.1f ns\n", "host CPU per PTE (median)", (double)cmed / (double)(o->size >> 12));
	printf("  %-34s %10.2f (%lu reads for %u dumps)\n", "snapshot reads per dump",
	       (double)res->attempts / runs, res->attempts, runs);
	printf("  %-34s %10zu (%zu bytes)\n", "lines in the dump", res->lines, res->len);
	printf("  %-34s %7.2f ms (%zu PTEs, %ld violations)\n", "full check (all mms, CPU)",
	       res->chk_cpu / 1e6, res->leaves, res->viol);
	printf("  %-34s %10s\n", "vCPU paused by the reader", "never");
	if (live) {
		printf("  %-34s %7.1f us %7.1f us %7.1f us  (median p99 max, %zu requests)\n",
		       "guest OP_NOP latency, idle", res->lat_idle[0] / 1e3, res->lat_idle[1] / 1e3,
		       res->lat_idle[2] / 1e3, res->n_idle);
		printf("  %-34s %7.1f us %7.1f us %7.1f us  (median p99 max, %zu requests, %lu dumps)\n",
		       "guest OP_NOP latency, dumping", res->lat_busy[0] / 1e3, res->lat_busy[1] / 1e3,
		       res->lat_busy[2] / 1e3, res->n_busy, res->busy_dumps);
		printf("  (dumping: back to back in a third thread; the vCPU, the requester and the\n"
		       "   dumper share the CPUs, so a rise is CPU contention, not the guest waiting)\n");
	}
	printf("\nreproduce: bench-inspect");
	if (o->synthetic)
		printf(" --synthetic");
	else
		printf(" --guest %s --mem %" PRIu64 "M --touch %s", o->guest, o->mem >> 20,
		       o->write ? "write" : "read");
	printf(" --size %" PRIu64 "M --runs %u\n", o->size >> 20, runs);
}

static int live_setup(const struct opts *o, struct vm **vm, struct gmem *g, uint64_t *pml4,
		      struct results *res)
{
	struct vm_config cfg = { .guest_path = o->guest, .mem_size = o->mem, .quiet = true };
	char err[512] = "";
	struct mm_table t;
	uint32_t mm;

	if (vm_create(&cfg, vm, err, sizeof err) != 0) {
		fprintf(stderr, "bench-inspect: %s\n", err);
		if (*vm)
			vm_report_failure(*vm, stderr);
		return -1;
	}
	*g = vm_gmem(*vm);
	uint64_t t0 = ns_of(CLOCK_MONOTONIC);
	if (live_build(*vm, o->size, o->write, &mm) != 0)
		return -1;
	res->build_ns = ns_of(CLOCK_MONOTONIC) - t0;
	if (mmtab_read(g, &t, err, sizeof err) != 0 || !mmtab_find(&t, mm)) {
		fprintf(stderr, "bench-inspect: %s\n", err);
		return -1;
	}
	*pml4 = mmtab_find(&t, mm)->pml4;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct results res = { 0 };
	struct vm *vm = NULL;
	struct gmem g;
	uint64_t pml4 = 0;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r == 1 ? 0 : 2;
	if (o.synthetic) {
		uint64_t t0 = ns_of(CLOCK_MONOTONIC);
		synth_build(&g, o.size, &pml4);
		res.build_ns = ns_of(CLOCK_MONOTONIC) - t0;
	} else if (live_setup(&o, &vm, &g, &pml4, &res) != 0) {
		return 1;
	}

	struct dump_job job = { .pml4 = pml4 };
	res.cpu = calloc(o.runs, sizeof *res.cpu);
	res.wall = calloc(o.runs, sizeof *res.wall);
	if (measure_dumps(&g, &job, o.runs, &res) != 0)
		return 1;
	measure_check(&g, &res);
	if (vm)
		measure_latency(vm, &g, &job, &res);
	print_results(&o, &res, vm != NULL);

	free(job.buf);
	free(res.cpu);
	free(res.wall);
	if (vm)
		vm_destroy(vm);
	else
		free(g.ram);
	return 0;
}
