/*
 * Packet framing of the GDB remote protocol (vmm/gdb/packet.h).
 */
#include "vmm/gdb/packet.h"
#include "vmm/hex.h"

enum { RX_IDLE, RX_DATA, RX_ESC, RX_SUM1, RX_SUM2 };

void gdb_rx_init(struct gdb_rx *rx)
{
	rx->state = RX_IDLE;
	rx->sum = rx->got = 0;
	rx->overflow = false;
	rx->len = 0;
	rx->buf[0] = '\0';
}

static void rx_put(struct gdb_rx *rx, uint8_t c)
{
	if (rx->len >= GDB_PKT_MAX) {
		rx->overflow = true;
		return;
	}
	rx->buf[rx->len++] = (char)c;
}

/* The end of a packet: its checksum's second digit has arrived. */
static enum gdb_rx_event rx_end(struct gdb_rx *rx)
{
	rx->state = RX_IDLE;
	rx->buf[rx->len] = '\0';
	if (rx->overflow)
		return GDB_RX_TOOLONG;
	return rx->got == rx->sum ? GDB_RX_PACKET : GDB_RX_BADSUM;
}

enum gdb_rx_event gdb_rx_feed(struct gdb_rx *rx, uint8_t c)
{
	int h;

	switch (rx->state) {
	case RX_IDLE:
		if (c == '$') {
			rx->state = RX_DATA;
			rx->sum = 0;
			rx->len = 0;
			rx->overflow = false;
			return GDB_RX_NONE;
		}
		if (c == 0x03)
			return GDB_RX_INTERRUPT;
		if (c == '+')
			return GDB_RX_ACK;
		if (c == '-')
			return GDB_RX_NACK;
		return GDB_RX_NONE;             /* noise between packets */
	case RX_DATA:
		if (c == '#') {
			rx->state = RX_SUM1;
			return GDB_RX_NONE;
		}
		if (c == '$') {                 /* a new start: drop the old one */
			rx->sum = 0;
			rx->len = 0;
			rx->overflow = false;
			return GDB_RX_NONE;
		}
		rx->sum += c;
		if (c == '}')
			rx->state = RX_ESC;
		else
			rx_put(rx, c);
		return GDB_RX_NONE;
	case RX_ESC:
		rx->sum += c;
		rx_put(rx, c ^ 0x20);
		rx->state = RX_DATA;
		return GDB_RX_NONE;
	case RX_SUM1:
		h = hex_value(c);
		rx->got = (uint8_t)((h < 0 ? 0 : h) << 4);
		rx->state = h < 0 ? RX_IDLE : RX_SUM2;
		return h < 0 ? GDB_RX_BADSUM : GDB_RX_NONE;
	default:
		h = hex_value(c);
		if (h < 0) {
			rx->state = RX_IDLE;
			return GDB_RX_BADSUM;
		}
		rx->got |= (uint8_t)h;
		return rx_end(rx);
	}
}

static bool needs_escape(uint8_t c)
{
	return c == '$' || c == '#' || c == '}' || c == '*';
}

size_t gdb_frame(const void *payload, size_t len, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = payload;
	uint8_t sum = 0;
	size_t o = 0;

	if (len > GDB_PKT_MAX || cap < 4)
		return 0;
	out[o++] = '$';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];
		if (o + 2 + 3 > cap)
			return 0;
		if (needs_escape(c)) {
			out[o++] = '}';
			sum += '}';
			c ^= 0x20;
		}
		out[o++] = (char)c;
		sum += c;
	}
	if (o + 3 > cap)
		return 0;
	out[o++] = '#';
	out[o++] = hex[sum >> 4];
	out[o++] = hex[sum & 15];
	return o;
}

int gdb_hex_decode(const char *s, size_t n, uint8_t *out)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_value((unsigned char)s[2 * i]);
		int lo = hi < 0 ? -1 : hex_value((unsigned char)s[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void gdb_hex_encode(const uint8_t *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
}

int gdb_parse_hex(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int h;

	if (s >= end || hex_value((unsigned char)*s) < 0)
		return -1;
	for (; s < end && (h = hex_value((unsigned char)*s)) >= 0; s++) {
		if (x >> 60)
			return -1;
		x = x << 4 | (uint64_t)h;
	}
	*p = s;
	*v = x;
	return 0;
}
