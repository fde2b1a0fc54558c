/*
 * Inspection against the real guest on KVM: the walker agrees with
 * KVM_TRANSLATE, the VMA list read from memory agrees with OP_VMA_LIST,
 * the checker passes after every operation of a sequence and catches the
 * guest's fault injections, and snapshots taken while another thread
 * hammers mmap/munmap are always consistent.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "tests/inspect/live.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/snapshot.h"
#include "vmm/inspect/vmas.h"

#define U LIVE_UVA
#define RW (PROT_READ_ABI | PROT_WRITE_ABI)

static struct vm *VM;

static void teardown(void)
{
	vm_destroy(VM);
	VM = NULL;
}

TestSuite(live, .fini = teardown, .timeout = 300);

/* Compare one address; returns 1 if the walker and KVM disagree.  With
 * smap, KVM cannot see user pages: a user page it refuses is no mismatch. */
static int compare(uint64_t pml4, uint64_t va, bool log, bool smap)
{
	struct gmem g = vm_gmem(VM);
	struct ptw_xlate x;
	uint64_t gpa = 0;
	bool valid = false;
	int w = ptwalk_translate(&g, pml4, va, &x);
	cr_assert_eq(vm_translate(VM, va, &gpa, &valid), 0, "vm_translate 0x%llx", (unsigned long long)va);
	bool same = (w == 0) == valid && (!valid || x.gpa == gpa);
	if (!same && smap && w == 0 && (x.attrs & PTW_USER) && !valid)
		return 0;
	if (!same && log)
		cr_log_error("0x%llx: walker %s 0x%llx, KVM %s 0x%llx", (unsigned long long)va,
			     w == 0 ? "maps to" : "faults", (unsigned long long)(w == 0 ? x.gpa : 0),
			     valid ? "maps to" : "faults", (unsigned long long)gpa);
	return !same;
}

/* Compare one user address with the guest's own page-table lookup
 * (OP_PTE); returns 1 if they disagree. */
static int compare_guest(uint32_t mm, uint64_t pml4, uint64_t va)
{
	struct gmem g = vm_gmem(VM);
	struct ptw_xlate x;
	uint64_t out[2];
	int w = ptwalk_translate(&g, pml4, va, &x);
	int64_t r = live_call(VM, OP_PTE, mm, va & ~0xfffULL, 0, 0, 0, out);
	bool mapped = r == 0 && (out[0] & PTE_P);
	bool same = (w == 0) == mapped &&
		    (!mapped || (x.entry == out[0] && x.level == out[1] &&
				 x.gpa == (out[0] & PTE_ADDR_MASK) + (va & 0xfff)));
	if (!same)
		cr_log_error("0x%llx: walker %d entry 0x%llx, guest %lld entry 0x%llx level %llu",
			     (unsigned long long)va, w, (unsigned long long)(w == 0 ? x.entry : 0),
			     (long long)r, (unsigned long long)out[0], (unsigned long long)out[1]);
	return !same;
}

Test(live, walker_agrees_with_kvm_translate)
{
	VM = live_boot(0);
	uint32_t mm = live_mm_new(VM);
	live_mmap(VM, mm, U, 0x10000, RW);
	cr_assert_eq(live_call(VM, OP_TOUCH, mm, U, 0x8000, TOUCH_WRITE, 0, NULL), ACCESS_OK);
	cr_assert_eq(live_call(VM, OP_TOUCH, mm, U + 0x8000, 0x4000, TOUCH_READ, 0, NULL), ACCESS_OK);
	cr_assert_eq(live_call(VM, OP_MPROTECT, mm, U + 0x2000, 0x1000, PROT_READ_ABI, 0, NULL), 0);
	cr_assert_eq(live_call(VM, OP_MPROTECT, mm, U + 0x3000, 0x1000, PROT_NONE_ABI, 0, NULL), 0);
	cr_assert_eq(live_call(VM, OP_MUNMAP, mm, U + 0x5000, 0x1000, 0, 0, NULL), 0);
	/* Leave the vCPU in this mm's address space (the guest switches lazily). */
	cr_assert_eq(live_call(VM, OP_TOUCH, mm, U, 0x1000, TOUCH_READ, 0, NULL), ACCESS_OK);

	uint64_t pml4 = live_pml4(VM, mm);
	int bad = 0, n = 0, user_valid = 0;
	for (uint64_t va = U - 0x2000; va < U + 0x12000; va += 0x1000) {
		uint64_t gpa;
		bool valid = false;
		cr_assert_eq(vm_translate(VM, va, &gpa, &valid), 0);
		user_valid += valid;
	}
	/* With CR4.SMAP set, KVM_TRANSLATE (a supervisor access from the idle
	 * vCPU) refuses every user page; the guest's own lookup stands in. */
	for (uint64_t va = U - 0x2000; va < U + 0x12000; va += 0x1000, n++)
		bad += user_valid ? compare(pml4, va + 0x123, true, false)
				  : compare_guest(mm, pml4, va + 0x123);
	if (!user_valid)
		cr_log_info("KVM_TRANSLATE sees no user page (SMAP): user half compared with OP_PTE");
	const uint64_t kernel[] = {
		DIRECT_MAP_BASE, DIRECT_MAP_BASE + 0x123456, DIRECT_MAP_BASE + (64ULL << 20) + 8,
		DIRECT_MAP_BASE + MM_TABLE_GPA, DIRECT_MAP_BASE + (128ULL << 20),
		DIRECT_MAP_BASE + IOAPIC_BASE_GPA, KERNEL_VIRT_BASE + 0x100000,
		KERNEL_VIRT_BASE + 0x3fffff, KERNEL_VIRT_BASE + (1ULL << 30),
		USER_TRAMPOLINE_VA + 0x10, USER_TRAMPOLINE_VA + 0x1000, 0xffff800000000000ULL,
		0xfffffffffffff000ULL, 0, 0x7fffffffe000ULL, TASK_SIZE,
	};
	for (unsigned i = 0; i < sizeof kernel / sizeof kernel[0]; i++, n++)
		bad += compare(pml4, kernel[i], true, user_valid == 0);
	cr_log_info("%d addresses compared (%d user pages visible to KVM_TRANSLATE)", n, user_valid);
	cr_assert_eq(bad, 0, "%d of %d addresses disagree", bad, n);
}

Test(live, vma_list_from_memory_matches_the_channel)
{
	VM = live_boot(0);
	uint32_t mm = live_mm_new(VM);
	live_mmap(VM, mm, U, 0x10000, RW);
	live_mmap(VM, mm, U + 0x20000, 0x3000, PROT_READ_ABI);
	cr_assert_eq(live_call(VM, OP_MPROTECT, mm, U + 0x4000, 0x2000, PROT_READ_ABI, 0, NULL), 0);
	cr_assert_eq(live_call(VM, OP_MUNMAP, mm, U + 0x8000, 0x1000, 0, 0, NULL), 0);

	uint64_t out[2];
	int64_t got = live_call(VM, OP_VMA_LIST, mm, 0, 0, 64, 0, out);
	cr_assert_geq(got, 0);
	const struct chan_vma *cv = vm_channel_data(VM);

	struct gmem g = vm_gmem(VM);
	struct snap_opts o = { .mm = mm };
	struct snapshot s;
	char err[256];
	cr_assert_eq(snapshot_take(&g, &o, &s, err, sizeof err), 0, "%s", err);
	const struct mm_snap *m = &s.mms[0];
	cr_assert_eq(m->vmas_err, 0, "%s", m->vmas_msg);
	cr_assert_eq(m->vmas.n, (size_t)got);
	cr_assert_eq(m->desc.map_count, out[0]);
	for (size_t i = 0; i < m->vmas.n; i++) {
		cr_assert_eq(m->vmas.v[i].start, cv[i].start);
		cr_assert_eq(m->vmas.v[i].end, cv[i].end);
		cr_assert_eq((uint32_t)m->vmas.v[i].flags, cv[i].flags);
		cr_assert_eq(m->vmas.v[i].pgoff, cv[i].pgoff);
	}
	char line[128];
	vma_format(&m->vmas.v[0], false, line, sizeof line);
	cr_assert_str_eq(line, "100000000000-100000004000 rw-p");
	snapshot_free(&s);
}

Test(live, checker_passes_after_each_operation)
{
	VM = live_boot(0);
	uint32_t a = live_mm_new(VM), b = live_mm_new(VM);
	struct step { uint16_t op; uint32_t *mm; uint64_t a0, a1, a2, a3; } steps[] = {
		{ OP_MMAP, &a, U, 0x40000, RW, MMAP_F_FIXED },
		{ OP_TOUCH, &a, U, 0x10000, TOUCH_WRITE, 0 },
		{ OP_TOUCH, &a, U + 0x10000, 0x8000, TOUCH_READ, 0 },
		{ OP_TOUCH, &a, U + 0x14000, 0x2000, TOUCH_WRITE, 0 },       /* zero page -> private */
		{ OP_MPROTECT, &a, U + 0x4000, 0x4000, PROT_READ_ABI, 0 },
		{ OP_MPROTECT, &a, U + 0x8000, 0x2000, PROT_NONE_ABI, 0 },
		{ OP_FILL, &a, U + 0x20000, 0x3000, 0xab, 0 },
		{ OP_MUNMAP, &a, U + 0x1000, 0x2000, 0, 0 },
		{ OP_MMAP, &a, U + 0xc000, 0x8000, PROT_READ_ABI, MMAP_F_FIXED },   /* replace */
		{ OP_MMAP, &b, U + 0x200000, 0x400000, RW, MMAP_F_FIXED },          /* 2 PTs */
		{ OP_TOUCH, &b, U + 0x200000, 0x400000, TOUCH_READ, 0 },
		{ OP_TOUCH, &b, U + 0x3ff000, 0x2000, TOUCH_WRITE, 0 },
		{ OP_MUNMAP, &b, U + 0x200000, 0x200000, 0, 0 },                   /* frees a PT */
		{ OP_MMAP, &b, U + (1ULL << 30), 0x1000, RW, MMAP_F_FIXED },       /* another PD */
		{ OP_TOUCH, &b, U + (1ULL << 30), 0x1000, TOUCH_WRITE, 0 },
		{ OP_MUNMAP, &b, U + (1ULL << 30), 0x1000, 0, 0 },                 /* frees PD+PT */
		{ OP_MPROTECT, &a, U, 0x40000, RW, 0 },
		{ OP_MUNMAP, &a, U, 0x40000, 0, 0 },
		{ OP_MUNMAP, &b, 0, TASK_SIZE & ~0xfffULL, 0, 0 },
		{ OP_MM_DESTROY, &b, 0, 0, 0, 0 },
	};
	long total = live_check(VM, NULL);
	cr_assert_eq(total, 0, "violations after boot");
	for (unsigned i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct step *st = &steps[i];
		int64_t r = live_call(VM, st->op, *st->mm, st->a0, st->a1, st->a2, st->a3, NULL);
		long n = live_check(VM, NULL);
		cr_assert_eq(n, 0, "step %u (op %u -> %lld): %ld violations", i, st->op, (long long)r, n);
	}
}

static bool has_rule(const struct check_report *r, const char *rule)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].rule, rule) == 0)
			return true;
	return false;
}

Test(live, checker_catches_injected_faults)
{
	VM = live_boot(0);
	uint32_t mm = live_mm_new(VM);
	live_mmap(VM, mm, U, 0x10000, RW);
	cr_assert_eq(live_call(VM, OP_TOUCH, mm, U, 0x4000, TOUCH_READ, 0, NULL), ACCESS_OK);
	cr_assert_eq(live_check(VM, NULL), 0);

	struct check_report r;
	cr_assert_eq(live_call(VM, OP_INJECT, mm, INJECT_WRITABLE_ZERO, U + 0x1000, 0, 0, NULL), 0);
	cr_assert_gt(live_check(VM, &r), 0);
	cr_assert(has_rule(&r, "zero-writable"));
	cr_assert_eq(r.v[0].va, U + 0x1000);
	check_report_free(&r);

	uint32_t mm2 = live_mm_new(VM);
	live_mmap(VM, mm2, U, 0x1000, RW);
	cr_assert_eq(live_call(VM, OP_INJECT, mm2, INJECT_STRAY_PTE, U + 0x100000, 0, 0, NULL), 0);
	cr_assert_gt(live_check(VM, &r), 0);
	cr_assert(has_rule(&r, "pte-outside-vma"));
	bool found = false;
	for (size_t i = 0; i < r.n; i++)
		found |= strcmp(r.v[i].rule, "pte-outside-vma") == 0 && r.v[i].mm == mm2 &&
			 r.v[i].va == U + 0x100000;
	cr_assert(found, "the stray PTE is reported with its mm and address");
	check_report_free(&r);
}

/* ---- snapshots while another thread changes the mm ---- */

static atomic_bool hammer_stop;
static atomic_ulong hammer_ops;
static uint32_t hammer_mm;

static void *hammer(void *arg)
{
	(void)arg;
	uint64_t i = 0;
	while (!atomic_load(&hammer_stop)) {
		uint64_t base = U + ((i % 8) << 21);   /* wander over 8 PT spans */
		live_mmap(VM, hammer_mm, base, 0x4000, RW);
		live_call(VM, OP_TOUCH, hammer_mm, base, 0x2000, TOUCH_WRITE, 0, NULL);
		live_call(VM, OP_TOUCH, hammer_mm, base + 0x2000, 0x2000, TOUCH_READ, 0, NULL);
		live_call(VM, OP_MPROTECT, hammer_mm, base + 0x1000, 0x1000, PROT_READ_ABI, 0, NULL);
		live_call(VM, OP_MUNMAP, hammer_mm, base, 0x4000, 0, 0, NULL);
		atomic_fetch_add(&hammer_ops, 5);
		i++;
	}
	return NULL;
}

Test(live, snapshots_under_mmap_munmap_hammer)
{
	VM = live_boot(0);
	hammer_mm = live_mm_new(VM);
	live_mmap(VM, hammer_mm, U + (64ULL << 21), 0x1000, RW);   /* a fixed neighbour */
	atomic_store(&hammer_stop, false);
	atomic_store(&hammer_ops, 0);
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, hammer, NULL), 0);

	struct gmem g = vm_gmem(VM);
	unsigned long attempts = 0, max_attempts = 0, ptes = 0;
	for (int i = 0; i < 1000; i++) {
		/* Retries are what the test counts, not time: a loaded machine
		 * (or the software CPU of tools/kvm-machine.sh) can keep the
		 * guest inside its write section for longer than the default
		 * second; 60 s is a hang guard. */
		struct snap_opts o = { .walk = true, .pages = true, .timeout_ms = 60000 };
		struct snapshot s;
		struct check_report r;
		char err[256];
		int ret = snapshot_take(&g, &o, &s, err, sizeof err);
		cr_assert_eq(ret, 0, "snapshot %d: %s", i, err);
		attempts += s.attempts;
		if (s.attempts > max_attempts)
			max_attempts = s.attempts;
		for (unsigned k = 0; k < s.nmms; k++)
			ptes += s.mms[k].nleaves;
		long n = check_snapshot(&s, &r);
		if (n != 0) {
			check_report_print(stderr, &r);
			cr_assert_fail("snapshot %d: %ld violations", i, n);
		}
		check_report_free(&r);
		snapshot_free(&s);
		struct timespec ts = { 0, 500000 };   /* spread over the guest's work */
		nanosleep(&ts, NULL);
	}
	atomic_store(&hammer_stop, true);
	pthread_join(t, NULL);
	cr_log_info("1000 snapshots: %lu attempts (max %lu), %lu PTEs seen, %lu guest ops meanwhile, "
		    "%llu doorbells rung again", attempts, max_attempts, ptes,
		    atomic_load(&hammer_ops), (unsigned long long)vm_doorbell_rerings(VM));
	cr_assert_gt(atomic_load(&hammer_ops), 100, "the guest worked while snapshots ran");
	cr_assert_eq(live_check(VM, NULL), 0);
}
