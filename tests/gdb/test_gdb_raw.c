/*
 * vmm --gdb unix:PATH spoken to byte by byte (no gdb; the machine of
 * tools/kvm-machine.sh has no loopback interface up, so TCP is tested in
 * test_gdb_proto.c): the stop on attach,
 * Ctrl-C of a running guest, memory at a mapped and an unmapped address,
 * a monitor command, and hostile bytes (bad checksums, overlong and
 * malformed packets) that must leave vmm answering and the guest alive.
 */
#include <criterion/criterion.h>
#include <sys/un.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/cli/run.h"
#include "tests/gdb/spawn.h"
#include "vmm/gdb/packet.h"

static int connect_path(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	for (int i = 0; i < 3000; i++) {
		int fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0)
			return fd;
		close(fd);
		usleep(100000);
	}
	cr_assert_fail("cannot connect to %s", path);
	return -1;
}

static void send_bytes(int fd, const void *b, size_t n)
{
	cr_assert_eq(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void send_packet(int fd, const char *payload)
{
	char frame[GDB_FRAME_MAX];
	size_t n = gdb_frame(payload, strlen(payload), frame, sizeof frame);

	send_bytes(fd, frame, n);
}

/* The next packet's payload (acks skipped), within timeout_ms. */
static char *next_packet(int fd, unsigned timeout_ms)
{
	static struct gdb_rx rx;
	uint8_t c;

	gdb_rx_init(&rx);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		cr_assert(poll(&p, 1, (int)timeout_ms) == 1, "no answer from vmm's stub");
		cr_assert_eq(recv(fd, &c, 1, 0), 1, "vmm closed the connection");
		if (gdb_rx_feed(&rx, c) == GDB_RX_PACKET)
			return rx.buf;
	}
}

static char *ask(int fd, const char *pkt, const char *answer_prefix)
{
	send_packet(fd, pkt);
	char *a = next_packet(fd, 120000);
	cr_assert(strncmp(a, answer_prefix, strlen(answer_prefix)) == 0,
		  "%s answered '%s', not '%s...'", pkt, a, answer_prefix);
	return a;
}

Test(gdb_raw, interrupt_memory_and_hostile_bytes, .timeout = 600)
{
	char big[GDB_PKT_MAX + 64], dir[] = "/tmp/vmm-gdb-raw-XXXXXX", ctl[64], err[64];
	char gsock[64], garg[80];
	int fd;

	cr_assert(mkdtemp(dir));
	snprintf(ctl, sizeof ctl, "%s/c.sock", dir);
	snprintf(err, sizeof err, "%s/err", dir);
	snprintf(gsock, sizeof gsock, "%s/g.sock", dir);
	snprintf(garg, sizeof garg, "unix:%s", gsock);
	/* A control socket keeps vmm running until SIGTERM. */
	const char *run[] = { prog_path("vmm"), "--gdb", garg, "--control", ctl,
			      prog_path("guest.elf"), NULL };
	pid_t vmm = spawn_to_files(run, "/dev/null", err);
	cr_assert(vmm > 0);
	/* Attach once the guest runs on its own page tables (booted). */
	cr_assert(wait_for_path(ctl, 300000), "vmm did not boot");
	fd = connect_path(gsock);
	ask(fd, "?", "T05thread:1;");
	ask(fd, "qSupported:swbreak+", "PacketSize=4000");
	ask(fd, "QStartNoAckMode", "OK");
	/* Kernel text is mapped; address 0 is not. */
	cr_assert_eq(strlen(ask(fd, "mffffffff80100000,8", "")), 16);
	ask(fd, "m7fff00000000,8", "E0e");       /* user half, nothing there */
	ask(fd, "m8000000000000000,8", "E0e");
	ask(fd, "qRcmd,6e6f73756368", "O");      /* "nosuch": its error text first */
	cr_assert_str_eq(next_packet(fd, 120000), "E01");
	/* Hostile bytes: a bad checksum, an overlong packet, garbage. */
	send_bytes(fd, "$g#00", 5);
	memset(big, 'm', sizeof big);
	big[0] = '$';
	send_bytes(fd, big, sizeof big);
	send_bytes(fd, "#00\x03\x03}}}}$$$", 12);
	ask(fd, "Z0,ffffffff80100000", "E16");
	ask(fd, "g", "");
	/* Run, then Ctrl-C. */
	send_packet(fd, "c");
	usleep(300000);
	send_bytes(fd, "\x03", 1);
	cr_assert_str_eq(next_packet(fd, 120000), "T02thread:1;");
	ask(fd, "qfThreadInfo", "m1");
	ask(fd, "D", "OK");
	close(fd);
	kill(vmm, SIGTERM);
	int st = spawn_wait(vmm, 120000);
	char *e = read_file(err);
	cr_assert_eq(st, 0, "vmm: %d\n%s", st, e);
	free(e);
	unlink(err);
	unlink(ctl);
	rmdir(dir);
}

/* --gdb-wait: the guest is held at its entry point until gdb continues,
 * however long (the boot time-out does not count it). */
Test(gdb_raw, wait_holds_the_guest_at_entry, .timeout = 600)
{
	char dir[] = "/tmp/vmm-gdb-wait-XXXXXX", ctl[64], err[64], gsock[64], garg[80];
	struct stat st;
	int fd;

	cr_assert(mkdtemp(dir));
	snprintf(ctl, sizeof ctl, "%s/c.sock", dir);
	snprintf(err, sizeof err, "%s/err", dir);
	snprintf(gsock, sizeof gsock, "%s/g.sock", dir);
	snprintf(garg, sizeof garg, "unix:%s", gsock);
	const char *run[] = { prog_path("vmm"), "--gdb", garg, "--gdb-wait", "--control", ctl,
			      prog_path("guest.elf"), NULL };
	pid_t vmm = spawn_to_files(run, "/dev/null", err);
	cr_assert(vmm > 0);
	fd = connect_path(gsock);
	ask(fd, "?", "T05thread:1;");
	/* rip (register 16) is the ELF's entry, _start at 0xffffffff80100000. */
	ask(fd, "p10", "00001080ffffffff");
	sleep(2);
	cr_assert_neq(stat(ctl, &st), 0, "the guest booted while held");
	send_packet(fd, "c");
	cr_assert(wait_for_path(ctl, 300000), "the guest did not boot after continue");
	send_bytes(fd, "\x03", 1);
	cr_assert_str_eq(next_packet(fd, 120000), "T02thread:1;");
	ask(fd, "D", "OK");
	close(fd);
	kill(vmm, SIGTERM);
	int status = spawn_wait(vmm, 120000);
	char *e = read_file(err);
	cr_assert_eq(status, 0, "vmm: %d\n%s", status, e);
	free(e);
	unlink(err);
	unlink(ctl);
	rmdir(dir);
}
