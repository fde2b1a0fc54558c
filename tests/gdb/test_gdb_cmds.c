/*
 * The gdb stub's commands (vmm/gdb/cmds.h) over a fake target: what each
 * packet answers, and that malformed ones get an error, never a crash.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/gdb/fake_target.h"

static struct fake_target ft;
static struct gdb_session s;
static struct gdb_reply r;
static char sent[4096];

static int record_send(void *io, const char *payload, size_t len)
{
	(void)io;
	strncat(sent, payload, len < sizeof sent - strlen(sent) - 1 ? len :
		sizeof sent - strlen(sent) - 1);
	strncat(sent, "|", sizeof sent - strlen(sent) - 1);
	return 0;
}

static void setup(void)
{
	memset(&ft, 0, sizeof ft);
	for (unsigned i = 0; i < FAKE_MEM_SIZE; i++)
		ft.mem[i] = (uint8_t)i;
	for (unsigned t = 0; t < FAKE_THREADS; t++)
		for (unsigned i = 0; i < GDB_REGS_BYTES; i++)
			ft.regs[t][i] = (uint8_t)(i + t);
	gdb_session_init(&s, &fake_target_ops, &ft);
	s.send = record_send;
	sent[0] = '\0';
}

static enum gdb_action run(const char *pkt)
{
	return gdb_dispatch(&s, pkt, strlen(pkt), &r);
}

static void expect(const char *pkt, const char *answer)
{
	cr_assert_eq(run(pkt), GDB_ANSWER, "%s", pkt);
	cr_assert_str_eq(r.buf, answer, "%s", pkt);
}

TestSuite(cmds, .init = setup);

Test(cmds, registers)
{
	char hex[2 * GDB_REGS_BYTES + 1], p[64];

	cr_assert_eq(run("g"), GDB_ANSWER);
	cr_assert_eq(r.len, 2 * GDB_REGS_BYTES);
	cr_assert_eq(strncmp(r.buf, "00010203", 8), 0);
	/* p of rip (16): bytes 128..135. */
	expect("p10", "8081828384858687");
	/* P rip, then g shows it. */
	expect("P10=1122334455667788", "OK");
	cr_assert_eq(ft.regs[0][128], 0x11);
	/* G with a changed selector: refused, nothing written. */
	cr_assert_eq(run("g"), GDB_ANSWER);
	memcpy(hex, r.buf, sizeof hex);
	hex[2 * gdb_reg_offset(GDB_CS)] ^= 1;
	char *pkt = malloc(sizeof hex + 2);
	snprintf(pkt, sizeof hex + 2, "G%s", hex);
	expect(pkt, "E01");
	free(pkt);
	expect("p40", "E16");                   /* no register 64 */
	expect("p", "E16");
	expect("P10=11", "E16");                /* too short */
	snprintf(p, sizeof p, "G%s", "00");
	expect(p, "E16");
	/* Thread 2's registers after Hg2. */
	expect("Hg2", "OK");
	expect("p0", "0102030405060708");
	expect("Hg3", "E16");
	expect("Hc-1", "OK");
}

Test(cmds, memory)
{
	expect("mffffffff80000010,4", "10111213");
	/* Past the end: what there is; outside: an error packet. */
	expect("mffffffff8000fffe,8", "feff");
	expect("m0,4", "E0e");
	expect("mffffffffffffffff,10", "E0e");
	expect("mffffffff80000000,0", "");
	expect("mzz,4", "E16");
	expect("mffffffff80000000", "E16");
	expect("Mffffffff80000000,2:abcd", "OK");
	cr_assert(ft.mem[0] == 0xab && ft.mem[1] == 0xcd);
	expect("Mffffffff80000000,2:abc", "E16");
	expect("M10,1:00", "E0e");
	/* X: binary data. */
	cr_assert_eq(gdb_dispatch(&s, "Xffffffff80000000,2:\x01\x00", 22, &r), GDB_ANSWER);
	cr_assert_str_eq(r.buf, "OK");
	cr_assert(ft.mem[0] == 1 && ft.mem[1] == 0);
	/* A huge read is cut to what a packet holds. */
	cr_assert_eq(run("mffffffff80000000,100000"), GDB_ANSWER);
	cr_assert_eq(r.len, GDB_PKT_MAX);
}

Test(cmds, breakpoints)
{
	expect("Z0,ffffffff80100000,1", "OK");
	expect("Z1,ffffffff80100010,1", "OK");
	expect("Z0,1,1", "OK");
	expect("Z0,2,1", "OK");
	expect("Z0,3,1", "E1c");                /* ENOSPC */
	expect("z0,3,1", "E02");                /* ENOENT */
	expect("z1,ffffffff80100010,1", "OK");
	expect("Z2,1000,8", "");                /* watchpoints: unsupported */
	expect("Z0,", "E16");
	expect("Z0,1", "E16");
	expect("Z", "");
}

Test(cmds, resume_and_stop)
{
	cr_assert_eq(run("c"), GDB_RESUMED);
	cr_assert_eq(ft.resumes, 1);
	expect("Hc2", "OK");
	cr_assert_eq(run("s"), GDB_RESUMED);
	cr_assert_eq(ft.steps, 1);
	cr_assert_eq(ft.last_cpu, 1);
	/* c ADDR sets rip first. */
	cr_assert_eq(run("cffffffff80100000"), GDB_RESUMED);
	cr_assert_eq(memcmp(ft.regs[0] + 128, "\x00\x00\x10\x80\xff\xff\xff\xff", 8), 0);
	expect("cxyz", "E16");
	gdb_set_stop(&s, 1, 5);
	expect("?", "T05thread:2;");
	cr_assert_eq(run("D"), GDB_DETACH);
	cr_assert_eq(run("k"), GDB_KILL);
}

Test(cmds, queries)
{
	expect("qfThreadInfo", "m1,2");
	expect("qsThreadInfo", "l");
	expect("qC", "QC1");
	expect("qAttached", "1");
	expect("T2", "OK");
	expect("T3", "E01");
	cr_assert_eq(run("qSupported:multiprocess+;swbreak+"), GDB_ANSWER);
	cr_assert(strstr(r.buf, "qXfer:features:read+"));
	cr_assert(strstr(r.buf, "PacketSize=4000"));
	expect("vMustReplyEmpty", "");
	expect("vCont?", "");
	expect("qNoSuchThing", "");
	expect("QStartNoAckMode", "OK");
	cr_assert(s.no_ack);
	/* "vCPU 1" in hex. */
	expect("qThreadExtraInfo,2", "764350552031");
}

Test(cmds, target_description_in_pieces)
{
	size_t len, got = 0;
	const char *xml = gdb_tdesc_xml(&len);
	char *copy = calloc(1, len + 1), pkt[64];

	for (;;) {
		snprintf(pkt, sizeof pkt, "qXfer:features:read:target.xml:%zx,100", got);
		cr_assert_eq(run(pkt), GDB_ANSWER);
		cr_assert(r.buf[0] == 'm' || r.buf[0] == 'l', "%s", r.buf);
		cr_assert(got + r.len - 1 <= len);
		memcpy(copy + got, r.buf + 1, r.len - 1);
		got += r.len - 1;
		if (r.buf[0] == 'l')
			break;
	}
	cr_assert_eq(got, len);
	cr_assert_str_eq(copy, xml);
	free(copy);
	expect("qXfer:features:read:other.xml:0,100", "E02");
	expect("qXfer:features:read:target.xml:zz", "E16");
	snprintf(pkt, sizeof pkt, "qXfer:features:read:target.xml:%zx,10", len + 5);
	expect(pkt, "l");
}

Test(cmds, monitor)
{
	/* "maps" in hex: the output in O packets, then OK. */
	expect("qRcmd,6d617073", "OK");
	cr_assert_str_eq(sent, "O6563686f206d6170730a|");
	sent[0] = '\0';
	expect("qRcmd,626164", "E01");
	cr_assert_str_eq(sent, "O6572726f723a206261640a|");
	expect("qRcmd,6d6", "E16");             /* odd length */
	expect("qRcmd,6d00", "E16");            /* a NUL inside */
	expect("qRcmd,zz", "E16");
}
