/*
 * scengen [--v2 [--one-process]] SEED [NOPS]: print a random portable
 * scenario (docs/scenarios.md); --v2 prints one of language version 2,
 * --one-process one without fork, process, exit and expect shared|exclusive
 * (scengen_v2.c).
 *
 * The same SEED always gives the same scenario.  Operations collide in a few
 * small windows of the scenario window, some straddling 2 MiB, 1 GiB and
 * 512 GiB boundaries (where page tables of different levels meet), and mix
 * mmap (MAP_FIXED and noreplace), munmap, mprotect, touch, fill, check, maps,
 * expect mapped/unmapped and calls that must fail (unaligned, zero length,
 * wrapping lengths, addresses beyond TASK_SIZE).  Only portable operations:
 * no `mmap -`, no `expect vmas`.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/scengen/scengen.h"

#define DEFAULT_NOPS    60

/* Start of each collision window: half of it below the boundary it straddles. */
const uint64_t windows[NR_WINDOWS] = {
	0x100000000000ULL,                         /* start of the scenario window */
	0x100000200000ULL - 16 * PAGE,             /* a 2 MiB boundary */
	0x100040000000ULL - 16 * PAGE,             /* a 1 GiB boundary */
	0x108000000000ULL - 16 * PAGE,             /* a 512 GiB boundary */
	0x180000000000ULL - 16 * PAGE,             /* another 512 GiB boundary */
};

static const char *const prots[] = {
	"rw-", "rw-", "rw-", "r--", "r--", "---", "r-x", "rwx", "-w-", "-wx",
};
#define NR_PROTS (sizeof(prots) / sizeof(prots[0]))

uint64_t rng_state;

/* splitmix64: small, fast and the same everywhere. */
uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t rng_below(uint64_t n)
{
	return rng_next() % n;
}

int chance(unsigned percent)
{
	return rng_below(100) < percent;
}

static uint8_t recent_bytes[4] = { 0xab, 0x5a, 0x01, 0xff };

/* The windows this scenario uses: two or three, so that operations collide. */
static uint64_t used[3];
static unsigned nr_used;

static void pick_windows(void)
{
	nr_used = 2 + (unsigned)rng_below(2);
	for (unsigned i = 0; i < nr_used; i++) {
		uint64_t w;
		unsigned j;

		do {
			w = windows[rng_below(NR_WINDOWS)];
			for (j = 0; j < i && used[j] != w; j++)
				;
		} while (j < i);
		used[i] = w;
	}
}

/* An address in one of the scenario's collision windows (page aligned). */
static uint64_t window_addr(void)
{
	return used[rng_below(nr_used)] + rng_below(WINDOW_PAGES) * PAGE;
}

/* A length of a few pages, sometimes not a page multiple. */
static uint64_t small_len(unsigned max_pages)
{
	uint64_t len = (1 + rng_below(max_pages)) * PAGE;

	if (chance(10))
		len -= 1 + rng_below(PAGE - 1);
	return len;
}

void put_num(uint64_t v)
{
	unsigned form = (unsigned)rng_below(10);

	if (form == 0 && v % 1024 == 0 && v)
		printf(" %" PRIu64 "K", v / 1024);
	else if (form == 1 && v < 1000000)
		printf(" %" PRIu64, v);
	else
		printf(" 0x%" PRIx64, v);
}

static const char *pick_prot(void)
{
	return prots[rng_below(NR_PROTS)];
}

/* mmap/munmap/mprotect with arguments that Linux refuses (or nearly). */
static void bad_call(void)
{
	static const char *const ops[] = { "mmap", "munmap", "mprotect" };
	const char *op = ops[rng_below(3)];
	uint64_t addr = window_addr(), len = small_len(4);

	switch (rng_below(7)) {
	case 0:                                    /* unaligned address */
		addr += 1 + rng_below(PAGE - 1);
		break;
	case 1:                                    /* zero length */
		len = 0;
		break;
	case 2:                                    /* a length that wraps */
		len = chance(50) ? UINT64_MAX - rng_below(3) * PAGE : -addr;
		break;
	case 3:                                    /* a length past TASK_SIZE */
		len = TASK_SIZE_4L - addr + (1 + rng_below(4)) * PAGE;
		break;
	case 4:                                    /* straddling TASK_SIZE */
		addr = TASK_SIZE_4L - (1 + rng_below(4)) * PAGE;
		len = (1 + rng_below(8)) * PAGE;
		break;
	case 5:                                    /* beyond user space */
		addr = chance(50) ? 0x800000000000ULL : 0xffff800000000000ULL;
		break;
	default:                                   /* a huge but valid length */
		len = (1 + rng_below(4)) * 0x40000000ULL;
		break;
	}
	printf("%s", op);
	put_num(addr);
	put_num(len);
	if (strcmp(op, "munmap") != 0)
		printf(" %s", pick_prot());
	if (strcmp(op, "mmap") == 0 && chance(30))
		printf(" noreplace");
	printf("\n");
}

static void gen_op(void)
{
	uint64_t r = rng_below(100), addr, len;

	if (r < 20) {                              /* mmap, MAP_FIXED */
		addr = window_addr();
		len = chance(5) ? (1 + rng_below(512)) * PAGE : small_len(12);
		printf("mmap");
		put_num(addr);
		put_num(len);
		printf(" %s\n", pick_prot());
	} else if (r < 27) {                       /* mmap noreplace */
		addr = window_addr();
		printf("mmap");
		put_num(addr);
		put_num(small_len(6));
		printf(" %s noreplace\n", pick_prot());
	} else if (r < 39) {                       /* munmap */
		addr = window_addr();
		len = chance(5) ? (1 + rng_below(512)) * PAGE : small_len(10);
		printf("munmap");
		put_num(addr);
		put_num(len);
		printf("\n");
	} else if (r < 53) {                       /* mprotect */
		addr = window_addr();
		printf("mprotect");
		put_num(addr);
		put_num(small_len(6));
		printf(" %s\n", pick_prot());
	} else if (r < 70) {                       /* touch */
		addr = window_addr();
		printf("touch");
		put_num(addr);
		put_num(small_len(6));
		printf(" %s\n", chance(55) ? "write" : "read");
	} else if (r < 78) {                       /* fill, small */
		uint8_t byte = (uint8_t)rng_next();

		addr = window_addr() + (chance(30) ? rng_below(PAGE) : 0);
		len = 1 + rng_below(chance(50) ? 64 : 6000);
		recent_bytes[rng_below(4)] = byte;
		printf("fill");
		put_num(addr);
		put_num(len);
		printf(" 0x%02x\n", byte);
	} else if (r < 86) {                       /* check */
		addr = window_addr() + (chance(30) ? rng_below(PAGE) : 0);
		len = 1 + rng_below(chance(50) ? 64 : 6000);
		printf("check");
		put_num(addr);
		put_num(len);
		printf(" 0x%02x\n", chance(25) ? 0 : recent_bytes[rng_below(4)]);
	} else if (r < 89) {
		printf("maps\n");
	} else if (r < 94) {                       /* presence of page-table entries */
		addr = window_addr();
		printf("expect %s", chance(50) ? "mapped" : "unmapped");
		put_num(addr);
		put_num(small_len(6));
		printf("\n");
	} else if (r < 95) {
		printf("expect result ok\n");
	} else {
		bad_call();
	}
}

/* One scenario on stdout. */
static void generate(unsigned long long seed, unsigned long long nops, bool v2, bool one)
{
	rng_state = seed;
	if (v2) {
		scengen_v2(seed, nops, one);
		return;
	}
	pick_windows();
	printf("# scengen %llu %llu\n", seed, nops);
	for (unsigned long long i = 0; i + 1 < nops; i++)
		gen_op();
	if (nops)
		printf("maps\n");
}

/* --out-dir DIR FIRST COUNT: DIR/sSEED.scn for each seed, each written by
 * a child of its own (fork, no exec: every scenario starts from the
 * generator's initial state, as in a run of its own).  0, or 1 with a
 * message. */
static int generate_many(const char *dir, unsigned long long first, unsigned long long count,
			 unsigned long long nops, bool v2, bool one)
{
	for (unsigned long long seed = first; seed - first < count; seed++) {
		char path[4096];
		int status;
		pid_t pid;

		snprintf(path, sizeof path, "%s/s%llu.scn", dir, seed);
		fflush(NULL);
		pid = fork();
		if (pid == 0) {
			if (!freopen(path, "w", stdout)) {
				fprintf(stderr, "scengen: cannot write %s: %s\n", path, strerror(errno));
				_exit(1);
			}
			generate(seed, nops, v2, one);
			_exit(fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "scengen: seed %llu into %s failed\n", seed, dir);
			return 1;
		}
	}
	return 0;
}

/* A number argument: 0, or 2 with a message. */
static int number(const char *what, const char *arg, unsigned long long max,
		  unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(arg, &end, 0);
	if (errno || *end || end == arg || arg[0] == '-' || *v > max) {
		fprintf(stderr, "scengen: bad %s '%s'\n", what, arg);
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long long seed, nops = DEFAULT_NOPS, count = 0;
	const char *dir = NULL, *seed_arg, *nops_arg;
	bool v2 = argc > 1 && strcmp(argv[1], "--v2") == 0;
	bool one = v2 && argc > 2 && strcmp(argv[2], "--one-process") == 0;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		printf("usage: scengen [--v2 [--one-process]] SEED [NOPS]\n"
		       "       scengen [--v2 [--one-process]] --out-dir DIR FIRST COUNT [NOPS]\n"
		       "       scengen --help | --version\n"
		       "Print a random portable scenario: the same SEED (decimal or 0x hex)\n"
		       "gives the same scenario; NOPS operations (default %d, at most\n"
		       "1000000), the last one 'maps'.  --v2: a scenario of language\n"
		       "version 2 (processes, mremap, madvise, mlock, mmap flags);\n"
		       "--one-process: version 2 without fork, process, exit, shared\n"
		       "mappings and expect shared|exclusive.  --out-dir: the scenarios of\n"
		       "the COUNT seeds from FIRST, each into DIR/sSEED.scn (DIR exists).\n",
		       DEFAULT_NOPS);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("scengen (vmm-mm) %s\n", VMM_MM_VERSION);
		return 0;
	}
	if (v2) {
		argv += 1 + one;
		argc -= 1 + one;
	}
	if (argc > 2 && strcmp(argv[1], "--out-dir") == 0) {
		/* --out-dir DIR FIRST COUNT [NOPS] */
		dir = argv[2];
		if (argc < 5 || argc > 6) {
			fprintf(stderr, "usage: scengen [--v2 [--one-process]] --out-dir DIR "
				"FIRST COUNT [NOPS]    (scengen --help)\n");
			return 2;
		}
		if (number("COUNT", argv[4], 1000000, &count))
			return 2;
		seed_arg = argv[3];
		nops_arg = argc == 6 ? argv[5] : NULL;
	} else if (argc < 2 || argc > 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: scengen [--v2 [--one-process]] SEED [NOPS]    (scengen --help)\n");
		return 2;
	} else {
		seed_arg = argv[1];
		nops_arg = argc == 3 ? argv[2] : NULL;
	}
	if (number("SEED", seed_arg, ULLONG_MAX, &seed) ||
	    (nops_arg && number("NOPS", nops_arg, 1000000, &nops)))
		return 2;
	if (dir)
		return generate_many(dir, seed, count, nops, v2, one);
	generate(seed, nops, v2, one);
	return 0;
}
