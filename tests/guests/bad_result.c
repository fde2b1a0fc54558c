/* Serve the channel by polling (no doorbell is routed to test guests) and
 * answer every request with RESULT: INT64_MIN or -(CHAN_ERRNO_MAX + 1),
 * which no errno can be (the host must call it a protocol error, never
 * negate it into one), or -CHAN_ERRNO_MAX, the last valid errno. */
#include "tests/guests/tg.h"

#ifndef RESULT
#define RESULT INT64_MIN
#endif

void tg_main(const struct boot_info *bi)
{
	struct channel *ch = (struct channel *)CHANNEL_GPA;
	struct chan_slot *slots = (struct chan_slot *)(CHANNEL_GPA + CHANNEL_SLOTS_OFFSET);
	uint32_t done;

	(void)bi;
	tg_print("bad_result: answering every request with one result\n");
	tg_channel_live();
	tg_ready();
	done = ch->ring[0].resp_prod;
	for (;;) {
		uint32_t posted = ch->ring[0].req_prod;

		while (done != posted)
			slots[done++ & (CHANNEL_SLOTS - 1)].result = RESULT;
		if (done != ch->ring[0].resp_prod)
			tg_channel_publish(done);
		asm volatile("pause");
	}
}
