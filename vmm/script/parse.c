/*
 * The scenario language's words: the one tokenizer, the one number parser,
 * PROT and BYTE arguments, mapping lines, their normalised text, and the
 * escaping of diagnostics.  Pure functions: no I/O, no backend.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/hex.h"
#include "vmm/script/scen.h"

void scen_set_msg(char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
}

int scen_split(const char *line, char *buf, size_t bufsize, char **words, int max)
{
	size_t n = strcspn(line, "#\n");
	int argc = 0;
	char *p;

	if (n >= bufsize)
		return -1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	p = buf;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (!*p)
			break;
		if (argc == max)
			return -1;
		words[argc++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return argc;
}

int scen_parse_number_why(const char *s, uint64_t *val)
{
	const char *p = s, *digits;
	unsigned base = 10, shift = 0;
	uint64_t v = 0;
	int d;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	digits = p;
	while ((d = hex_value((unsigned char)*p)) >= 0 && (unsigned)d < base) {
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -2;
		v = v * base + (unsigned)d;
		p++;
	}
	if (p == digits)
		return -1;
	if (*p == 'K')
		shift = 10;
	else if (*p == 'M')
		shift = 20;
	else if (*p == 'G')
		shift = 30;
	if (shift)
		p++;
	if (*p)
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -2;
	*val = v << shift;
	return 0;
}

int scen_parse_number(const char *s, uint64_t *val)
{
	return scen_parse_number_why(s, val) == 0 ? 0 : -1;
}

int scen_parse_prot(const char *s, unsigned *prot)
{
	if (strlen(s) != 3)
		return -1;
	if ((s[0] != 'r' && s[0] != '-') || (s[1] != 'w' && s[1] != '-') ||
	    (s[2] != 'x' && s[2] != '-'))
		return -1;
	*prot = (s[0] == 'r' ? SCEN_PROT_READ : 0) |
		(s[1] == 'w' ? SCEN_PROT_WRITE : 0) |
		(s[2] == 'x' ? SCEN_PROT_EXEC : 0);
	return 0;
}

int scen_number_arg(const char *kw, const char *what, const char *s, uint64_t *val,
		    char *msg, size_t msglen)
{
	int r = scen_parse_number_why(s, val);

	if (r == -1)
		scen_set_msg(msg, msglen, "%s: %s '%s' is not a number", kw, what, s);
	else if (r == -2)
		scen_set_msg(msg, msglen, "%s: %s '%s' does not fit in 64 bits", kw, what, s);
	return r ? -1 : 0;
}

int scen_prot_arg(const char *kw, const char *s, unsigned *prot, char *msg, size_t msglen)
{
	if (scen_parse_prot(s, prot) == 0)
		return 0;
	scen_set_msg(msg, msglen, "%s: PROT '%s' is not three characters like rw- or r-x", kw, s);
	return -1;
}

int scen_byte_arg(const char *kw, const char *s, uint8_t *byte, char *msg, size_t msglen)
{
	uint64_t v;

	if (scen_number_arg(kw, "BYTE", s, &v, msg, msglen))
		return -1;
	if (v > 0xff) {
		scen_set_msg(msg, msglen, "%s: BYTE '%s' is larger than 0xff", kw, s);
		return -1;
	}
	*byte = (uint8_t)v;
	return 0;
}

int scen_parse_no_args(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	(void)argv;
	if (argc == scen_cmd_name_words(st->cmd))
		return 0;
	scen_set_msg(msg, msglen, "%s: expected no arguments", st->cmd->name);
	return -1;
}

/* Parse hex digits without 0x: 0 or -1. */
static int parse_plain_hex(const char *s, size_t n, uint64_t *val)
{
	uint64_t v = 0;
	int d;

	if (n == 0 || n > 16)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((d = hex_value((unsigned char)s[i])) < 0)
			return -1;
		v = v << 4 | (unsigned)d;
	}
	*val = v;
	return 0;
}

int scen_parse_map_line(int argc, char **argv, struct scen_map *m, char *msg, size_t msglen)
{
	const char *dash;
	char prot[4];

	if (argc != 2)
		goto bad;
	dash = strchr(argv[0], '-');
	if (!dash || parse_plain_hex(argv[0], (size_t)(dash - argv[0]), &m->start) ||
	    parse_plain_hex(dash + 1, strlen(dash + 1), &m->end))
		goto bad;
	if (strlen(argv[1]) != 4 || (argv[1][3] != 'p' && argv[1][3] != 's'))
		goto bad;
	memcpy(prot, argv[1], 3);
	prot[3] = '\0';
	if (scen_parse_prot(prot, &m->prot))
		goto bad;
	m->shared = argv[1][3] == 's';
	return 0;
bad:
	scen_set_msg(msg, msglen, "expect maps: expected a mapping line START-END PERMS "
		"(100000000000-100000004000 rw-p) or 'end'");
	return -1;
}

void scen_format_prot(unsigned prot, char buf[4])
{
	buf[0] = prot & SCEN_PROT_READ ? 'r' : '-';
	buf[1] = prot & SCEN_PROT_WRITE ? 'w' : '-';
	buf[2] = prot & SCEN_PROT_EXEC ? 'x' : '-';
	buf[3] = '\0';
}

void scen_format_map(const struct scen_map *m, char *buf, size_t size)
{
	char prot[4];

	scen_format_prot(m->prot, prot);
	snprintf(buf, size, "%08" PRIx64 "-%08" PRIx64 " %s%c", m->start, m->end, prot,
		 m->shared ? 's' : 'p');
}

void scen_format_errno(int e, char *buf, size_t size)
{
	const char *name = scen_errno_name(e);

	if (name)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "ERRNO_%d", e);
}

void scen_stmt_release(struct scen_stmt *st)
{
	free(st->maps);
	st->maps = NULL;
	st->nmaps = 0;
}

void scen_escape(const char *text, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (size == 0)
		return;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		char esc[5];
		size_t n = 0;

		if (*p == '\\') {
			esc[n++] = '\\';
			esc[n++] = '\\';
		} else if (*p < 0x20 || *p >= 0x7f) {
			esc[n++] = '\\';
			esc[n++] = 'x';
			esc[n++] = hex[*p >> 4];
			esc[n++] = hex[*p & 15];
		} else {
			esc[n++] = (char)*p;
		}
		if (o + n >= size)
			break;   /* never half an escape */
		memcpy(buf + o, esc, n);
		o += n;
	}
	buf[o] = '\0';
}
