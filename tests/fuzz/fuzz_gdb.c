/*
 * libFuzzer target: the gdb stub's packet layer and commands (vmm/gdb/:
 * packet.c, cmds.c, query.c, tdesc.c) over the fake target of the unit
 * tests (tests/gdb/fake_target.c).  The input is the byte stream a client
 * sends: it is cut into packets, acknowledgements and interrupts as the
 * server does, every packet is dispatched, and every answer (the 'O'
 * packets of monitor output included) must fit a packet and be framed.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/gdb/fake_target.h"
#include "vmm/gdb/cmds.h"
#include "vmm/gdb/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static char frame[GDB_FRAME_MAX];

static int send_framed(void *io, const char *payload, size_t n)
{
	(void)io;
	if (n > GDB_PKT_MAX || gdb_frame(payload, n, frame, sizeof frame) == 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct fake_target ft;
	static struct gdb_rx rx;
	static struct gdb_reply r;
	struct gdb_session s;

	memset(&ft, 0, sizeof ft);
	gdb_session_init(&s, &fake_target_ops, &ft);
	s.send = send_framed;
	gdb_rx_init(&rx);
	for (size_t i = 0; i < len; i++) {
		if (gdb_rx_feed(&rx, data[i]) != GDB_RX_PACKET)
			continue;
		if (rx.len > GDB_PKT_MAX || rx.buf[rx.len] != '\0')
			abort();
		enum gdb_action a = gdb_dispatch(&s, rx.buf, rx.len, &r);
		if (r.len > GDB_PKT_MAX || r.buf[r.len] != '\0')
			abort();
		if (a == GDB_ANSWER || a == GDB_DETACH)
			send_framed(NULL, r.buf, r.len);
		if (s.g_cpu >= FAKE_THREADS || s.c_cpu >= FAKE_THREADS)
			abort();
	}
	return 0;
}
