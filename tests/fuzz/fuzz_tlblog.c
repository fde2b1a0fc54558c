/*
 * libFuzzer target: the TLB-coherence checker (vmm/tlbcheck/) against
 * hostile logs.  The input is a fake guest's control page and ring:
 *   byte 0: bit 0 set: the next 128 bytes are the control page as is (any
 *           ring_gpa, recs, version, head); else a sane page with a ring
 *           of 2^(1 + bits 1..3) records at 1 MiB;
 *   byte 1: records written between two drains (0: all, then one drain);
 *   then 32-byte records, written as the guest writes them (head taken,
 *   record filled, seq last) in the sane case, or raw into the ring.
 * Nothing may crash, read outside the fake RAM, leak, or grow the model
 * beyond its capacity (64 entries here).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_bytes.h"
#include "vmm/tlbcheck/tlbcheck.h"

#define RAM_SIZE  (RING_GPA + 0x10000)   /* the ring area: 64 KiB */
#define RING_GPA  0x100000ULL
#define CAP       64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(struct tlbcheck *tc, const struct gmem *g)
{
	char msg[TLBCHECK_MSG_MAX];
	struct tlbcheck_counts c;
	enum tlbcheck_verdict v;

	tlbcheck_drain(tc, g);
	v = tlbcheck_verdict(tc, msg, sizeof msg, &c);
	if (v > TLBV_REFUSED || c.stale > CAP || strlen(msg) >= sizeof msg)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_bytes in = { data, size };
	static uint8_t ram[RAM_SIZE];       /* only the control page and ring are written */
	struct gmem g = { .ram = ram, .size = RAM_SIZE };
	struct tlbcheck tc;
	struct tlblog_ctl *ctl;
	uint8_t mode = 0, every = 0;

	memset(ram + TLBLOG_GPA, 0, sizeof(struct tlblog_ctl));
	memset(ram + RING_GPA, 0, RAM_SIZE - RING_GPA);
	if (tlbcheck_init(&tc, CAP) != 0)
		return 0;
	ctl = (struct tlblog_ctl *)(g.ram + TLBLOG_GPA);
	take_u8(&in, &mode);
	take_u8(&in, &every);
	if (mode & 1) {
		take_bytes(&in, ctl, sizeof *ctl);
		take_bytes(&in, g.ram + RING_GPA, RAM_SIZE - RING_GPA);
		check(&tc, &g);
		check(&tc, &g);
	} else {
		struct tlblog_rec *ring = (struct tlblog_rec *)(g.ram + RING_GPA);
		uint32_t recs = 2u << ((mode >> 1) & 7);
		unsigned n = 0;

		*ctl = (struct tlblog_ctl){ .magic = TLBLOG_MAGIC, .version = TLBLOG_VERSION,
					    .recs = recs, .ring_gpa = RING_GPA };
		while (in.n) {
			struct tlblog_rec r;
			uint64_t k = ctl->head++;

			take_bytes(&in, &r, sizeof r);
			r.seq = k + 1;
			ring[k & (recs - 1)] = r;
			if (every && ++n % every == 0)
				check(&tc, &g);
		}
		check(&tc, &g);
	}
	tlbcheck_fini(&tc);
	return 0;
}
