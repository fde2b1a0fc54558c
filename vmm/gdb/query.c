/*
 * The q, Q and v packets of the GDB remote protocol (vmm/gdb/cmds.h):
 * features, the target description, threads, and monitor commands
 * (qRcmd), whose output goes back in 'O' packets before the final "OK".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/gdb/cmds.h"

/* Longest monitor line, and bytes of its output per 'O' packet. */
#define MONITOR_LINE_MAX  1024
#define O_CHUNK           ((GDB_PKT_MAX - 1) / 2)

static bool starts(const char *pkt, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(pkt, prefix, n) == 0;
}

/* qXfer:features:read:ANNEX:OFF,LEN */
static enum gdb_action xfer_features(const char *p, const char *end, struct gdb_reply *r)
{
	static const char annex[] = "target.xml:";
	uint64_t off, len;
	size_t n;
	const char *xml = gdb_tdesc_xml(&n);

	if ((size_t)(end - p) < sizeof annex - 1 || memcmp(p, annex, sizeof annex - 1)) {
		gdb_reply_err(r, ENOENT);
		return GDB_ANSWER;
	}
	p += sizeof annex - 1;
	if (gdb_parse_hex(&p, end, &off) || p >= end || *p++ != ',' ||
	    gdb_parse_hex(&p, end, &len) || p != end) {
		gdb_reply_err(r, EINVAL);
		return GDB_ANSWER;
	}
	if (len > GDB_PKT_MAX - 1)
		len = GDB_PKT_MAX - 1;
	if (off >= n) {
		gdb_reply_str(r, "l");
		return GDB_ANSWER;
	}
	if (len > n - off)
		len = n - off;
	gdb_reply_str(r, off + len < n ? "m" : "l");
	gdb_reply_put(r, xml + off, (size_t)len);
	return GDB_ANSWER;
}

static void thread_list(struct gdb_session *s, struct gdb_reply *r)
{
	unsigned n = s->ops->nthreads(s->t);
	char b[16];

	gdb_reply_str(r, "m");
	for (unsigned i = 0; i < n; i++) {
		snprintf(b, sizeof b, "%s%x", i ? "," : "", i + 1);
		gdb_reply_str(r, b);
	}
}

/* qThreadExtraInfo,ID: "vCPU N" in hex. */
static void thread_info(struct gdb_session *s, const char *p, const char *end,
			struct gdb_reply *r)
{
	uint64_t id;
	char b[32];

	if (gdb_parse_hex(&p, end, &id) || p != end || id == 0 || id > s->ops->nthreads(s->t)) {
		gdb_reply_err(r, EINVAL);
		return;
	}
	snprintf(b, sizeof b, "vCPU %u", (unsigned)(id - 1));
	gdb_reply_hex(r, (const uint8_t *)b, strlen(b));
}

/* Send text as 'O' packets of hex. */
static int send_output(struct gdb_session *s, const char *text, size_t n)
{
	struct gdb_reply *o = malloc(sizeof(*o));
	int e = 0;

	if (!o)
		return -ENOMEM;
	for (size_t at = 0; at < n && !e; at += O_CHUNK) {
		size_t k = n - at < O_CHUNK ? n - at : O_CHUNK;
		gdb_reply_reset(o);
		gdb_reply_str(o, "O");
		gdb_reply_hex(o, (const uint8_t *)text + at, k);
		e = s->send ? s->send(s->io, o->buf, o->len) : 0;
	}
	free(o);
	return e;
}

/* qRcmd,HEX: one monitor line. */
static enum gdb_action monitor(struct gdb_session *s, const char *p, const char *end,
			       struct gdb_reply *r)
{
	size_t n = (size_t)(end - p);
	char line[MONITOR_LINE_MAX + 1], *out = NULL;
	int rc;

	if (n % 2 || n / 2 > MONITOR_LINE_MAX || gdb_hex_decode(p, n / 2, (uint8_t *)line)) {
		gdb_reply_err(r, EINVAL);
		return GDB_ANSWER;
	}
	line[n / 2] = '\0';
	if (strlen(line) != n / 2) {            /* a NUL inside */
		gdb_reply_err(r, EINVAL);
		return GDB_ANSWER;
	}
	if (!s->ops->monitor) {
		gdb_reply_str(r, "");
		return GDB_ANSWER;
	}
	rc = s->ops->monitor(s->t, line, &out);
	if (out && send_output(s, out, strlen(out)) != 0)
		rc = -1;
	free(out);
	/* gdb prints the output; an error answer adds "Protocol error with Rcmd". */
	gdb_reply_str(r, rc == 0 ? "OK" : "E01");
	return GDB_ANSWER;
}

static enum gdb_action query_q(struct gdb_session *s, const char *pkt, size_t len,
			       struct gdb_reply *r)
{
	const char *end = pkt + len;
	char b[32];

	if (starts(pkt, len, "qSupported")) {
		snprintf(b, sizeof b, "PacketSize=%x", GDB_PKT_MAX);
		gdb_reply_str(r, b);
		gdb_reply_str(r, ";qXfer:features:read+;QStartNoAckMode+");
	} else if (starts(pkt, len, "qXfer:features:read:")) {
		return xfer_features(pkt + 20, end, r);
	} else if (len == 12 && starts(pkt, len, "qfThreadInfo")) {
		thread_list(s, r);
	} else if (len == 12 && starts(pkt, len, "qsThreadInfo")) {
		gdb_reply_str(r, "l");
	} else if (len == 2 && pkt[1] == 'C') {
		snprintf(b, sizeof b, "QC%x", s->g_cpu + 1);
		gdb_reply_str(r, b);
	} else if (starts(pkt, len, "qAttached")) {
		gdb_reply_str(r, "1");
	} else if (starts(pkt, len, "qThreadExtraInfo,")) {
		thread_info(s, pkt + 17, end, r);
	} else if (starts(pkt, len, "qRcmd,")) {
		return monitor(s, pkt + 6, end, r);
	}
	return GDB_ANSWER;
}

enum gdb_action gdb_query(struct gdb_session *s, const char *pkt, size_t len,
			  struct gdb_reply *r)
{
	if (pkt[0] == 'q')
		return query_q(s, pkt, len, r);
	if (len == 15 && starts(pkt, len, "QStartNoAckMode")) {
		s->no_ack = true;
		gdb_reply_str(r, "OK");
	}
	/* Every v packet (vCont?, vMustReplyEmpty...) gets the empty answer:
	 * gdb then uses c, s and H. */
	return GDB_ANSWER;
}
