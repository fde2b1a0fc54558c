/*
 * bench-mm: the memory manager's costs, counted in guest ring-0
 * instructions (KVM's insn_emulation counter, exact on kvm_pvm) and in wall
 * time.  Prints tables and the command that reproduces them.
 *
 *   bench-mm [--guest PATH] [--quick] | --help | --version
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/channel.h"
#include "shared/mm_abi.h"
#include "tools/bench/bench_cli.h"
#include "vmm/vm.h"

#define BASE      0x100000000000ULL
#define PAGE      4096ULL
#define RW        (PROT_READ_ABI | PROT_WRITE_ABI)

static struct vm *vm;

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t median(int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	return v[n / 2];
}

static void die(const char *what)
{
	fprintf(stderr, "bench-mm: %s failed: %s\n", what, vm_failure(vm) ? vm_failure(vm) : "bad result");
	exit(1);
}

/* One request (op, mm and IN fields set); returns its result, and its
 * instruction count in *insns. */
static int64_t request(struct chan_slot *s, int64_t *insns)
{
	int64_t before = vm_insn_count(vm);
	if (vm_request(vm, s) != 0)
		die("request");
	if (insns)
		*insns = vm_insn_count(vm) - before;
	return s->result;
}

static int64_t req_mmap(uint32_t mm, uint64_t addr, uint64_t len, int64_t *insns)
{
	struct chan_slot s = { .op = OP_MMAP, .mm = mm,
		.mmap = { .addr = addr, .len = len, .prot = RW, .flags = MMAP_F_FIXED } };
	return request(&s, insns);
}

static int64_t req_munmap(uint32_t mm, uint64_t addr, uint64_t len, int64_t *insns)
{
	struct chan_slot s = { .op = OP_MUNMAP, .mm = mm, .munmap = { .addr = addr, .len = len } };
	return request(&s, insns);
}

static int64_t req_touch_write(uint32_t mm, uint64_t addr, uint64_t len, int64_t *insns)
{
	struct chan_slot s = { .op = OP_TOUCH, .mm = mm,
		.touch = { .addr = addr, .len = len, .mode = TOUCH_WRITE } };
	return request(&s, insns);
}

static uint32_t mm_new(void)
{
	struct chan_slot s = { .op = OP_MM_CREATE };
	if (request(&s, NULL) != 0 || s.mm_create.id == 0)
		die("OP_MM_CREATE");
	return s.mm_create.id;
}

static void mm_free(uint32_t mm)
{
	struct chan_slot s = { .op = OP_MM_DESTROY, .mm = mm };
	request(&s, NULL);
}

/* Requests in batches of CHANNEL_SLOTS; every result must be >= 0. */
static void batch(struct chan_slot *s, unsigned n)
{
	for (unsigned i = 0; i < n; i += CHANNEL_SLOTS) {
		unsigned k = n - i < CHANNEL_SLOTS ? n - i : CHANNEL_SLOTS;
		if (vm_request_batch(vm, s + i, k))
			die("batch");
		for (unsigned j = 0; j < k; j++)
			if (s[i + j].result < 0) {
				fprintf(stderr, "bench-mm: op %u: %lld\n", s[i + j].op,
					(long long)s[i + j].result);
				exit(1);
			}
	}
}

static int64_t nop_insns(void)
{
	int64_t v[31];
	for (int i = 0; i < 31; i++) {
		struct chan_slot s = { .op = OP_NOP };
		request(&s, &v[i]);
	}
	return median(v, 31);
}

/* An mm with n one-page VMAs at BASE + 2 * i pages (a hole after each, so
 * nothing merges).  Only the pages named later get touched. */
static uint32_t mm_with_vmas(unsigned n)
{
	uint32_t mm = mm_new();
	struct chan_slot *s = calloc(n, sizeof(*s));

	for (unsigned i = 0; i < n; i++)
		s[i] = (struct chan_slot){ .op = OP_MMAP, .mm = mm,
			.mmap = { .addr = BASE + 2 * i * PAGE, .len = PAGE, .prot = RW,
				  .flags = MMAP_F_FIXED } };
	batch(s, n);
	free(s);
	return mm;
}

/* Median instructions of munmap of one touched one-page VMA at random
 * positions, and of the mmap that maps it again (a new VMA between two
 * holes, nothing merges): *remap. */
static int64_t munmap_random(uint32_t mm, unsigned nvmas, int samples, int64_t nop,
			     int64_t *remap)
{
	int64_t *v = calloc((size_t)samples, sizeof(*v)), *m = calloc((size_t)samples, sizeof(*m));
	srand(42);
	for (int i = 0; i < samples; i++) {
		uint64_t a = BASE + 2 * (uint64_t)(rand() % nvmas) * PAGE;
		req_touch_write(mm, a, PAGE, NULL);
		if (req_munmap(mm, a, PAGE, &v[i]) != 0)
			die("munmap");
		v[i] -= nop;
		if (req_mmap(mm, a, PAGE, &m[i]) != (int64_t)a)
			die("mmap");
		m[i] -= nop;
	}
	int64_t med = median(v, samples);
	*remap = median(m, samples);
	free(v);
	free(m);
	return med;
}

static long rss_kib(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* 1. munmap of a touched page: 64 VMAs vs 65,530 VMAs; and the mmap of a
 * new one-page VMA among them. */
static void bench_munmap(bool quick, int64_t nop)
{
	unsigned big = quick ? 4096 : MAX_MAP_COUNT;
	int samples = quick ? 21 : 101;
	int64_t r64, rbig;
	uint32_t small_mm = mm_with_vmas(64);
	int64_t m64 = munmap_random(small_mm, 64, samples, nop, &r64);
	mm_free(small_mm);
	double t0 = now_us();
	uint32_t big_mm = mm_with_vmas(big);
	double setup = (now_us() - t0) / 1e6;
	int64_t mbig = munmap_random(big_mm, big, samples, nop, &rbig);
	mm_free(big_mm);
	printf("%-58s %10lld   target <= 1000\n", "munmap 1 touched page, 64 VMAs (median, random positions)", (long long)m64);
	printf("%-50s%-8u %10lld   target <= 1000 (setup %.1f s)\n", "munmap 1 touched page, VMAs: ", big, (long long)mbig, setup);
	printf("%-58s %10.2fx  target <= 1.3x\n", "ratio", (double)mbig / (double)m64);
	printf("%-58s %10lld\n", "mmap 1 page, new VMA, 64 VMAs (median, same positions)", (long long)r64);
	printf("%-50s%-8u %10lld\n", "mmap 1 page, new VMA, VMAs: ", big, (long long)rbig);
}

/* 2. Demand-zero write fault: touch write of a new page minus a present one. */
static void bench_fault(void)
{
	uint32_t mm = mm_new();
	int64_t f[31], p[31];
	for (int i = 0; i < 31; i++) {
		uint64_t a = BASE + (uint64_t)i * PAGE * 2;
		req_mmap(mm, a, PAGE, NULL);
		req_touch_write(mm, a, PAGE, &f[i]);
		req_touch_write(mm, a, PAGE, &p[i]);
	}
	int64_t fault = median(f, 31) - median(p, 31);
	printf("%-58s %10lld   target <= 300\n", "demand-zero write fault (touch new - touch present)", (long long)fault);
	mm_free(mm);
}

/* 3. and 4. 64 MiB: touch from ring 3, then munmap; RSS of this process. */
static void bench_populated(bool quick)
{
	uint64_t len = (quick ? 16ULL : 64ULL) << 20, pages = len / PAGE;
	uint32_t mm = mm_new();
	req_mmap(mm, BASE, len, NULL);
	req_mmap(mm, BASE + len + PAGE, PAGE, NULL);
	long rss0 = rss_kib();
	int64_t ti;
	double t0 = now_us();
	if (req_touch_write(mm, BASE, len, &ti) != ACCESS_OK)
		die("touch");
	double tt = now_us() - t0;
	long rss1 = rss_kib();
	req_touch_write(mm, BASE + len + PAGE, PAGE, NULL);
	int64_t one, all;
	req_munmap(mm, BASE + len + PAGE, PAGE, &one);
	t0 = now_us();
	req_munmap(mm, BASE, len, &all);
	double tm = now_us() - t0;
	long rss2 = rss_kib();
	printf("%-50s%-8llu %10.1f   target <= 50 (total %lld, %.1f ms)\n", "munmap populated, marginal per page, MiB:",
	       (unsigned long long)(len >> 20), (double)(all - one) / (double)(pages - 1), (long long)all, tm / 1e3);
	printf("touch %llu MiB from ring 3, one write per page (%llu faults): %.2f s wall, "
	       "%.1f us and %lld guest instructions per fault\n",
	       (unsigned long long)(len >> 20), (unsigned long long)pages, tt / 1e6,
	       tt / (double)pages, (long long)(ti / (int64_t)pages));
	printf("\n%-58s %8ld KiB\n%-58s %8ld KiB\n%-58s %8ld KiB\n", "vmm RSS before touching",
	       rss0, "vmm RSS after touching", rss1, "vmm RSS after munmap (frames discarded to host)", rss2);
}

static const char help[] =
	"usage: bench-mm [--guest PATH] [--quick] | --help | --version\n"
	"\n"
	"The memory manager's costs in a booted guest (512 MiB), in guest ring-0\n"
	"instructions (KVM's insn_emulation counter) and wall time: munmap of a\n"
	"touched page among 64 and 65,530 VMAs, mmap of a new page among them, a\n"
	"demand-zero write fault, touching and unmapping 64 MiB, vmm's RSS.\n"
	"Needs /dev/kvm.\n"
	"\n"
	"  --guest PATH   guest kernel (default build/bin/guest.elf, from the source tree)\n"
	"  --quick        4,096 VMAs and 16 MiB instead, for a fast look\n"
	"\n"
	"Reproduce: build/bin/bench-mm (a plain build; where this machine has no\n"
	"/dev/kvm, inside tools/kvm-machine.sh; docs/benchmarks.md has the results).\n";

int main(int argc, char **argv)
{
	const char *guest = "build/bin/guest.elf";
	bool quick = false;
	static const struct option opts[] = {
		{ "guest", required_argument, NULL, 'g' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, BENCH_OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'g')
			guest = optarg;
		else if (c == 'q')
			quick = true;
		else if (c == 'h') {
			fputs(help, stdout);
			return 0;
		} else if (c == BENCH_OPT_VERSION)
			return bench_version("bench-mm");
		else
			return bench_refuse("bench-mm", help, NULL);
	}
	if (optind != argc)
		return bench_refuse("bench-mm", help, argv[optind]);
	struct vm_config cfg = { .guest_path = guest, .mem_size = 512ULL << 20, .quiet = true };
	char err[512];
	if (vm_create(&cfg, &vm, err, sizeof(err))) {
		fprintf(stderr, "bench-mm: %s\n", err);
		return 1;
	}
	printf("# bench-mm: guest ring-0 instructions (KVM insn_emulation) and wall time\n");
	printf("# reproduce: build/bin/bench-mm%s\n\n", quick ? " --quick" : "");
	int64_t nop = nop_insns();
	printf("%-58s %10lld\n", "no-op request (channel overhead, subtracted below)", (long long)nop);
	bench_munmap(quick, nop);
	bench_fault();
	bench_populated(quick);
	vm_destroy(vm);
	return 0;
}
