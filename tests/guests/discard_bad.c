/*
 * HC_DISCARD naming frames the host must refuse (host-reserved area, the
 * kernel image, unaligned, outside RAM) next to frames it must discard.  The
 * guest checks what happened, leaves a struct discard_result in the channel
 * data area, prints a summary, reports ready and idles.
 */
#include "tests/guests/discard_result.h"
#include "tests/guests/tg.h"

#define MARK 0x5a5aa5a5deadbeefULL
#define RESERVED_FRAME 0x80000ULL  /* host-reserved, unused by the host */

static uint64_t kernel_frame[512] __attribute__((aligned(4096))) = { MARK };
static uint64_t frames[16];
static struct hc_discard arg;

static void mark(uint64_t gpa)
{
	volatile uint64_t *p = (volatile uint64_t *)gpa;   /* identity map */
	p[0] = MARK;
	p[511] = MARK;
}

static int marked(uint64_t gpa)
{
	volatile uint64_t *p = (volatile uint64_t *)gpa;
	return p[0] == MARK && p[511] == MARK;
}

static int zeroed(uint64_t gpa)
{
	volatile uint64_t *p = (volatile uint64_t *)gpa;
	for (int i = 0; i < 512; i++)
		if (p[i])
			return 0;
	return 1;
}

static int64_t discard(unsigned count)
{
	arg.frames = tg_gpa(frames);
	arg.count = count;
	arg.ret = 12345;
	tg_hypercall_raw(HC_DISCARD, (uint32_t)tg_gpa(&arg));
	return arg.ret;
}

void tg_main(const struct boot_info *bi)
{
	struct discard_result *r = (struct discard_result *)(CHANNEL_GPA + CHANNEL_DATA_OFFSET);
	/* Free frames: 2 MiB above the end of the image. */
	uint64_t base = (bi->kernel_end + 2 * PAGE_SIZE_2M - 1) & ~(PAGE_SIZE_2M - 1);
	uint64_t good = base, mixed = base + 0x10000, unaligned = base + 0x20000;
	uint64_t kframe = tg_gpa(kernel_frame);

	kernel_frame[511] = MARK;
	mark(RESERVED_FRAME);
	mark(good);
	mark(good + PAGE_SIZE_4K);
	mark(mixed);
	mark(unaligned);

	unsigned n = 0;
	frames[n++] = RESERVED_FRAME;
	frames[n++] = BOOT_PML4_GPA;             /* in use: zeroing it kills us */
	frames[n++] = 0;
	frames[n++] = kframe;
	frames[n++] = bi->kernel_start;          /* our own text */
	frames[n++] = bi->kernel_end - PAGE_SIZE_4K;
	frames[n++] = unaligned + 8;
	frames[n++] = bi->ram_size;              /* first frame past RAM */
	frames[n++] = 0xfffffffffffff000ULL;     /* wraps */
	r->ret_bad = discard(n);

	frames[0] = mixed;
	frames[1] = RESERVED_FRAME;
	r->ret_mixed = discard(2);

	frames[0] = good;
	frames[1] = good + PAGE_SIZE_4K;
	r->ret_good = discard(2);

	r->ret_empty = discard(0);

	r->reserved_intact = marked(RESERVED_FRAME);
	r->pml4_intact = 1;
	r->kernel_intact = kernel_frame[0] == MARK && kernel_frame[511] == MARK;
	r->unaligned_intact = marked(unaligned);
	r->mixed_zeroed = zeroed(mixed);
	r->good_zeroed = zeroed(good) && zeroed(good + PAGE_SIZE_4K);
	r->kernel_frame = kframe;
	r->reserved_frame = RESERVED_FRAME;
	r->good_frame = good;
	r->magic = DISCARD_RESULT_MAGIC;

	int ok = r->ret_bad == -1 && r->ret_mixed == -1 && r->ret_good == 0 &&
		 r->ret_empty == 0 && r->reserved_intact && r->kernel_intact &&
		 r->unaligned_intact && r->mixed_zeroed && r->good_zeroed;
	tg_print(ok ? "discard_bad: refused what it had to, discarded the rest\n"
		    : "discard_bad: FAIL\n");
	tg_channel_live();
	tg_ready();
	tg_idle();
}
