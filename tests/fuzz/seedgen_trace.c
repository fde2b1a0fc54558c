/*
 * fuzz_trace's seeds (tests/fuzz/fuzz_trace.h's input): the records of
 * real guest runs, as docs/trace.md shows them (the seed's munmap of a
 * hole with the mmap and touch before it, an mprotect of one page, faults
 * of each kind, the other requests), written op by op as the guest writes
 * them, and drained, formatted and commanded in each way; then the same
 * trace under each hostile move of the guest (overflow, torn record,
 * corrupted fields, heads jumping and going back, a raw area).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "shared/channel.h"
#include "tests/fuzz/fuzz_trace.h"

#define UVA 0x100000000000ULL

static FILE *seed;

static void u8(unsigned v)
{
	fputc((int)(v & 0xff), seed);
}

static void u64(uint64_t v)
{
	for (unsigned i = 0; i < 8; i++)
		u8((unsigned)(v >> 8 * i));
}

/* One record on cpu: op byte, event, mask of the nonzero arguments, them. */
static void rec(unsigned cpu, unsigned ev, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		uint64_t a4)
{
	const uint64_t a[5] = { a0, a1, a2, a3, a4 };
	unsigned mask = 0;

	for (unsigned i = 0; i < 5; i++)
		mask |= a[i] ? 1u << i : 0;
	u8(FT_OP_WRITE << 2 | cpu);
	u8(ev);
	u8(mask);
	for (unsigned i = 0; i < 5; i++)
		if (a[i])
			u64(a[i]);
}

static void drain(unsigned cmd)
{
	u8(FT_OP_DRAIN << 2);
	u8(cmd);
}

static void req(unsigned cpu, unsigned op, uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3)
{
	rec(cpu, TEV_REQ_ENTER, op | 1u << 16, w0, w1, w2, w3);
}

static void req_exit(unsigned cpu, unsigned op, uint64_t result)
{
	rec(cpu, TEV_REQ_EXIT, op, result, 0, 0, 0);
}

static void fault(unsigned cpu, uint64_t addr, unsigned code, unsigned kind, uint64_t frame,
		  uint64_t result)
{
	rec(cpu, TEV_FAULT_ENTER, addr, code, 0, 0, 0);
	rec(cpu, TEV_FAULT_RESOLVE, kind, addr, frame, 0, 0);
	rec(cpu, TEV_FAULT_EXIT, result, 0, 0, 0, 0);
}

/* docs/trace.md's run: mmap 16K, touch it, munmap a hole at +4K, maps. */
static void hole(unsigned cpu)
{
	req(cpu, OP_MMAP, UVA, 0x4000, 0x100000003ULL, 0);
	rec(cpu, TEV_VMA_MERGE, TRACE_MERGE_NONE, UVA, UVA + 0x4000, TRACE_WHY_NONE, TRACE_WHY_NONE);
	rec(cpu, TEV_VMA_LINK, UVA, UVA + 0x4000, 0x100073, 0, 0);
	req_exit(cpu, OP_MMAP, UVA);
	req(cpu, OP_TOUCH, UVA, 0x4000, 1, 0);
	for (unsigned i = 0; i < 4; i++)
		fault(cpu, UVA + 0x1000ULL * i, 2, TRACE_FAULT_NEW, 0x1ba000 + 0x1000ULL * i, 0);
	req_exit(cpu, OP_TOUCH, 0);
	req(cpu, OP_MUNMAP, UVA + 0x1000, 0x1000, 0, 0);
	rec(cpu, TEV_FIND_VMA_PREV, UVA + 0x1000, UVA, UVA + 0x4000, 0, 0);
	rec(cpu, TEV_SPLIT_VMA, UVA + 0x1000, UVA, UVA + 0x4000, 1, 0);
	rec(cpu, TEV_SPLIT_VMA, UVA + 0x2000, UVA + 0x1000, UVA + 0x4000, 2, 0);
	rec(cpu, TEV_DETACH, UVA + 0x1000, UVA + 0x2000, 1, 2, 0);
	rec(cpu, TEV_UNMAP_REGION_ENTER, UVA + 0x1000, UVA + 0x2000, UVA + 0x1000, UVA + 0x2000, 0);
	rec(cpu, TEV_ZAP_PTES, UVA + 0x1000, UVA + 0x2000, 1, 0x1b8000, 0);
	rec(cpu, TEV_FREE_PGTABLE, 1, UVA, UVA + 0x1000, UVA + 0x2000, 3);
	rec(cpu, TEV_TLB_FLUSH, UVA + 0x1000, UVA + 0x2000, 1, 0, 33);
	rec(cpu, TEV_FREE_GATHERED, 1, 0, 0, 0, 0);
	rec(cpu, TEV_UNMAP_REGION_EXIT, 0, 0, 0, 0, 0);
	rec(cpu, TEV_REMOVE_VMA_LIST, 1, UVA + 0x1000, UVA + 0x2000, 0, 0);
	req_exit(cpu, OP_MUNMAP, 0);
	req(cpu, OP_VMA_LIST, 0, 0, 0, 0);           /* maps: left out */
	req_exit(cpu, OP_VMA_LIST, 2);
}

/* docs/trace.md's other run, and the rest of the events and requests. */
static void others(unsigned cpu)
{
	req(cpu, OP_MMAP, UVA + 0x4000, 0x2000, 0x100000003ULL, 0);
	rec(cpu, TEV_VMA_MERGE, TRACE_MERGE_PREV, UVA + 0x4000, UVA + 0x6000, 0, TRACE_WHY_NONE);
	req_exit(cpu, OP_MMAP, UVA + 0x4000);
	req(cpu, OP_MPROTECT, UVA + 0x1000, 0x1000, 1, 0);
	rec(cpu, TEV_VMA_MERGE, TRACE_MERGE_NONE, UVA + 0x1000, UVA + 0x2000, TRACE_WHY_EDGE,
	    TRACE_WHY_EDGE);
	rec(cpu, TEV_SPLIT_VMA, UVA + 0x1000, UVA, UVA + 0x6000, 2, 0);
	rec(cpu, TEV_SPLIT_VMA, UVA + 0x2000, UVA + 0x1000, UVA + 0x6000, 3, 0);
	rec(cpu, TEV_VMA_FLAGS, UVA + 0x1000, UVA + 0x2000, 0x100073, 0x71, 0);
	rec(cpu, TEV_CHANGE_PROT, UVA + 0x1000, UVA + 0x2000, 0x71, 0, 0);
	rec(cpu, TEV_FREE_GATHERED, 0, 0, 0, 0, 0);
	req_exit(cpu, OP_MPROTECT, 0);
	req(cpu, OP_TOUCH, UVA + 0x8000, 0x3000, 0, 0);
	fault(cpu, UVA + 0x8000, 0, TRACE_FAULT_ZERO, 0x1b2000, 0);
	fault(cpu, UVA + 0x9000, 3, TRACE_FAULT_COW, 0x1c0000, 0);
	fault(cpu, UVA + 0xa000, 3, TRACE_FAULT_FIX, 0x1c1000, 0);
	fault(cpu, 0x10, 2, 0, 0, 1);                /* SEGV_MAPERR */
	fault(cpu, UVA + 0x1000, 3, 0, 0, 2);        /* SEGV_ACCERR */
	req_exit(cpu, OP_TOUCH, 0);
	req(cpu, OP_MREMAP, UVA + 0x8000, 0x1000, 0x3000, 0);
	rec(cpu, TEV_MOVE_VMA, UVA + 0x8000, 0x1000, UVA + 0x20000, 0x3000, 0);
	req_exit(cpu, OP_MREMAP, UVA + 0x20000);
	req(cpu, OP_MADVISE, UVA, 0x1000, 4, 0);
	req_exit(cpu, OP_MADVISE, (uint64_t)-22);    /* -EINVAL */
	req(cpu, OP_MLOCK, UVA, 0x2000, 1, 0);
	rec(cpu, TEV_POPULATE, UVA, UVA + 0x2000, 1, 0, 0);
	req_exit(cpu, OP_MLOCK, (uint64_t)-12);      /* -ENOMEM */
	req(cpu, OP_MMAP, 0, 0x1000, 0x200000001ULL, 0);
	rec(cpu, TEV_VMA_MERGE, TRACE_MERGE_BOTH, UVA + 0x6000, UVA + 0x7000, 0, 0);
	rec(cpu, TEV_TLB_FLUSH, UVA, UVA + 0x100000, 0x6, 1, 33);   /* full, IPIs */
	req_exit(cpu, OP_MMAP, 0x7fff00000000ULL);
}

static void open_seed(const char *dir, const char *name, unsigned flags, unsigned every)
{
	char path[1024];

	snprintf(path, sizeof path, "%s/fuzz_trace/%s", dir, name);
	if (!(seed = fopen(path, "wb"))) {
		perror(path);
		exit(1);
	}
	u8(flags);
	u8(every);
}

static void close_seed(void)
{
	if (fclose(seed) != 0) {
		perror("fuzz_trace seed");
		exit(1);
	}
}

/* The real runs on one CPU, read per request (as vmm reads after each
 * line), through the VM in sink format sink with the commands cmds. */
static void real(const char *dir, const char *name, unsigned flags, const unsigned *cmds)
{
	open_seed(dir, name, flags, 0);
	hole(0);
	drain(cmds[0]);
	others(0);
	drain(cmds[1]);
	hole(0);
	close_seed();
}

static void hostile(const char *dir)
{
	open_seed(dir, "overflow", FT_VM, 0);        /* more than a ring per line */
	hole(0);
	u8(FT_OP_REPEAT << 2);
	u8(20);
	drain(3);
	close_seed();
	open_seed(dir, "torn", 0, 0);                /* a half-written record */
	hole(1);
	u8(FT_OP_REPEAT << 2 | 1);
	u8(8);
	u8(FT_OP_TORN << 2 | 1);
	u8(12);
	rec(1, TEV_ZAP_PTES, 1, 2, 3, 4, 5);
	drain(0);
	close_seed();
	open_seed(dir, "corrupt", 0, 0);             /* seq, event, CPU rewritten */
	hole(2);
	for (unsigned f = 0; f < 3; f++) {
		u8(FT_OP_CORRUPT << 2 | 2);
		u8(3 + f), u8(0), u8(f), u64(0xffffffff);
	}
	drain(4);
	close_seed();
	open_seed(dir, "heads", FT_VM | 2u << 2, 0); /* heads jump and go back */
	hole(3);
	drain(2);
	u8(FT_OP_JUMP << 2 | 3), u64(1ULL << 40);
	hole(3);
	drain(2);
	u8(FT_OP_BACK << 2 | 3), u8(5), u8(0);
	others(3);
	close_seed();
}

void trace_seeds(const char *dir);

void trace_seeds(const char *dir)
{
	static const unsigned take[] = { 5, 5 }, none[] = { 4, 4 };
	static const unsigned to_chrome_text[] = { 3, 1 }, to_json_chrome[] = { 2, 3 };
	char path[1024];

	snprintf(path, sizeof path, "%s/fuzz_trace", dir);
	mkdir(path, 0755);
	real(dir, "real-text", FT_VM, take);
	real(dir, "real-json", FT_VM | 1u << 2 | FT_KHZ, to_chrome_text);
	real(dir, "real-chrome", FT_VM | 2u << 2, none);
	real(dir, "real-trace-file", FT_VM | 3u << 2 | FT_KHZ, to_json_chrome);
	open_seed(dir, "four-cpus", 0, 5);           /* interleaved, drained every 5 */
	for (unsigned c = 0; c < TRACE_CPUS; c++)
		hole(c);
	others(1);
	close_seed();
	hostile(dir);
	open_seed(dir, "raw", FT_RAW, 0);            /* one record, raw */
	u64(1), u64(0), u64(0), u64(0);
	u64(FT_TSC0), u8(TEV_SPLIT_VMA), u8(0), u8(0), u8(0), u8(0), u8(0), u8(0), u8(0);
	u64(UVA), u64(UVA - 0x1000), u64(UVA + 0x1000), u64(1), u64(0), u64(0);
	close_seed();
}
