/*
 * The GDB remote serial protocol's framing, with no I/O: a receiver that
 * turns a byte stream into packets ("$payload#cs", escapes undone, the
 * checksum checked), acknowledgements and interrupts (Ctrl-C, 0x03); the
 * framing of an answer; and the hex helpers every command uses.  Every
 * input is untrusted (whoever reaches the socket): lengths are bounded by
 * GDB_PKT_MAX and nothing here can overflow.
 */
#ifndef VMM_GDB_PACKET_H
#define VMM_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest payload taken or sent (unescaped bytes): qSupported's PacketSize. */
#define GDB_PKT_MAX     16384
/* A framed packet: '$', every byte escaped, '#', two checksum digits. */
#define GDB_FRAME_MAX   (2 * GDB_PKT_MAX + 4)

enum gdb_rx_event {
	GDB_RX_NONE,        /* byte taken, nothing complete */
	GDB_RX_PACKET,      /* rx->buf holds rx->len payload bytes (NUL-terminated) */
	GDB_RX_BADSUM,      /* a packet whose checksum is wrong: answer '-' */
	GDB_RX_TOOLONG,     /* a packet longer than GDB_PKT_MAX: dropped, answer '-' */
	GDB_RX_INTERRUPT,   /* 0x03 outside a packet */
	GDB_RX_ACK,         /* '+' */
	GDB_RX_NACK,        /* '-': resend the last answer */
};

struct gdb_rx {
	int state;          /* internal */
	uint8_t sum, got;   /* computed checksum, received one */
	bool overflow;
	size_t len;
	char buf[GDB_PKT_MAX + 1];
};

void gdb_rx_init(struct gdb_rx *rx);
/* Take one byte. */
enum gdb_rx_event gdb_rx_feed(struct gdb_rx *rx, uint8_t c);

/*
 * Frame len bytes of payload into out (cap bytes): "$", the payload with
 * '$', '#', '}' and '*' escaped, "#", the checksum.  Returns the framed
 * length, or 0 if it does not fit (len > GDB_PKT_MAX or cap too small).
 */
size_t gdb_frame(const void *payload, size_t len, char *out, size_t cap);

/* Decode n hex digit pairs of s into out: 0, or -1 on a bad digit. */
int gdb_hex_decode(const char *s, size_t n, uint8_t *out);

/* Encode n bytes as 2n lower-case hex digits into out (no NUL). */
void gdb_hex_encode(const uint8_t *in, size_t n, char *out);

/*
 * Parse a hex number at *p (at least one digit, at most 16 significant):
 * 0 with *v and *p past it, or -1 (no digit, or it does not fit 64 bits).
 */
int gdb_parse_hex(const char **p, const char *end, uint64_t *v);

#endif
