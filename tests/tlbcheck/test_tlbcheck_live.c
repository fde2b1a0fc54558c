/*
 * The TLB-coherence checker against the real guest (KVM): with the log on,
 * mmap, touch, munmap (page by page and past the flush ceiling), mprotect,
 * fork with copy-on-write and exit replay with no violation and a nonzero
 * number of checked frees, through vmm --check and the `tlbcheck` command
 * and through the C API; with the log off the control page shows no ring
 * and the guest takes no frames for one.  A record forged into the ring
 * (a PTE clear that nobody flushes, then the frame's free) is caught by
 * vmm's after-step hook.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#include "shared/channel.h"
#include "shared/mm_abi.h"
#include "tests/vm/vm_test.h"
#include "vmm/tlbcheck/vm_tlbcheck.h"

#define UVA 0x100000000000ULL

static const char scenario[] =
	"mmap 0x100000000000 1M rw-\n"
	"touch 0x100000000000 1M write\n"
	"munmap 0x100000010000 64K\n"           /* 16 pages: one invlpg each */
	"mprotect 0x100000000000 64K r--\n"
	"munmap 0x100000000000 4K\n"
	"fork\n"
	"process 2\n"
	"touch 0x100000080000 64K write\n"      /* copy-on-write in the child */
	"exit\n"
	"touch 0x100000080000 64K write\n"
	"munmap 0x100000000000 1M\n"            /* past the ceiling: full flush; tables go */
	"mmap 0x100000000000 16K rw-\n"
	"touch 0x100000000000 16K write\n"
	"tlbcheck\n"
	"tlbcheck json\n";

/* The number after "\"key\":" in s, or -1. */
static long long json_num(const char *s, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = strstr(s, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

Test(tlbcheck_live, vmm_check_replays_clean)
{
	struct run r = run_vmm(scenario, (const char *[]){ "--quiet", "--check", guest_elf_path(),
							   NULL });
	const char *json;

	cr_assert_eq(r.status, 0, "status %d\nout:\n%s\nerr:\n%s", r.status, r.out, r.err);
	cr_expect(strstr(r.out, "tlbcheck -> clean ("), "%s", r.out);
	json = strstr(r.out, "{\"verdict\":\"clean\"");
	cr_assert_not_null(json, "%s", r.out);
	cr_expect_gt(json_num(json, "events"), 100, "%s", json);
	cr_expect_gt(json_num(json, "frames_checked"), 200, "%s", json);
	cr_expect_gt(json_num(json, "tables_checked"), 0, "%s", json);
	cr_expect_eq(json_num(json, "lost"), 0, "%s", json);
	cr_expect_eq(json_num(json, "violations"), 0, "%s", json);
	cr_expect(!strstr(r.err, "tlbcheck"), "%s", r.err);
	run_free(&r);
}

Test(tlbcheck_live, without_check_the_command_says_off)
{
	struct run r = run_vmm("tlbcheck\n", (const char *[]){ "--quiet", guest_elf_path(), NULL });

	cr_assert_eq(r.status, 0, "status %d\n%s\n%s", r.status, r.out, r.err);
	cr_expect(strstr(r.out, "tlbcheck -> off (0 events, 0 frames and 0 page tables checked, 0 "
			 "stale held, 0 lost)\ntlb: logging is off (vmm --check turns it on)\n"),
		  "%s", r.out);
	run_free(&r);
}

static int64_t call(struct vm *vm, struct chan_slot s)
{
	int r = vm_request(vm, &s);

	cr_assert_eq(r, 0, "request %u: %s", s.op, vm_failure(vm) ? vm_failure(vm) : strerror(-r));
	return s.result;
}

static uint32_t boot_mm(struct tvm *t, bool log)
{
	struct vm_config cfg = { .guest_path = guest_elf_path(), .tlblog = log };
	struct chan_slot s = { .op = OP_MM_CREATE };

	tvm_create(t, cfg);
	cr_assert_eq(t->status, 0, "vm_create: %s", t->err);
	cr_assert_eq(vm_request(t->vm, &s), 0);
	cr_assert_eq(s.result, 0);
	return s.mm_create.id;
}

/* mmap, touch and munmap n pages at UVA in mm. */
static void cycle(struct vm *vm, uint32_t mm, uint64_t n)
{
	uint64_t len = n << 12;

	cr_assert_eq(call(vm, (struct chan_slot){ .op = OP_MMAP, .mm = mm,
		     .mmap = { UVA, len, PROT_READ_ABI | PROT_WRITE_ABI, MMAP_F_FIXED } }), (int64_t)UVA);
	cr_assert_eq(call(vm, (struct chan_slot){ .op = OP_TOUCH, .mm = mm,
		     .touch = { .addr = UVA, .len = len, .mode = TOUCH_WRITE } }), 0);
	cr_assert_eq(call(vm, (struct chan_slot){ .op = OP_MUNMAP, .mm = mm,
		     .munmap = { UVA, len } }), 0);
}

static uint64_t frames_used(struct vm *vm)
{
	struct gmem g = vm_gmem(vm);
	const struct mm_table *t = gmem_ptr(&g, MM_TABLE_GPA, sizeof *t);

	cr_assert_not_null(t);
	return t->frames_total - t->frames_free;
}

Test(tlbcheck_live, api_incremental_and_off_costs_nothing)
{
	struct tvm on, off;
	uint32_t mm_on = boot_mm(&on, true), mm_off = boot_mm(&off, false);
	struct gmem g = vm_gmem(off.vm);
	const struct tlblog_ctl *ctl = gmem_ptr(&g, TLBLOG_GPA, sizeof *ctl);
	struct tlbcheck_counts c1, c2;
	char msg[TLBCHECK_MSG_MAX];
	uint64_t ring_frames = TLBLOG_RECS_DEFAULT * sizeof(struct tlblog_rec) / 4096;

	cr_assert_eq(frames_used(on.vm), frames_used(off.vm) + ring_frames,
		     "the ring is the only difference");
	cycle(on.vm, mm_on, 4);
	cr_assert_eq(vm_tlbcheck(on.vm, msg, sizeof msg, &c1), TLBV_CLEAN, "%s", msg);
	/* The 4 user frames, and slab pages the munmap emptied. */
	cr_expect_geq(c1.frames_checked, 4, "%" PRIu64, c1.frames_checked);
	cr_expect_eq(c1.stale, 0);
	cycle(on.vm, mm_on, 40);      /* past the ceiling */
	cr_assert_eq(vm_tlbcheck(on.vm, msg, sizeof msg, &c2), TLBV_CLEAN, "%s", msg);
	cr_expect_geq(c2.frames_checked, c1.frames_checked + 40, "%" PRIu64 " then %" PRIu64,
		      c1.frames_checked, c2.frames_checked);
	cr_expect_gt(c2.events, c1.events);
	cr_expect_gt(c2.tables_checked, c1.tables_checked);

	/* Off: no ring, no head, no frames taken, and the checker says off. */
	cycle(off.vm, mm_off, 4);
	cr_expect_eq(ctl->magic, 0);
	cr_expect_eq(ctl->ring_gpa, 0);
	cr_expect_eq(ctl->head, 0);
	cr_expect_eq(vm_tlbcheck(off.vm, msg, sizeof msg, &c1), TLBV_OFF);
	tvm_destroy(&on);
	tvm_free_console(&on);
	tvm_destroy(&off);
	tvm_free_console(&off);
}

/* Append one record to the guest's ring, as a broken guest would. */
static void forge(struct vm *vm, unsigned kind, uint32_t mm, uint64_t a, uint64_t b)
{
	struct gmem g = vm_gmem(vm);
	struct tlblog_ctl *ctl = gmem_ptr(&g, TLBLOG_GPA, sizeof *ctl);
	struct tlblog_rec *ring = gmem_ptr(&g, ctl->ring_gpa, (uint64_t)ctl->recs * sizeof *ring);
	uint64_t n = __atomic_fetch_add(&ctl->head, 1, __ATOMIC_SEQ_CST);
	struct tlblog_rec *r = &ring[n & (ctl->recs - 1)];

	*r = (struct tlblog_rec){ .ev = (uint16_t)kind, .mm = mm, .a = a, .b = b };
	__atomic_store_n(&r->seq, n + 1, __ATOMIC_RELEASE);
}

Test(tlbcheck_live, a_forged_missing_flush_fails_the_step)
{
	struct tvm t;
	uint32_t mm = boot_mm(&t, true);
	char *text = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&text, &len);

	cycle(t.vm, mm, 2);           /* CPU 0 has run mm: it keeps it loaded */
	cr_assert_eq(vm_tlbcheck_step(t.vm, err), 0);
	forge(t.vm, TLOG_CR3_LOAD, mm, 0, 0);
	forge(t.vm, TLOG_PTE_CLEAR, mm, UVA + 0x5000, 0x7000000);
	forge(t.vm, TLOG_FRAME_FREE, 0, 0x7000000, 0);
	cr_assert_eq(vm_tlbcheck_step(t.vm, err), 1);
	cr_assert_eq(vm_tlbcheck_step(t.vm, err), 0, "reported once");
	fclose(err);
	cr_expect(strstr(text, "tlbcheck: 1 violation\ntlb: frame 0x7000000 freed (event "),
		  "%s", text);
	cr_expect(strstr(text, "while CPU 0 may still translate mm"), "%s", text);
	free(text);
	tvm_destroy(&t);
	tvm_free_console(&t);
}
