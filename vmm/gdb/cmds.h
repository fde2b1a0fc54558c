/*
 * The commands of the GDB remote protocol, over an abstract target (struct
 * gdb_target_ops): the vmm's live VM (vmtarget.c) or a fake one in the unit
 * tests and the fuzz target.  No I/O of its own: gdb_dispatch() takes one
 * received payload and writes the answer's payload; the server frames and
 * sends it.  Every field of a packet is checked; a malformed one gets an
 * error answer ("E01"), an unknown one the empty answer, as the protocol
 * says.
 *
 * Threads: gdb thread N (from 1) is vCPU N-1.
 */
#ifndef VMM_GDB_CMDS_H
#define VMM_GDB_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/gdb/packet.h"
#include "vmm/gdb/tdesc.h"

/* What the target does for the commands.  Each returns 0 (or a count) or
 * -errno; they are called only while the target is stopped. */
struct gdb_target_ops {
	unsigned (*nthreads)(void *t);
	int (*read_regs)(void *t, unsigned cpu, uint8_t *regs);        /* GDB_REGS_BYTES */
	/* -EPERM if a register that cannot be written would change. */
	int (*write_regs)(void *t, unsigned cpu, const uint8_t *regs);
	/* Bytes copied from the start of the range (> 0), or -EFAULT when the
	 * first byte is not mapped. */
	long (*read_mem)(void *t, unsigned cpu, uint64_t addr, uint8_t *buf, size_t len);
	long (*write_mem)(void *t, unsigned cpu, uint64_t addr, const uint8_t *buf, size_t len);
	/* Insert or remove an execution breakpoint: -ENOSPC when every debug
	 * register is taken, -ENOENT removing one never inserted. */
	int (*breakpoint)(void *t, bool insert, uint64_t addr);
	/* Let the guest run (step: one instruction of cpu); the stop is reported
	 * later, by the server. */
	int (*resume)(void *t, unsigned cpu, bool step);
	/* Run one monitor line: its output (NUL-terminated, malloc'ed, *out) and
	 * 0, or -1 with an error message as *out.  NULL: no monitor. */
	int (*monitor)(void *t, const char *line, char **out);
};

/* A reply payload under construction. */
struct gdb_reply {
	size_t len;
	bool overflow;
	char buf[GDB_PKT_MAX + 1];
};

struct gdb_session {
	const struct gdb_target_ops *ops;
	void *t;
	unsigned g_cpu;               /* Hg: registers and memory (0-based) */
	unsigned c_cpu;               /* Hc: which vCPU steps */
	bool no_ack;                  /* QStartNoAckMode was answered */
	/* Send one extra packet before the reply (monitor output 'O' packets);
	 * 0 or -errno. */
	int (*send)(void *io, const char *payload, size_t len);
	void *io;
	char stop_reply[64];          /* the answer to '?' */
};

/* What the server does after a dispatch. */
enum gdb_action {
	GDB_ANSWER,     /* send the reply */
	GDB_RESUMED,    /* the target runs: no reply until it stops */
	GDB_DETACH,     /* send the reply, then close the connection */
	GDB_KILL,       /* close the connection, no reply */
};

void gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops, void *t);

/* Handle one payload (len bytes, pkt[len] == '\0'): the reply in *r. */
enum gdb_action gdb_dispatch(struct gdb_session *s, const char *pkt, size_t len,
			     struct gdb_reply *r);

/* Set the stop reply for a stop of cpu with signal sig ("T05thread:1;"). */
void gdb_set_stop(struct gdb_session *s, unsigned cpu, int sig);

/* ---- shared by the command files ---- */
void gdb_reply_reset(struct gdb_reply *r);
void gdb_reply_put(struct gdb_reply *r, const void *data, size_t len);
void gdb_reply_str(struct gdb_reply *r, const char *s);
void gdb_reply_hex(struct gdb_reply *r, const uint8_t *data, size_t len);
/* "Exx" for -errno e (0 < -e, capped at 0xff). */
void gdb_reply_err(struct gdb_reply *r, int e);

/* q, Q and v packets (query.c). */
enum gdb_action gdb_query(struct gdb_session *s, const char *pkt, size_t len,
			  struct gdb_reply *r);

#endif
