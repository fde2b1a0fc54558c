/*
 * Long requests (issue 13): a request that lasts many times the request
 * time-out completes, because the guest's progress counter
 * (mm_table.progress) keeps moving while it works; the time-out counts
 * only time without progress.  A guest that truly stops is still given up
 * at the time-out (crash.request_timeout, and vmm_cli.timeout_option).
 *
 * The request reads a range never written: each page is a read fault that
 * maps the zero page, so gigabytes cost the guest only their page tables.
 * Its length is scaled to this machine's speed, measured first, to about
 * 16 time-outs of at least half a second each (a time-out short enough to
 * be outlived many times, long enough that a loaded machine does not stall
 * the guest for that long); a loaded machine only makes it longer.  The
 * bounds are page counts.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "shared/layout.h"
#include "shared/mm_abi.h"
#include "tests/vm/vm_test.h"

#define WIN          0x100000000000ULL
#define MEM          (512ULL << 20)
#define PROBE_LEN    (128ULL << 20)     /* 32,768 read faults */
#define MAX_LEN      (32ULL << 30)      /* 8 Mi read faults, 64 MiB of page tables */
#define MIN_TIMEOUT_MS  500.0
#define MAX_TIMEOUT_MS  2000.0

static struct tvm t;
static char *progress_buf;
static size_t progress_len;

static void boot(uint32_t timeout_ms, FILE *progress)
{
	char path[4096];
	struct vm_config cfg = { .guest_path = vmm_bin_path("guest.elf", path, sizeof(path)),
				 .mem_size = MEM, .request_timeout_ms = timeout_ms,
				 .progress = progress };

	tvm_create(&t, cfg);
	cr_assert_eq(t.status, 0, "booting %s: status %d: %s", path, t.status, t.err);
}

static void down(void)
{
	tvm_destroy(&t);
	tvm_free_console(&t);
	free(progress_buf);
}

TestSuite(long_request, .fini = down, .timeout = 600);

static int64_t request(struct chan_slot *s)
{
	int r = vm_request(t.vm, s);

	cr_assert_eq(r, 0, "op %u: vm_request %d: %s", s->op, r, vm_failure(t.vm));
	return s->result;
}

static uint32_t mm_with_window(uint64_t len)
{
	struct chan_slot s = { .op = OP_MM_CREATE };
	uint32_t mm;

	cr_assert_eq(request(&s), 0);
	mm = s.mm_create.id;
	s = (struct chan_slot){ .op = OP_MMAP, .mm = mm,
				.mmap = { .addr = WIN, .len = len, .prot = PROT_READ_ABI,
					  .flags = MMAP_F_FIXED } };
	cr_assert_eq(request(&s), (int64_t)WIN);
	return mm;
}

/* Read [WIN, WIN + len) of mm: its wall time in ms. */
static double touch_ms(uint32_t mm, uint64_t len)
{
	struct chan_slot s = { .op = OP_TOUCH, .mm = mm,
			       .touch = { .addr = WIN, .len = len, .mode = TOUCH_READ } };
	double t0 = now_ms();

	cr_assert_eq(request(&s), ACCESS_OK, "touch: %lld", (long long)s.result);
	return now_ms() - t0;
}

static uint64_t progress(void)
{
	struct gmem g = vm_gmem(t.vm);
	uint64_t v = 0;

	cr_assert_eq(gmem_read_u64(&g, MM_TABLE_GPA + offsetof(struct mm_table, progress), &v), 0);
	return v;
}

Test(long_request, outlives_its_timeout_while_the_guest_progresses)
{
	double probe, timeout, took;
	uint64_t len, before;
	FILE *line;

	/* How long PROBE_LEN of read faults takes here. */
	boot(0, NULL);
	probe = touch_ms(mm_with_window(PROBE_LEN), PROBE_LEN);
	tvm_destroy(&t);
	tvm_free_console(&t);

	/* A time-out of an eighth of that (at least MIN_TIMEOUT_MS), and a
	 * request of about 16 of them. */
	timeout = probe / 8 < MIN_TIMEOUT_MS ? MIN_TIMEOUT_MS
		: probe / 8 > MAX_TIMEOUT_MS ? MAX_TIMEOUT_MS : probe / 8;
	len = (uint64_t)((double)PROBE_LEN * 16 * timeout / probe) & ~0xfffffULL;
	len = len < 2 * PROBE_LEN ? 2 * PROBE_LEN : len > MAX_LEN ? MAX_LEN : len;
	line = open_memstream(&progress_buf, &progress_len);
	cr_assert_not_null(line);
	boot((uint32_t)timeout, line);
	before = progress();
	took = touch_ms(mm_with_window(len), len);
	fclose(line);
	cr_log_info("probe %.0f ms for %llu MiB; time-out %.0f ms; %llu MiB took %.0f ms", probe,
		    (unsigned long long)(PROBE_LEN >> 20), timeout, (unsigned long long)(len >> 20),
		    took);
	cr_assert_null(vm_failure(t.vm), "a working guest was given up: %s", vm_failure(t.vm));
	cr_assert_geq(took, 2 * timeout, "the request (%.0f ms) did not outlive its time-out "
		      "(%.0f ms) twice: nothing was shown", took, timeout);
	cr_assert_geq(progress() - before, len >> 12, "one step per fault at least");
	/* Over a second: the line was shown, and cleared at the end. */
	if (took > 1500) {
		cr_assert(strstr(progress_buf, "\rvmm: request running for 1 s, "), "%s",
			  progress_buf);
		cr_assert(strstr(progress_buf, " steps of guest work"), "%s", progress_buf);
		cr_assert(progress_len >= 4 &&
			  strcmp(progress_buf + progress_len - 4, "\r\033[K") == 0, "%s", progress_buf);
	} else {
		cr_assert_eq(progress_len, 0, "%s", progress_buf);
	}
}
