/*
 * The gdb stub's packet layer (vmm/gdb/packet.h), its breakpoint table
 * (vmm/gdb/ctl.h), its target description, and vmm's --gdb arguments.
 * No VM.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <string.h>

#include "tests/cli/run.h"
#include "vmm/gdb/ctl.h"
#include "vmm/gdb/gdb.h"
#include "vmm/gdb/packet.h"
#include "vmm/gdb/tdesc.h"

/* Feed s; the last event, and the count of packets seen. */
static enum gdb_rx_event feed(struct gdb_rx *rx, const char *s, size_t n, unsigned *packets)
{
	enum gdb_rx_event ev = GDB_RX_NONE;

	for (size_t i = 0; i < n; i++) {
		ev = gdb_rx_feed(rx, (uint8_t)s[i]);
		if (ev == GDB_RX_PACKET && packets)
			(*packets)++;
	}
	return ev;
}

Test(packet, a_packet_and_its_checksum)
{
	struct gdb_rx rx;

	gdb_rx_init(&rx);
	cr_assert_eq(feed(&rx, "$g#67", 5, NULL), GDB_RX_PACKET);
	cr_assert_str_eq(rx.buf, "g");
	cr_assert_eq(feed(&rx, "$g#68", 5, NULL), GDB_RX_BADSUM);
	cr_assert_eq(feed(&rx, "$g#6z", 5, NULL), GDB_RX_BADSUM);
	cr_assert_eq(feed(&rx, "$qSupported#37", 14, NULL), GDB_RX_PACKET);
	cr_assert_str_eq(rx.buf, "qSupported");
}

Test(packet, acks_interrupts_and_noise)
{
	struct gdb_rx rx;

	gdb_rx_init(&rx);
	cr_assert_eq(gdb_rx_feed(&rx, '+'), GDB_RX_ACK);
	cr_assert_eq(gdb_rx_feed(&rx, '-'), GDB_RX_NACK);
	cr_assert_eq(gdb_rx_feed(&rx, 0x03), GDB_RX_INTERRUPT);
	cr_assert_eq(gdb_rx_feed(&rx, 'x'), GDB_RX_NONE);
	/* 0x03 inside a packet is data, not an interrupt. */
	cr_assert_eq(feed(&rx, "$\003#03", 5, NULL), GDB_RX_PACKET);
	cr_assert_eq(rx.len, 1);
	/* A '$' inside restarts: the first start is dropped. */
	cr_assert_eq(feed(&rx, "$ab$g#67", 8, NULL), GDB_RX_PACKET);
	cr_assert_str_eq(rx.buf, "g");
}

Test(packet, escapes_round_trip)
{
	const uint8_t payload[] = { 'X', '$', '#', '}', '*', 0, 0xff, 'a' };
	char frame[64];
	struct gdb_rx rx;
	unsigned packets = 0;
	size_t n = gdb_frame(payload, sizeof payload, frame, sizeof frame);

	cr_assert(n > 0);
	cr_assert_eq(frame[0], '$');
	cr_assert_eq(frame[n - 3], '#');
	/* Nothing special unescaped in the body. */
	for (size_t i = 1; i < n - 3; i++)
		cr_assert(frame[i] != '$' && frame[i] != '#' && frame[i] != '*');
	gdb_rx_init(&rx);
	cr_assert_eq(feed(&rx, frame, n, &packets), GDB_RX_PACKET);
	cr_assert_eq(packets, 1);
	cr_assert_eq(rx.len, sizeof payload);
	cr_assert_eq(memcmp(rx.buf, payload, sizeof payload), 0);
}

Test(packet, too_long_is_dropped)
{
	static char big[GDB_PKT_MAX + 100];
	struct gdb_rx rx;

	memset(big, 'a', sizeof big);
	big[0] = '$';
	gdb_rx_init(&rx);
	feed(&rx, big, sizeof big, NULL);
	cr_assert_eq(feed(&rx, "#00", 3, NULL), GDB_RX_TOOLONG);
	cr_assert(rx.len <= GDB_PKT_MAX);
	/* And the next one is fine. */
	cr_assert_eq(feed(&rx, "$g#67", 5, NULL), GDB_RX_PACKET);
}

Test(packet, frame_refuses_what_does_not_fit)
{
	char small[8];

	cr_assert_eq(gdb_frame("hello", 5, small, sizeof small), 0);
	cr_assert_eq(gdb_frame("hi", 2, small, sizeof small), 6);
	cr_assert_eq(memcmp(small, "$hi#d1", 6), 0);
}

Test(packet, hex_numbers)
{
	const char *s = "ffffffff80100000,40", *p = s;
	uint64_t v;

	cr_assert_eq(gdb_parse_hex(&p, s + strlen(s), &v), 0);
	cr_assert_eq(v, 0xffffffff80100000ULL);
	cr_assert_eq(*p, ',');
	p = "1ffffffffffffffff";
	cr_assert_eq(gdb_parse_hex(&p, p + 17, &v), -1, "17 digits do not fit");
	p = ",1";
	cr_assert_eq(gdb_parse_hex(&p, p + 2, &v), -1);
	uint8_t b[2];
	cr_assert_eq(gdb_hex_decode("0aFf", 2, b), 0);
	cr_assert(b[0] == 0x0a && b[1] == 0xff);
	cr_assert_eq(gdb_hex_decode("0g", 1, b), -1);
}

Test(tdesc, registers_and_xml_agree)
{
	size_t len;
	const char *xml = gdb_tdesc_xml(&len);

	cr_assert(len > 0 && strlen(xml) == len);
	cr_assert_eq(gdb_reg_offset(GDB_NREGS - 1) + gdb_reg_size(GDB_NREGS - 1), GDB_REGS_BYTES);
	cr_assert_eq(gdb_reg_offset(GDB_RIP), 16 * 8);
	cr_assert_eq(gdb_reg_size(GDB_ST0), 10);
	cr_assert(strstr(xml, "<architecture>i386:x86-64</architecture>"));
	cr_assert(strstr(xml, "<feature name=\"org.gnu.gdb.i386.core\">"));
	cr_assert(strstr(xml, "<reg name=\"cr3\" bitsize=\"64\" regnum=\"61\""));
	cr_assert(strstr(xml, "<reg name=\"rip\" bitsize=\"64\" regnum=\"16\" type=\"code_ptr\"/>"));
}

Test(ctl, four_breakpoints_and_no_more)
{
	struct gdb_ctl *c = gdb_ctl_new(false);

	cr_assert(c);
	for (uint64_t i = 0; i < GDB_HW_BREAKPOINTS; i++)
		cr_assert_eq(gdb_ctl_breakpoint(c, true, 0x1000 + i), 0);
	cr_assert_eq(gdb_ctl_breakpoint(c, true, 0x2000), -ENOSPC);
	/* The same address again shares its slot (Z0 and Z1 on one place). */
	cr_assert_eq(gdb_ctl_breakpoint(c, true, 0x1000), 0);
	cr_assert_eq(gdb_ctl_breakpoint(c, false, 0x1000), 0);
	cr_assert_eq(gdb_ctl_breakpoint(c, true, 0x2000), -ENOSPC);
	cr_assert_eq(gdb_ctl_breakpoint(c, false, 0x1000), 0);
	cr_assert_eq(gdb_ctl_breakpoint(c, true, 0x2000), 0);
	cr_assert_eq(gdb_ctl_breakpoint(c, false, 0x3000), -ENOENT);
	gdb_ctl_clear(c);
	cr_assert_eq(gdb_ctl_breakpoint(c, false, 0x2000), -ENOENT);
	gdb_ctl_free(c);
}

static void assert_usage(const char *const *argv, const char *msg)
{
	struct prog_run r = prog_run(argv);

	cr_assert_eq(r.status, 2, "%s: status %d", argv[1], r.status);
	cr_assert(strstr(r.err, msg), "%s", r.err);
	prog_run_free(&r);
}

Test(cli, gdb_arguments_checked_before_boot)
{
	const char *vmm = prog_path("vmm"), *elf = prog_path("guest.elf");
	const char *zero[] = { vmm, "--gdb", "0", elf, NULL };
	const char *word[] = { vmm, "--gdb", "port", elf, NULL };
	const char *empty[] = { vmm, "--gdb", "unix:", elf, NULL };
	const char *wait[] = { vmm, "--gdb-wait", elf, NULL };

	assert_usage(zero, "--gdb needs a TCP port (1-65535) or unix:PATH");
	assert_usage(word, "--gdb needs a TCP port");
	assert_usage(empty, "--gdb unix:PATH needs a path");
	assert_usage(wait, "--gdb-wait needs --gdb");
}

/* The stub on TCP, before any VM: it listens on the loopback address, a
 * second one on the same port is refused with the reason, and stopping
 * closes a connected client. */
Test(stub, tcp_listen_and_stop)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t n = sizeof a;
	struct gdb_stub *s, *s2;
	char err[256] = "", port[16];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
	cr_assert(getsockname(fd, (struct sockaddr *)&a, &n) == 0);
	close(fd);
	snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
	cr_assert_eq(gdb_stub_start(port, false, stderr, &s, err, sizeof err), 0, "%s", err);
	cr_assert_lt(gdb_stub_start(port, false, stderr, &s2, err, sizeof err), 0);
	cr_assert(strstr(err, "127.0.0.1"), "%s", err);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	gdb_stub_stop(s);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	cr_assert_eq(poll(&p, 1, 10000), 1);
	cr_assert_leq(recv(fd, &c, 1, 0), 0, "the connection is closed (or reset)");
	close(fd);
	gdb_stub_free(s);
}
