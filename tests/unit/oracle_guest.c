/*
 * The oracle's guest backend: the script's calls made on a fresh guest mm
 * (the mm's own entry points, faults through handle_mm_fault as the trap
 * would make them), every invariant checked after every line, and the
 * frame pool back to where it was once the mm is destroyed (no leak).
 * oracle_compare() runs a script on both backends and compares.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "tests/unit/fake_arch.h"
#include "tests/unit/oracle.h"

#define OUT_SIZE (256 * 1024)

static struct mm_struct *mm_of(void *ctx)
{
	return ctx;
}

static long g_mmap(void *ctx, uint64_t addr, uint64_t len, unsigned prot, unsigned flags)
{
	uint32_t f = MM_MAP_FIXED | (flags & OR_MAP_NOREPLACE ? MM_MAP_NOREPLACE : 0) |
		     (flags & OR_MAP_NORESERVE ? MM_MAP_NORESERVE : 0) |
		     (flags & OR_MAP_POPULATE ? MM_MAP_POPULATE : 0) |
		     (flags & OR_MAP_LOCKED ? MM_MAP_LOCKED : 0) |
		     (flags & OR_MAP_GROWSDOWN ? MM_MAP_GROWSDOWN : 0);
	long r = do_mmap(mm_of(ctx), addr, len, prot, f);

	check_all();
	return r;
}

static long g_munmap(void *ctx, uint64_t addr, uint64_t len)
{
	long r = do_munmap(mm_of(ctx), addr, len);

	check_all();
	return r;
}

static long g_mprotect(void *ctx, uint64_t addr, uint64_t len, unsigned prot)
{
	long r = do_mprotect(mm_of(ctx), addr, len, prot);

	check_all();
	return r;
}

static long g_mremap(void *ctx, uint64_t addr, uint64_t old_len, uint64_t new_len,
		     unsigned flags, uint64_t new_addr)
{
	long r = do_mremap(mm_of(ctx), addr, old_len, new_len, flags, new_addr);

	check_all();
	return r;
}

static long g_madvise(void *ctx, uint64_t addr, uint64_t len, int advice)
{
	long r = do_madvise(mm_of(ctx), addr, len, advice);

	check_all();
	return r;
}

static long g_mlock(void *ctx, uint64_t addr, uint64_t len, unsigned flags)
{
	long r = do_mlock(mm_of(ctx), addr, len, flags);

	check_all();
	return r;
}

static long g_munlock(void *ctx, uint64_t addr, uint64_t len)
{
	long r = do_munlock(mm_of(ctx), addr, len);

	check_all();
	return r;
}

/* One user access as the CPU would make it: fault until the PTE allows it. */
static int g_access(void *ctx, uint64_t va, int write, uint8_t *byte)
{
	struct mm_struct *mm = mm_of(ctx);

	for (int tries = 0; tries < 4; tries++) {
		uint64_t pte = pte_of(mm, va & PAGE_MASK);
		uint32_t ec = PF_USER | (write ? PF_WRITE : 0);
		int r;

		if ((pte & PTE_P) && (!write || (pte & PTE_W))) {
			uint8_t *p = fake_ram + (pte & PTE_ADDR) + (va & ~PAGE_MASK);
			if (write == 2)
				*p = *byte;
			else if (write == 0)
				*byte = *p;
			return OR_OK;
		}
		if (pte & PTE_P)
			ec |= PF_PROT;
		r = handle_mm_fault(mm, va, ec);
		if (r == MM_FAULT_MAPERR || r == MM_FAULT_ACCERR) {
			check_all();
			return r == MM_FAULT_MAPERR ? OR_MAPERR : OR_ACCERR;
		}
		cr_assert_eq(r, MM_FAULT_RESOLVED, "handle_mm_fault: %d", r);
	}
	cr_assert_fail("access at %lx: the fault never resolved", (unsigned long)va);
	return OR_MAPERR;
}

static int g_present(void *ctx, uint64_t va)
{
	return (pte_of(mm_of(ctx), va) & (PTE_P | PTE_PROTNONE)) != 0;
}

static unsigned g_vmas(void *ctx, uint64_t lo, uint64_t hi, struct or_vma *out, unsigned max)
{
	static const uint64_t bits[] = { VM_ACCOUNT, VM_NORESERVE, VM_LOCKED, VM_LOCKONFAULT,
					 VM_GROWSDOWN, VM_SEQ_READ, VM_RAND_READ, VM_DONTCOPY,
					 VM_WIPEONFORK };
	unsigned n = 0;

	for (struct vm_area_struct *v = mm_of(ctx)->mmap; v && n < max; v = v->vm_next) {
		if (v->vm_end <= lo || v->vm_start >= hi)
			continue;
		out[n] = (struct or_vma){ .start = v->vm_start, .end = v->vm_end,
					  .prot = (unsigned)(v->vm_flags & VM_ACCESS_FLAGS) };
		for (unsigned i = 0; i < sizeof bits / sizeof bits[0]; i++)
			if (v->vm_flags & bits[i])
				out[n].flags |= 1u << i;
		n++;
	}
	return n;
}

static const struct oracle_ops guest_ops = {
	.mmap = g_mmap, .munmap = g_munmap, .mprotect = g_mprotect, .mremap = g_mremap,
	.madvise = g_madvise, .mlock = g_mlock, .munlock = g_munlock, .access = g_access,
	.present = g_present, .vmas = g_vmas,
};

const char *oracle_guest(const char *script)
{
	static char buf[OUT_SIZE];
	uint64_t used = frames_used();
	struct mm_struct *mm = new_mm();

	cr_assert_eq(oracle_run(&guest_ops, mm, BASE, script, buf, sizeof buf), 0, "%s", buf);
	check_all();
	cr_assert_eq(mm_destroy(mm->id), 0);
	check_all();
	cr_assert_eq(frames_used(), used, "frames leaked: %lu before, %lu after",
		     (unsigned long)used, (unsigned long)frames_used());
	return buf;
}

void oracle_compare(const char *script)
{
	static char guest[OUT_SIZE];
	const char *host;

	snprintf(guest, sizeof guest, "%s", oracle_guest(script));
	host = oracle_host(script);
	cr_assert_str_eq(guest, host, "guest and host differ\n--- guest:\n%s--- host:\n%s", guest,
			 host);
}
