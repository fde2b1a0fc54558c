/*
 * bench-shootdown-wall: the wall time of a munmap that shoots down other
 * CPUs, on the real guest under KVM.  One mm of 128 touched pages; CPU 0
 * unmaps 1 or 64 of them (page flushes, or beyond the 33-page ceiling a
 * full flush: the page table stays, its other pages are mapped), maps and
 * touches them again, R times; meanwhile CPUs 1 .. k-1 keep the mm loaded
 * and active: each runs fill requests over another BUSY_PAGES pages of the
 * same mm in a loop (ring 3, interrupts on), so that the munmap finds them
 * in its cpu_mask and not lazy.  Two times: the host's, around the munmap
 * request (channel round trip included: the k = 1 row is that base), and
 * the guest's, CPU 0's TSC from the shootdown's set-up to its last
 * acknowledgement (mm_cpu_tlb.shootdown_tsc).  The IPIs are CPU 0's
 * published ipis_sent before and after (a CPU between two fills is lazy and
 * skipped, so a round may send fewer than k - 1; the last two columns take
 * the rounds that reached every other CPU).
 *
 *   bench-shootdown-wall [--guest PATH] [--cpus N] [--rounds R] | --help | --version
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/channel.h"
#include "shared/layout.h"
#include "shared/mm_abi.h"
#include "tools/bench/bench_cli.h"
#include "vmm/vm.h"

#define WIN   0x100000000000ULL
#define BUSY  0x100040000000ULL
#define PG    4096ULL
#define RW    (PROT_READ_ABI | PROT_WRITE_ABI)
#define BUSY_PAGES 1024

static struct vm *vm;
static volatile int stop;

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* One request on cpu: its result (and s's OUT fields in *out, if set). */
static int64_t req_out(unsigned cpu, struct chan_slot s, struct chan_slot *out)
{
	if (vm_request_on(vm, cpu, &s, 1) != 0) {
		fprintf(stderr, "bench-shootdown-wall: request %u on CPU %u failed: %s\n", s.op, cpu,
			vm_failure(vm) ? vm_failure(vm) : "no answer");
		exit(1);
	}
	if (out)
		*out = s;
	return s.result;
}

static int64_t req(unsigned cpu, struct chan_slot s)
{
	return req_out(cpu, s, NULL);
}

static void must(int64_t r, int64_t want, const char *what)
{
	if (r != want) {
		fprintf(stderr, "bench-shootdown-wall: %s: %lld\n", what, (long long)r);
		exit(1);
	}
}

static int64_t mmap_fixed(uint32_t mm, uint64_t addr, uint64_t len)
{
	return req(0, (struct chan_slot){ .op = OP_MMAP, .mm = mm,
		   .mmap = { .addr = addr, .len = len, .prot = RW, .flags = MMAP_F_FIXED } });
}

static int64_t touch_write(uint32_t mm, uint64_t addr, uint64_t len)
{
	return req(0, (struct chan_slot){ .op = OP_TOUCH, .mm = mm,
		   .touch = { .addr = addr, .len = len, .mode = TOUCH_WRITE } });
}

static struct mm_cpu_tlb tlb_of(unsigned cpu)
{
	struct gmem g = vm_gmem(vm);
	struct mm_cpu_tlb e;

	if (gmem_read(&g, MM_TABLE_GPA + offsetof(struct mm_table, cpus) + cpu * sizeof(e), &e,
		      sizeof(e)))
		exit(1);
	return e;
}

struct busy {
	pthread_t th;
	unsigned cpu;
	uint32_t mm;
};

/* CPU b->cpu in ring 3 on the mm, fill after fill, until stop. */
static void *busy_loop(void *arg)
{
	struct busy *b = arg;

	while (!stop)
		must(req(b->cpu, (struct chan_slot){ .op = OP_FILL, .mm = b->mm,
			 .fill = { .addr = BUSY, .len = BUSY_PAGES * PG, .byte = b->cpu } }), ACCESS_OK, "fill");
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The median of the n values (sorted in place); 0 for none. */
static double median(double *v, unsigned n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double tsc_khz;

/* R munmaps of pages pages with the mm active on CPUs 0 .. k-1. */
static void row(unsigned k, unsigned pages, unsigned rounds)
{
	double all[rounds], host[rounds], guest[rounds];
	unsigned nfull = 0;
	uint64_t ipis = 0;
	struct busy b[VM_MAX_CPUS];
	struct chan_slot made;
	uint32_t mm;

	must(req_out(0, (struct chan_slot){ .op = OP_MM_CREATE }, &made), 0, "mm_create");
	mm = made.mm_create.id;
	must(mmap_fixed(mm, WIN, 128 * PG), (int64_t)WIN, "mmap");
	must(touch_write(mm, WIN, 128 * PG), ACCESS_OK, "touch");
	must(mmap_fixed(mm, BUSY, BUSY_PAGES * PG), (int64_t)BUSY, "mmap busy");
	must(touch_write(mm, BUSY, BUSY_PAGES * PG), ACCESS_OK, "touch busy");
	stop = 0;
	for (unsigned c = 1; c < k; c++) {
		b[c] = (struct busy){ .cpu = c, .mm = mm };
		if (pthread_create(&b[c].th, NULL, busy_loop, &b[c]))
			exit(1);
	}
	for (unsigned r = 0; r < rounds; r++) {
		struct mm_cpu_tlb before = tlb_of(0), after;
		double t0 = now_us();
		must(req(0, (struct chan_slot){ .op = OP_MUNMAP, .mm = mm,
			 .munmap = { .addr = WIN + 8 * PG, .len = pages * PG } }), 0, "munmap");
		double t1 = now_us();

		after = tlb_of(0);
		all[r] = t1 - t0;
		ipis += after.ipis_sent - before.ipis_sent;
		if (k > 1 && after.ipis_sent - before.ipis_sent == k - 1) {
			host[nfull] = t1 - t0;
			guest[nfull++] = tsc_khz ? (double)after.shootdown_tsc * 1000.0 / tsc_khz : 0;
		}
		must(mmap_fixed(mm, WIN + 8 * PG, pages * PG), (int64_t)(WIN + 8 * PG), "mmap again");
		must(touch_write(mm, WIN + 8 * PG, pages * PG), ACCESS_OK, "touch again");
	}
	stop = 1;
	for (unsigned c = 1; c < k; c++)
		pthread_join(b[c].th, NULL);
	must(req(0, (struct chan_slot){ .op = OP_MM_DESTROY, .mm = mm }), 0, "mm_destroy");
	printf("| %u page%s | %u | %.0f | %.2f |", pages, pages == 1 ? "" : "s", k,
	       median(all, rounds), (double)ipis / rounds);
	if (k > 1)
		printf(" %u of %u | %.0f | %.1f |\n", nfull, rounds, median(host, nfull),
		       median(guest, nfull));
	else
		printf(" - | - | - |\n");
	fflush(stdout);
}

static const char help[] =
	"usage: bench-shootdown-wall [--guest PATH] [--cpus N] [--rounds R] | --help | --version\n"
	"\n"
	"Wall time of a 1-page and a 64-page munmap on CPU 0 of the real guest (KVM)\n"
	"with the mm active on 1, 2, 4 ... N CPUs (the others run fill requests on it\n"
	"meanwhile), R rounds each (default 31): the median in microseconds, host\n"
	"clock around the request, the IPIs CPU 0 sent per munmap, and the median of\n"
	"the rounds that reached every other CPU.  Needs /dev/kvm (here: inside\n"
	"tools/kvm-machine.sh --cpus 2 or more).\n"
	"\n"
	"  --guest PATH   the guest kernel (default build/bin/guest.elf)\n"
	"  --cpus N       the VM's CPUs, 2 to 8 (default 4)\n"
	"  --rounds R     munmaps per row, 1 to 1001 (default 31)\n"
	"\n"
	"Reproduce: build/bin/bench-shootdown-wall (a plain build; docs/benchmarks.md\n"
	"has the results and the machine they come from).\n";

int main(int argc, char **argv)
{
	const char *guest = "build/bin/guest.elf";
	unsigned cpus = 4, rounds = 31;
	static const struct option opts[] = {
		{ "guest", required_argument, NULL, 'g' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, BENCH_OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'g')
			guest = optarg;
		else if (c == 'c' && atoi(optarg) >= 2 && atoi(optarg) <= VM_MAX_CPUS)
			cpus = (unsigned)atoi(optarg);
		else if (c == 'r' && atoi(optarg) >= 1 && atoi(optarg) <= 1001)
			rounds = (unsigned)atoi(optarg);
		else if (c == 'h') {
			fputs(help, stdout);
			return 0;
		} else if (c == BENCH_OPT_VERSION)
			return bench_version("bench-shootdown-wall");
		else
			return bench_refuse("bench-shootdown-wall", help, NULL);
	}
	if (optind != argc)
		return bench_refuse("bench-shootdown-wall", help, argv[optind]);
	struct vm_config cfg = { .guest_path = guest, .mem_size = 256ULL << 20, .quiet = true,
				 .nr_cpus = cpus };
	char err[512];
	if (vm_create(&cfg, &vm, err, sizeof(err))) {
		fprintf(stderr, "bench-shootdown-wall: %s\n", err);
		return 1;
	}
	tsc_khz = (double)vm_tsc_khz(vm);
	printf("# bench-shootdown-wall: munmap on CPU 0, the mm active on k CPUs; a VM of %u\n"
	       "# CPUs, %u rounds per row, medians in microseconds: the host's clock around\n"
	       "# the request, and the guest's TSC (%.0f kHz) from the shootdown's set-up\n"
	       "# to its last acknowledgement (mm_cpu_tlb.shootdown_tsc)\n\n",
	       cpus, rounds, tsc_khz);
	printf("| munmap | k | request, host us | IPIs per munmap | rounds that reached all k-1 |"
	       " their request, host us | their shootdown, guest TSC us |\n"
	       "|---|---:|---:|---:|---:|---:|---:|\n");
	for (unsigned pages = 1; pages <= 64; pages *= 64)
		for (unsigned k = 1; k <= cpus; k *= 2)
			row(k, pages, rounds);
	printf("\nreproduce: build/bin/bench-shootdown-wall --cpus %u --rounds %u\n", cpus, rounds);
	vm_destroy(vm);
	return 0;
}
