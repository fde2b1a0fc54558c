/* Guest side of the request channel (shared/channel.h). */
#ifndef GUEST_KERNEL_CHANNEL_H
#define GUEST_KERNEL_CHANNEL_H

#include "shared/channel.h"

/* Publish the channel header (magic, version, slots, CPUs) at CHANNEL_GPA. */
void channel_init(unsigned nr_cpus);

/* Serve CPU cpu's ring forever: handle every posted slot, then idle in hlt
 * until its doorbell rings. */
void channel_serve(unsigned cpu) __attribute__((noreturn));

/* CPU cpu's data window (CHANNEL_DATA_SIZE bytes). */
void *channel_data(unsigned cpu);

/* Handle one request in place (guest/kernel/requests.c). */
void request_handle(struct chan_slot *s);

#endif
