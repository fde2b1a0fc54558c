/*
 * bench-mm: the memory manager's costs, counted in guest ring-0
 * instructions (KVM's insn_emulation counter, exact on kvm_pvm) and in wall
 * time.  Prints tables and the command that reproduces them.
 *
 *   bench-mm [--guest PATH] [--quick]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/channel.h"
#include "shared/mm_abi.h"
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

/* One request; returns its result, and its instruction count in *insns. */
static int64_t call(uint16_t op, uint32_t mm, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		    int64_t *insns)
{
	int64_t before = vm_insn_count(vm);
	int64_t r = vm_call(vm, op, mm, a0, a1, a2, a3, NULL);
	if (insns)
		*insns = vm_insn_count(vm) - before;
	if (vm_failure(vm))
		die("request");
	return r;
}

/* Requests in batches of CHANNEL_SLOTS; every result must be want(result). */
static void batch(struct chan_slot *s, unsigned n)
{
	for (unsigned i = 0; i < n; i += CHANNEL_SLOTS) {
		unsigned k = n - i < CHANNEL_SLOTS ? n - i : CHANNEL_SLOTS;
		if (vm_submit(vm, s + i, k))
			die("batch");
		for (unsigned j = 0; j < k; j++)
			if (s[i + j].result < 0) {
				fprintf(stderr, "bench-mm: op %u at %#llx: %lld\n", s[i + j].op,
					(unsigned long long)s[i + j].arg[0], (long long)s[i + j].result);
				exit(1);
			}
	}
}

static int64_t nop_insns(void)
{
	int64_t v[31];
	for (int i = 0; i < 31; i++)
		call(OP_NOP, 0, 0, 0, 0, 0, &v[i]);
	return median(v, 31);
}

/* An mm with n one-page VMAs at BASE + 2 * i pages (a hole after each, so
 * nothing merges).  Only the pages named later get touched. */
static uint32_t mm_with_vmas(unsigned n)
{
	uint32_t mm = (uint32_t)call(OP_MM_CREATE, 0, 0, 0, 0, 0, NULL);
	struct chan_slot *s = calloc(n, sizeof(*s));

	for (unsigned i = 0; i < n; i++)
		s[i] = (struct chan_slot){ .op = OP_MMAP, .mm = mm,
			.arg = { BASE + 2 * i * PAGE, PAGE, RW, MMAP_F_FIXED } };
	batch(s, n);
	free(s);
	return mm;
}

/* Median instructions of munmap of one touched one-page VMA at random
 * positions (each restored afterwards, not counted). */
static int64_t munmap_random(uint32_t mm, unsigned nvmas, int samples, int64_t nop)
{
	int64_t *v = calloc((size_t)samples, sizeof(*v));
	srand(42);
	for (int i = 0; i < samples; i++) {
		uint64_t a = BASE + 2 * (uint64_t)(rand() % nvmas) * PAGE;
		call(OP_TOUCH, mm, a, PAGE, TOUCH_WRITE, 0, NULL);
		if (call(OP_MUNMAP, mm, a, PAGE, 0, 0, &v[i]) != 0)
			die("munmap");
		v[i] -= nop;
		if (call(OP_MMAP, mm, a, PAGE, RW, MMAP_F_FIXED, NULL) != (int64_t)a)
			die("mmap");
	}
	int64_t m = median(v, samples);
	free(v);
	return m;
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

int main(int argc, char **argv)
{
	const char *guest = "build/bin/guest.elf";
	bool quick = false;
	static const struct option opts[] = {
		{ "guest", required_argument, NULL, 'g' },
		{ "quick", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'g')
			guest = optarg;
		else if (c == 'q')
			quick = true;
		else {
			fprintf(stderr, "usage: bench-mm [--guest PATH] [--quick]\n");
			return 2;
		}
	}
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

	/* 1. munmap of a touched page: 64 VMAs vs 65,530 VMAs. */
	unsigned big = quick ? 4096 : MAX_MAP_COUNT;
	int samples = quick ? 21 : 101;
	uint32_t small_mm = mm_with_vmas(64);
	int64_t m64 = munmap_random(small_mm, 64, samples, nop);
	call(OP_MM_DESTROY, small_mm, 0, 0, 0, 0, NULL);
	double t0 = now_us();
	uint32_t big_mm = mm_with_vmas(big);
	double setup = (now_us() - t0) / 1e6;
	int64_t mbig = munmap_random(big_mm, big, samples, nop);
	call(OP_MM_DESTROY, big_mm, 0, 0, 0, 0, NULL);
	printf("%-58s %10lld   target <= 1000\n", "munmap 1 touched page, 64 VMAs (median, random positions)", (long long)m64);
	printf("%-50s%-8u %10lld   target <= 1000 (setup %.1f s)\n", "munmap 1 touched page, VMAs: ", big, (long long)mbig, setup);
	printf("%-58s %10.2fx  target <= 1.3x\n", "ratio", (double)mbig / (double)m64);

	/* 2. Demand-zero write fault: touch write of a new page minus a present one. */
	uint32_t mm = (uint32_t)call(OP_MM_CREATE, 0, 0, 0, 0, 0, NULL);
	int64_t f[31], p[31];
	for (int i = 0; i < 31; i++) {
		uint64_t a = BASE + (uint64_t)i * PAGE * 2;
		call(OP_MMAP, mm, a, PAGE, RW, MMAP_F_FIXED, NULL);
		call(OP_TOUCH, mm, a, PAGE, TOUCH_WRITE, 0, &f[i]);
		call(OP_TOUCH, mm, a, PAGE, TOUCH_WRITE, 0, &p[i]);
	}
	int64_t fault = median(f, 31) - median(p, 31);
	printf("%-58s %10lld   target <= 300\n", "demand-zero write fault (touch new - touch present)", (long long)fault);
	call(OP_MM_DESTROY, mm, 0, 0, 0, 0, NULL);

	/* 3. and 4. 64 MiB: touch from ring 3, then munmap; RSS of this process. */
	uint64_t len = (quick ? 16ULL : 64ULL) << 20, pages = len / PAGE;
	mm = (uint32_t)call(OP_MM_CREATE, 0, 0, 0, 0, 0, NULL);
	call(OP_MMAP, mm, BASE, len, RW, MMAP_F_FIXED, NULL);
	call(OP_MMAP, mm, BASE + len + PAGE, PAGE, RW, MMAP_F_FIXED, NULL);
	long rss0 = rss_kib();
	int64_t ti;
	t0 = now_us();
	if (call(OP_TOUCH, mm, BASE, len, TOUCH_WRITE, 0, &ti) != ACCESS_OK)
		die("touch");
	double tt = now_us() - t0;
	long rss1 = rss_kib();
	call(OP_TOUCH, mm, BASE + len + PAGE, PAGE, TOUCH_WRITE, 0, NULL);
	int64_t one, all;
	call(OP_MUNMAP, mm, BASE + len + PAGE, PAGE, 0, 0, &one);
	t0 = now_us();
	call(OP_MUNMAP, mm, BASE, len, 0, 0, &all);
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
	vm_destroy(vm);
	return 0;
}
