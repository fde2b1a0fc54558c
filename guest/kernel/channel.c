/*
 * The request loop of each CPU, on its own ring (shared/channel.h).
 * Interrupts stay off except inside `sti; hlt` and while waiting for a
 * lock or a flush acknowledgement, so the doorbell handler only has to wake
 * us: all work happens here, in order.
 */
#include <stdint.h>

#include "guest/kernel/channel.h"
#include "guest/mm/mm.h"
#include "shared/layout.h"

#define barrier() asm volatile("" : : : "memory")

static struct channel *const chan = (struct channel *)(DIRECT_MAP_BASE + CHANNEL_GPA);

void channel_init(unsigned nr_cpus)
{
	chan->nslots = CHANNEL_SLOTS;
	chan->version = CHANNEL_VERSION;
	chan->ncpus = nr_cpus;
	for (unsigned c = 0; c < nr_cpus; c++)
		chan->ring[c].resp_prod = chan->ring[c].req_prod;
	barrier();
	chan->magic = CHANNEL_MAGIC;
}

void *channel_data(unsigned cpu)
{
	return (char *)chan + CHANNEL_RING_DATA(cpu);
}

/*
 * Publish resp_prod, then notify a host thread that sleeps until it moves.
 * xchg is a locked store, a full barrier: the load of host_waiting cannot
 * pass it, which together with the host's barrier between setting
 * host_waiting and reading resp_prod leaves no lost wake-up.
 */
static inline void publish(struct chan_ring *c, uint32_t done, unsigned cpu)
{
	asm volatile("xchgl %0, %1" : "+r"(done), "+m"(c->resp_prod) : : "memory");
	/* cmp with memory and a jump: one emulated instruction fewer than
	 * what the compiler makes of a volatile load and a test. */
	asm goto("cmpl $0, %0\n\tjne %l[notify]" : : "m"(c->host_waiting) : "cc" : notify);
	return;
notify:
	asm volatile("outl %0, %w1" : : "a"(cpu), "Nd"((uint16_t)CHANNEL_NOTIFY_PORT));
}

void channel_serve(unsigned cpu)
{
	/* One base register for the header and the slots: every access is
	 * then one instruction, where constant direct-map addresses take a
	 * movabs each (this loop's instructions are emulated, ~1 us each). */
	struct chan_ring *c = &chan->ring[cpu];
	struct chan_slot *ring = (struct chan_slot *)((char *)chan + CHANNEL_RING_SLOTS(cpu));
	asm("" : "+r"(c), "+r"(ring));
	uint32_t done = c->resp_prod;

	for (;;) {
		uint32_t posted = c->req_prod;

		if (done != posted) {
			do {
				struct chan_slot *s = &ring[done & (CHANNEL_SLOTS - 1)];
				/* The no-op is the channel's own measure: keep it inline. */
				if (s->op == OP_NOP)
					s->result = 0;
				else
					request_handle(s);
			} while (++done != posted);
			/* One publication per batch: the host waits for all of it. */
			publish(c, done, cpu);
			continue;
		}
		/* `sti; hlt` is atomic with respect to interrupts: a doorbell rung
		 * after the check above still wakes the hlt. */
		asm volatile("cli");
		if (c->req_prod == done)
			asm volatile("sti; hlt; cli" : : : "memory");
	}
}
