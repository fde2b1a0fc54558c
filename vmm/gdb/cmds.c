/*
 * The GDB remote protocol's commands (vmm/gdb/cmds.h): registers, memory,
 * breakpoints, resuming, threads.  Queries are in query.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/gdb/cmds.h"

/* Largest memory transfer in one packet (its hex fills the reply). */
#define MEM_MAX  (GDB_PKT_MAX / 2)

void gdb_session_init(struct gdb_session *s, const struct gdb_target_ops *ops, void *t)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->t = t;
	snprintf(s->stop_reply, sizeof s->stop_reply, "S05");
}

void gdb_set_stop(struct gdb_session *s, unsigned cpu, int sig)
{
	snprintf(s->stop_reply, sizeof s->stop_reply, "T%02xthread:%x;", sig & 0xff, cpu + 1);
}

void gdb_reply_reset(struct gdb_reply *r)
{
	r->len = 0;
	r->overflow = false;
	r->buf[0] = '\0';
}

void gdb_reply_put(struct gdb_reply *r, const void *data, size_t len)
{
	if (len > GDB_PKT_MAX - r->len) {
		r->overflow = true;
		return;
	}
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	r->buf[r->len] = '\0';
}

void gdb_reply_str(struct gdb_reply *r, const char *s)
{
	gdb_reply_put(r, s, strlen(s));
}

void gdb_reply_hex(struct gdb_reply *r, const uint8_t *data, size_t len)
{
	if (len > (GDB_PKT_MAX - r->len) / 2) {
		r->overflow = true;
		return;
	}
	gdb_hex_encode(data, len, r->buf + r->len);
	r->len += 2 * len;
	r->buf[r->len] = '\0';
}

void gdb_reply_err(struct gdb_reply *r, int e)
{
	char b[8];

	e = e < 0 ? -e : e;
	snprintf(b, sizeof b, "E%02x", e > 0 && e < 0xff ? e : 0xff);
	gdb_reply_reset(r);
	gdb_reply_str(r, b);
}

/* "ADDR,LEN" from p: 0, with p past it, or -1. */
static int parse_addr_len(const char **p, const char *end, uint64_t *addr, uint64_t *len)
{
	if (gdb_parse_hex(p, end, addr) || *p >= end || **p != ',')
		return -1;
	(*p)++;
	return gdb_parse_hex(p, end, len);
}

static enum gdb_action read_regs(struct gdb_session *s, struct gdb_reply *r)
{
	uint8_t regs[GDB_REGS_BYTES];
	int e = s->ops->read_regs(s->t, s->g_cpu, regs);

	if (e)
		gdb_reply_err(r, e);
	else
		gdb_reply_hex(r, regs, sizeof regs);
	return GDB_ANSWER;
}

static enum gdb_action write_regs(struct gdb_session *s, const char *p, size_t n,
				  struct gdb_reply *r)
{
	uint8_t regs[GDB_REGS_BYTES];
	int e;

	if (n != 2 * sizeof regs || gdb_hex_decode(p, sizeof regs, regs)) {
		gdb_reply_err(r, EINVAL);
		return GDB_ANSWER;
	}
	e = s->ops->write_regs(s->t, s->g_cpu, regs);
	if (e)
		gdb_reply_err(r, e);
	else
		gdb_reply_str(r, "OK");
	return GDB_ANSWER;
}

/* p N (read) and P N=VALUE (write one register). */
static enum gdb_action one_reg(struct gdb_session *s, const char *p, const char *end,
			       bool write, struct gdb_reply *r)
{
	uint8_t regs[GDB_REGS_BYTES];
	uint64_t n;
	size_t off, size;
	int e;

	if (gdb_parse_hex(&p, end, &n) || n >= GDB_NREGS ||
	    (write ? (p >= end || *p++ != '=') : p != end)) {
		gdb_reply_err(r, EINVAL);
		return GDB_ANSWER;
	}
	off = gdb_reg_offset((unsigned)n);
	size = gdb_reg_size((unsigned)n);
	if (write && ((size_t)(end - p) != 2 * size)) {
		gdb_reply_err(r, EINVAL);
		return GDB_ANSWER;
	}
	e = s->ops->read_regs(s->t, s->g_cpu, regs);
	if (!e && !write) {
		gdb_reply_hex(r, regs + off, size);
		return GDB_ANSWER;
	}
	if (!e && gdb_hex_decode(p, size, regs + off))
		e = -EINVAL;
	if (!e)
		e = s->ops->write_regs(s->t, s->g_cpu, regs);
	if (e)
		gdb_reply_err(r, e);
	else
		gdb_reply_str(r, "OK");
	return GDB_ANSWER;
}

static enum gdb_action read_mem(struct gdb_session *s, const char *p, const char *end,
				struct gdb_reply *r)
{
	uint8_t buf[MEM_MAX];
	uint64_t addr, len;
	long got;

	if (parse_addr_len(&p, end, &addr, &len) || p != end) {
		gdb_reply_err(r, EINVAL);
		return GDB_ANSWER;
	}
	if (len > MEM_MAX)
		len = MEM_MAX;          /* gdb asks for the rest again */
	if (len == 0)
		return GDB_ANSWER;
	got = s->ops->read_mem(s->t, s->g_cpu, addr, buf, (size_t)len);
	if (got <= 0)
		gdb_reply_err(r, got < 0 ? (int)got : EFAULT);
	else
		gdb_reply_hex(r, buf, (size_t)got);
	return GDB_ANSWER;
}

/* M ADDR,LEN:HEX and X ADDR,LEN:BINARY. */
static enum gdb_action write_mem(struct gdb_session *s, const char *p, const char *end,
				 bool binary, struct gdb_reply *r)
{
	uint8_t buf[GDB_PKT_MAX];
	uint64_t addr, len;
	long put;

	if (parse_addr_len(&p, end, &addr, &len) || p >= end || *p++ != ':' ||
	    len > sizeof buf || (uint64_t)(end - p) != (binary ? len : 2 * len) ||
	    (!binary && gdb_hex_decode(p, (size_t)len, buf))) {
		gdb_reply_err(r, EINVAL);
		return GDB_ANSWER;
	}
	if (binary)
		memcpy(buf, p, (size_t)len);
	put = len ? s->ops->write_mem(s->t, s->g_cpu, addr, buf, (size_t)len) : 0;
	if (put < 0 || (uint64_t)put != len)
		gdb_reply_err(r, put < 0 ? (int)put : EFAULT);
	else
		gdb_reply_str(r, "OK");
	return GDB_ANSWER;
}

/* Z0/Z1/z0/z1 ,ADDR,KIND: both kinds on the debug registers; watchpoints
 * (Z2-Z4) get the empty answer: they never fire on this platform. */
static enum gdb_action breakpoint(struct gdb_session *s, const char *p, const char *end,
				  bool insert, struct gdb_reply *r)
{
	uint64_t addr, kind;
	int e;

	if (p >= end || (*p != '0' && *p != '1'))
		return GDB_ANSWER;
	p++;
	if (p >= end || *p++ != ',' || parse_addr_len(&p, end, &addr, &kind) ||
	    (p != end && *p != ';')) {
		gdb_reply_err(r, EINVAL);
		return GDB_ANSWER;
	}
	e = s->ops->breakpoint(s->t, insert, addr);
	if (e)
		gdb_reply_err(r, e);
	else
		gdb_reply_str(r, "OK");
	return GDB_ANSWER;
}

/* c [ADDR], s [ADDR]: resume, from ADDR if given. */
static enum gdb_action resume(struct gdb_session *s, const char *p, const char *end,
			      bool step, struct gdb_reply *r)
{
	unsigned cpu = step ? s->c_cpu : s->g_cpu;
	uint64_t addr;
	int e = 0;

	if (p != end) {
		uint8_t regs[GDB_REGS_BYTES];
		if (gdb_parse_hex(&p, end, &addr) || p != end) {
			gdb_reply_err(r, EINVAL);
			return GDB_ANSWER;
		}
		e = s->ops->read_regs(s->t, cpu, regs);
		memcpy(regs + gdb_reg_offset(GDB_RIP), &addr, 8);
		if (!e)
			e = s->ops->write_regs(s->t, cpu, regs);
	}
	if (!e)
		e = s->ops->resume(s->t, cpu, step);
	if (e) {
		gdb_reply_err(r, e);
		return GDB_ANSWER;
	}
	return GDB_RESUMED;
}

/* A thread id of H and T: 0 (any) and -1 (all) mean the first vCPU here.
 * The vCPU (0-based), or -1 if there is no such thread. */
static long thread_of(struct gdb_session *s, const char *p, const char *end)
{
	uint64_t id;

	if (end - p == 2 && p[0] == '-' && p[1] == '1')
		return 0;
	if (gdb_parse_hex(&p, end, &id) || p != end)
		return -1;
	if (id == 0)
		return 0;
	return id <= s->ops->nthreads(s->t) ? (long)id - 1 : -1;
}

static enum gdb_action set_thread(struct gdb_session *s, const char *p, const char *end,
				  struct gdb_reply *r)
{
	long cpu;

	if (p >= end || (*p != 'g' && *p != 'c') || (cpu = thread_of(s, p + 1, end)) < 0) {
		gdb_reply_err(r, EINVAL);
		return GDB_ANSWER;
	}
	if (*p == 'g')
		s->g_cpu = (unsigned)cpu;
	else
		s->c_cpu = (unsigned)cpu;
	gdb_reply_str(r, "OK");
	return GDB_ANSWER;
}

enum gdb_action gdb_dispatch(struct gdb_session *s, const char *pkt, size_t len,
			     struct gdb_reply *r)
{
	const char *p = pkt + 1, *end = pkt + len;
	enum gdb_action a = GDB_ANSWER;

	gdb_reply_reset(r);
	if (len == 0)
		return GDB_ANSWER;
	switch (pkt[0]) {
	case '?': gdb_reply_str(r, s->stop_reply); break;
	case 'g': a = p == end ? read_regs(s, r) : (gdb_reply_err(r, EINVAL), a); break;
	case 'G': a = write_regs(s, p, (size_t)(end - p), r); break;
	case 'p': a = one_reg(s, p, end, false, r); break;
	case 'P': a = one_reg(s, p, end, true, r); break;
	case 'm': a = read_mem(s, p, end, r); break;
	case 'M': a = write_mem(s, p, end, false, r); break;
	case 'X': a = write_mem(s, p, end, true, r); break;
	case 'Z': a = breakpoint(s, p, end, true, r); break;
	case 'z': a = breakpoint(s, p, end, false, r); break;
	case 'c': a = resume(s, p, end, false, r); break;
	case 's': a = resume(s, p, end, true, r); break;
	case 'H': a = set_thread(s, p, end, r); break;
	case 'T':
		gdb_reply_str(r, thread_of(s, p, end) >= 0 ? "OK" : "E01");
		break;
	case 'D': gdb_reply_str(r, "OK"); a = GDB_DETACH; break;
	case 'k': a = GDB_KILL; break;
	case 'q': case 'Q': case 'v': a = gdb_query(s, pkt, len, r); break;
	default: break;                 /* unknown: the empty answer */
	}
	if (r->overflow)
		gdb_reply_err(r, E2BIG);
	return a;
}
