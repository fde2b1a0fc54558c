/* Guest side of the request channel (shared/channel.h). */
#ifndef GUEST_KERNEL_CHANNEL_H
#define GUEST_KERNEL_CHANNEL_H

#include "shared/channel.h"

/* Publish the channel header (magic, version, slots) at CHANNEL_GPA. */
void channel_init(void);

/* Serve requests forever: handle every posted slot, then idle in hlt
 * until the doorbell rings. */
void channel_serve(void) __attribute__((noreturn));

/* Handle one request in place (guest/kernel/requests.c). */
void request_handle(struct chan_slot *s);

#endif
