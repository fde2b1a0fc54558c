/*
 * The request loop.  Interrupts stay off except inside `sti; hlt`, so the
 * doorbell handler only has to wake us: all work happens here, in order.
 */
#include <stdint.h>

#include "guest/kernel/channel.h"
#include "guest/mm/mm.h"
#include "shared/layout.h"

#define barrier() asm volatile("" : : : "memory")

static struct channel *const chan = (struct channel *)(DIRECT_MAP_BASE + CHANNEL_GPA);
static struct chan_slot *const slots =
	(struct chan_slot *)(DIRECT_MAP_BASE + CHANNEL_GPA + CHANNEL_SLOTS_OFFSET);

void channel_init(void)
{
	chan->nslots = CHANNEL_SLOTS;
	chan->version = CHANNEL_VERSION;
	chan->resp_prod = chan->req_prod;
	barrier();
	chan->magic = CHANNEL_MAGIC;
}

void channel_serve(void)
{
	uint32_t done = chan->resp_prod;

	for (;;) {
		uint32_t posted = chan->req_prod;

		if (done != posted) {
			do {
				struct chan_slot *s = &slots[done & (CHANNEL_SLOTS - 1)];
				/* The no-op is the channel's own measure: keep it inline. */
				if (s->op == OP_NOP)
					s->result = 0;
				else
					request_handle(s);
			} while (++done != posted);
			/* One publication per batch: the host waits for all of it. */
			barrier();
			chan->resp_prod = done;
			continue;
		}
		/* `sti; hlt` is atomic with respect to interrupts: a doorbell rung
		 * after the check above still wakes the hlt. */
		asm volatile("cli");
		if (chan->req_prod == done)
			asm volatile("sti; hlt; cli" : : : "memory");
	}
}
