/*
 * scengen --v2's memory operations: mmap with flags, munmap, mprotect,
 * touch/fill/check, madvise, mlock/munlock and mremap, each printed and
 * applied to the current process's page model (v2_model.h), reading only
 * where the model says a read is safe.
 */
#include <inttypes.h>
#include <stdio.h>

#include "tools/scengen/scengen.h"
#include "tools/scengen/scengen_v2.h"

#define MAX_PAGES_OP    16      /* pages of one range */

static const char *const advices[] = {
	"normal", "random", "sequential", "dontneed", "dontfork", "dofork",
	"wipeonfork", "keeponfork", "populate_read", "populate_write",
};

/* ---- memory operations ---- */

void gen_mmap(void)
{
	/* noreplace, then SCEN_MAP_* in order: printed in any order (the
	 * parser sorts them), starting at a random one. */
	static const char *const words[] = { "noreplace", "shared", "noreserve", "populate",
					     "locked", "growsdown" };
	static const unsigned odds[] = { 25, 25, 15, 15, 10, 10 };
	uint64_t addr = v2_waddr(), len = v2_plen(MAX_PAGES_OP);
	unsigned set = 0, prot, start = (unsigned)rng_below(6);
	const char *pw;
	int first, end;

	prot = v2_pick_prot(&pw);
	for (unsigned k = 0; k < 6; k++)
		if (chance(odds[k]))
			set |= 1u << k;
	if (v2_one_process)
		set &= ~2u;             /* shared memory is about processes */
	/* Populating readable private memory that cannot be written reads. */
	if (!(set & 2u) && prot && !(prot & M_WRITE))
		set &= ~(8u | 16u);
	v2_put_range("mmap", addr, len);
	printf(" %s", pw);
	for (unsigned k = 0; k < 6; k++)
		if (set & (1u << ((start + k) % 6)))
			printf(" %s", words[(start + k) % 6]);
	printf("\n");
	if (v2_range(addr, len, &first, &end))
		v2_mmap(v2_cur(), first, end, prot, set >> 1, set & 1u);
}

void gen_unmap_protect(void)
{
	uint64_t addr = v2_waddr(), len = v2_plen(MAX_PAGES_OP);
	int first, end;

	if (!v2_range(addr, len, &first, &end))
		return;
	if (chance(45)) {
		v2_put_range("munmap", addr, len);
		printf("\n");
		v2_munmap(v2_cur(), first, end);
	} else {
		const char *pw;
		unsigned prot = v2_pick_prot(&pw);

		v2_put_range("mprotect", addr, len);
		printf(" %s\n", pw);
		v2_mprotect(v2_cur(), first, end, prot);
	}
}

/* touch, fill, check: a read only where the model says it is safe, else
 * the write of the same range. */
void gen_access(void)
{
	unsigned kind = (unsigned)rng_below(3);     /* touch, fill, check */
	uint64_t addr = v2_waddr(), len;
	bool write = kind == 1 || (kind == 0 && chance(55));
	int first, end;

	if (kind == 0) {
		len = v2_plen(MAX_PAGES_OP);
	} else {
		addr += chance(30) ? rng_below(PAGE) : 0;
		len = 1 + rng_below(chance(50) ? 64 : 6000);
	}
	if (!v2_range(addr, len, &first, &end))
		return;
	if (!write && !v2_read_safe(v2_cur(), first, end)) {
		write = true;
		kind = kind == 2 ? 1 : kind;
	}
	if (kind == 0) {
		v2_put_range("touch", addr, len);
		printf(" %s\n", write ? "write" : "read");
	} else if (kind == 1) {
		uint8_t b = (uint8_t)rng_next();

		v2_bytes[rng_below(4)] = b;
		v2_put_range("fill", addr, len);
		printf(" 0x%02x\n", b);
	} else {
		v2_put_range("check", addr, len);
		printf(" 0x%02x\n", chance(25) ? 0 : v2_bytes[rng_below(4)]);
	}
	if (write)
		v2_write(v2_cur(), first, end);
}

void gen_madvise(void)
{
	unsigned adv = (unsigned)rng_below(10);
	uint64_t addr = v2_waddr(), len = v2_plen(MAX_PAGES_OP);
	bool unaligned = chance(5);
	int first, end;

	if (!v2_range(addr, len, &first, &end))
		return;
	if (adv == 8 && !v2_read_safe(v2_cur(), first, end))
		adv = 0;   /* populate_read would read-fault */
	v2_put_range("madvise", addr + (unaligned ? 1 + rng_below(PAGE - 1) : 0), len);
	printf(" %s\n", advices[adv]);
	if (unaligned)
		return;    /* EINVAL */
	if (adv == 3)
		v2_dontneed(v2_cur(), first, end);
	else if (adv >= 4 && adv <= 7)
		v2_fork_advice(v2_cur(), first, end, adv >= 6, adv == 4 || adv == 6);
	else if (adv == 9)
		v2_populate_write(v2_cur(), first, end);
}

void gen_mlock(void)
{
	uint64_t addr = v2_waddr() + (chance(10) ? rng_below(PAGE) : 0);
	uint64_t len = v2_plen(MAX_PAGES_OP);
	unsigned r = (unsigned)rng_below(100);
	int first, end;

	if (!v2_range(addr, len, &first, &end))
		return;
	if (r < 40 && !v2_mlock_safe(v2_cur(), first, end))
		r = 40;    /* onfault populates nothing */
	v2_put_range(r < 65 ? "mlock" : "munlock", addr, len);
	printf("%s\n", r >= 40 && r < 65 ? " onfault" : "");
	if (r < 40)
		v2_mlock(v2_cur(), first, end);
}


/* mremap's words after NEWLEN, in a random order. */
static void mremap_words(unsigned flags, uint64_t naddr)
{
	unsigned start = (unsigned)rng_below(3);

	for (unsigned k = 0; k < 3; k++) {
		unsigned w = (start + k) % 3;

		if (!(flags & (1u << w)))
			continue;
		if (w == 0)
			printf(" maymove");
		else if (w == 1)
			printf(" dontunmap");
		else {
			printf(" fixed");
			put_num(naddr);
		}
	}
	printf("\n");
}

/* mremap that fails before looking at the mappings (EINVAL). */
static void mremap_error(uint64_t addr, uint64_t old)
{
	switch (rng_below(4)) {
	case 0:
		v2_put_range("mremap", addr, old);
		put_num(old);
		mremap_words(R_FIXED, v2_waddr());
		break;
	case 1:
		v2_put_range("mremap", addr, old);
		put_num(old);
		mremap_words(R_DONTUNMAP, 0);
		break;
	case 2:
		v2_put_range("mremap", addr + 1 + rng_below(PAGE - 1), old);
		put_num(old + PAGE);
		printf("\n");
		break;
	default:
		v2_put_range("mremap", addr, old);
		printf(" 0\n");
		break;
	}
}

/*
 * mremap: shrink, grow in place, move with fixed (never a move to an
 * address the kernel chooses), dontunmap, or an error.  The model cannot
 * follow it: every page it may touch becomes unknown.
 */
void gen_mremap(void)
{
	uint64_t addr = v2_waddr(), old = (1 + rng_below(MAX_PAGES_OP)) * PAGE;
	uint64_t nlen, naddr = 0;
	unsigned r = (unsigned)rng_below(100), flags = 0;
	int first, end, nfirst, nend;

	/* Mostly (a prefix of) what looks like one mapping, to succeed. */
	if (chance(70) && v2_pick_mapping(v2_cur(), rng_next(), &first, &end)) {
		addr = v2_addr(first);
		old = (1 + rng_below((uint64_t)(end - first))) * PAGE;
	}
	if (r >= 90) {
		mremap_error(addr, old);
		return;
	}
	if (r < 25) {
		nlen = (1 + rng_below(old / PAGE)) * PAGE;
	} else if (r < 50) {
		nlen = old + (1 + rng_below(8)) * PAGE;
	} else {
		flags = R_MAYMOVE | R_FIXED | (r >= 80 ? R_DONTUNMAP : 0);
		naddr = v2_waddr();
		nlen = r >= 80 ? (chance(85) ? old : old + PAGE) :
		       (1 + rng_below(MAX_PAGES_OP)) * PAGE;
	}
	if (!v2_range(addr, old, &first, &end))
		return;
	/* A locked mapping is populated as it grows: no reads from that. */
	if (nlen > old && !v2_grow_safe(v2_cur(), first, end))
		nlen = old;
	v2_put_range("mremap", addr, old);
	put_num(nlen);
	mremap_words(flags, naddr);
	if (v2_range(addr, nlen > old ? nlen : old, &first, &end))
		v2_mark_unknown(v2_cur(), first, end);
	if ((flags & R_FIXED) && v2_range(naddr, nlen, &nfirst, &nend))
		v2_mark_unknown(v2_cur(), nfirst, nend);
}
