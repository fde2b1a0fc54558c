/*
 * The scenario language's lexer and parser, and the normalised text of what
 * it parsed.  Pure functions: no I/O, no backend.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/script/scen.h"

#define PAGE_MASK_4K 0xfffULL

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
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

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 0, -1 (not a number) or -2 (does not fit in 64 bits). */
static int parse_number(const char *s, uint64_t *val)
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
	while ((d = hex_digit(*p)) >= 0 && (unsigned)d < base) {
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
	return parse_number(s, val) == 0 ? 0 : -1;
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

/* Parse argument `what` of keyword kw: 0 or -1 with msg. */
static int number_arg(const char *kw, const char *what, const char *s,
		      uint64_t *val, char *msg, size_t msglen)
{
	int r = parse_number(s, val);

	if (r == -1)
		set_msg(msg, msglen, "%s: %s '%s' is not a number", kw, what, s);
	else if (r == -2)
		set_msg(msg, msglen, "%s: %s '%s' does not fit in 64 bits", kw, what, s);
	return r ? -1 : 0;
}

static int prot_arg(const char *kw, const char *s, unsigned *prot, char *msg, size_t msglen)
{
	if (scen_parse_prot(s, prot) == 0)
		return 0;
	set_msg(msg, msglen, "%s: PROT '%s' is not three characters like rw- or r-x", kw, s);
	return -1;
}

static int byte_arg(const char *kw, const char *s, uint8_t *byte, char *msg, size_t msglen)
{
	uint64_t v;

	if (number_arg(kw, "BYTE", s, &v, msg, msglen))
		return -1;
	if (v > 0xff) {
		set_msg(msg, msglen, "%s: BYTE '%s' is larger than 0xff", kw, s);
		return -1;
	}
	*byte = (uint8_t)v;
	return 0;
}

/* Normalise the value of `expect result` into st->result. */
static int parse_result_value(int argc, char **argv, struct scen_stmt *st,
			      char *msg, size_t msglen)
{
	const char *kw = "expect result";
	uint64_t v;
	uint8_t byte;
	int e;

	if (argc == 1) {
		if (strcmp(argv[0], "ok") == 0) {
			snprintf(st->result, sizeof(st->result), "ok");
			return 0;
		}
		if (argv[0][0] == 'E' && (e = scen_errno_from_name(argv[0])) != 0) {
			snprintf(st->result, sizeof(st->result), "%s", argv[0]);
			return 0;
		}
		if (strncmp(argv[0], "ERRNO_", 6) == 0 &&
		    parse_number(argv[0] + 6, &v) == 0 && v > 0 && v < 4096 &&
		    strspn(argv[0] + 6, "0123456789") == strlen(argv[0] + 6)) {
			scen_format_errno((int)v, st->result, sizeof(st->result));
			return 0;
		}
		if (argv[0][0] >= '0' && argv[0][0] <= '9') {
			if (number_arg(kw, "VALUE", argv[0], &v, msg, msglen))
				return -1;
			snprintf(st->result, sizeof(st->result), "0x%" PRIx64, v);
			return 0;
		}
		set_msg(msg, msglen, "%s: '%s' is not ok, an errno name, an address, "
			"fault ADDR maperr|accerr or mismatch ADDR BYTE", kw, argv[0]);
		return -1;
	}
	if (argc == 3 && strcmp(argv[0], "fault") == 0) {
		if (number_arg(kw, "ADDR", argv[1], &v, msg, msglen))
			return -1;
		if (strcmp(argv[2], "maperr") != 0 && strcmp(argv[2], "accerr") != 0) {
			set_msg(msg, msglen, "%s: fault kind '%s' is not maperr or accerr",
				kw, argv[2]);
			return -1;
		}
		snprintf(st->result, sizeof(st->result), "fault 0x%" PRIx64 " %s", v, argv[2]);
		return 0;
	}
	if (argc == 3 && strcmp(argv[0], "mismatch") == 0) {
		if (number_arg(kw, "ADDR", argv[1], &v, msg, msglen) ||
		    byte_arg(kw, argv[2], &byte, msg, msglen))
			return -1;
		snprintf(st->result, sizeof(st->result), "mismatch 0x%" PRIx64 " 0x%02x",
			 v, byte);
		return 0;
	}
	set_msg(msg, msglen, "%s: expected ok, an errno name, an address, "
		"fault ADDR maperr|accerr or mismatch ADDR BYTE", kw);
	return -1;
}

static enum scen_parse_status parse_expect(int argc, char **argv, struct scen_stmt *st,
					   char *msg, size_t msglen)
{
	const char *what = argv[1];

	if (strcmp(what, "result") == 0) {
		if (argc < 3) {
			set_msg(msg, msglen, "expect result: expected a VALUE");
			return SCEN_PARSE_ERROR;
		}
		st->kind = SCEN_EXPECT_RESULT;
		if (parse_result_value(argc - 2, argv + 2, st, msg, msglen))
			return SCEN_PARSE_ERROR;
		return SCEN_PARSE_STMT;
	}
	if (strcmp(what, "maps") == 0) {
		if (argc != 2) {
			set_msg(msg, msglen, "expect maps: expected nothing after 'maps' "
				"(the mapping lines follow, then 'end')");
			return SCEN_PARSE_ERROR;
		}
		st->kind = SCEN_EXPECT_MAPS;
		return SCEN_PARSE_BLOCK;
	}
	if (strcmp(what, "mapped") == 0 || strcmp(what, "unmapped") == 0) {
		const char *kw = what[0] == 'm' ? "expect mapped" : "expect unmapped";

		if (argc != 4) {
			set_msg(msg, msglen, "%s: expected ADDR LEN", kw);
			return SCEN_PARSE_ERROR;
		}
		st->kind = what[0] == 'm' ? SCEN_EXPECT_MAPPED : SCEN_EXPECT_UNMAPPED;
		if (number_arg(kw, "ADDR", argv[2], &st->addr, msg, msglen) ||
		    number_arg(kw, "LEN", argv[3], &st->len, msg, msglen))
			return SCEN_PARSE_ERROR;
		if (st->addr > UINT64_MAX - PAGE_MASK_4K ||
		    st->len > UINT64_MAX - PAGE_MASK_4K - st->addr) {
			set_msg(msg, msglen, "%s: the range wraps around the address space", kw);
			return SCEN_PARSE_ERROR;
		}
		if (st->len > SCEN_EXPECT_RANGE_MAX) {
			set_msg(msg, msglen, "%s: LEN is larger than the 1G this check accepts", kw);
			return SCEN_PARSE_ERROR;
		}
		return SCEN_PARSE_STMT;
	}
	if (strcmp(what, "vmas") == 0) {
		if (argc != 3) {
			set_msg(msg, msglen, "expect vmas: expected a count N");
			return SCEN_PARSE_ERROR;
		}
		st->kind = SCEN_EXPECT_VMAS;
		if (number_arg("expect vmas", "N", argv[2], &st->count, msg, msglen))
			return SCEN_PARSE_ERROR;
		return SCEN_PARSE_STMT;
	}
	return SCEN_PARSE_EXTRA;
}

enum scen_parse_status scen_parse_words(int argc, char **argv, struct scen_stmt *st,
					char *msg, size_t msglen)
{
	const char *kw;

	if (argc == 0)
		return SCEN_PARSE_EMPTY;
	kw = argv[0];
	if (strcmp(kw, "mmap") == 0) {
		st->kind = SCEN_MMAP;
		if (argc != 4 && !(argc == 5 && strcmp(argv[4], "noreplace") == 0)) {
			set_msg(msg, msglen, "mmap: expected ADDR LEN PROT [noreplace] or - LEN PROT");
			return SCEN_PARSE_ERROR;
		}
		if (strcmp(argv[1], "-") == 0) {
			if (argc == 5) {
				set_msg(msg, msglen, "mmap: noreplace needs an address, not -");
				return SCEN_PARSE_ERROR;
			}
			st->how = SCEN_MMAP_ANY;
			st->addr = 0;
		} else {
			st->how = argc == 5 ? SCEN_MMAP_NOREPLACE : SCEN_MMAP_FIXED;
			if (number_arg(kw, "ADDR", argv[1], &st->addr, msg, msglen))
				return SCEN_PARSE_ERROR;
		}
		if (number_arg(kw, "LEN", argv[2], &st->len, msg, msglen) ||
		    prot_arg(kw, argv[3], &st->prot, msg, msglen))
			return SCEN_PARSE_ERROR;
		return SCEN_PARSE_STMT;
	}
	if (strcmp(kw, "munmap") == 0) {
		st->kind = SCEN_MUNMAP;
		if (argc != 3) {
			set_msg(msg, msglen, "munmap: expected ADDR LEN");
			return SCEN_PARSE_ERROR;
		}
		if (number_arg(kw, "ADDR", argv[1], &st->addr, msg, msglen) ||
		    number_arg(kw, "LEN", argv[2], &st->len, msg, msglen))
			return SCEN_PARSE_ERROR;
		return SCEN_PARSE_STMT;
	}
	if (strcmp(kw, "mprotect") == 0) {
		st->kind = SCEN_MPROTECT;
		if (argc != 4) {
			set_msg(msg, msglen, "mprotect: expected ADDR LEN PROT");
			return SCEN_PARSE_ERROR;
		}
		if (number_arg(kw, "ADDR", argv[1], &st->addr, msg, msglen) ||
		    number_arg(kw, "LEN", argv[2], &st->len, msg, msglen) ||
		    prot_arg(kw, argv[3], &st->prot, msg, msglen))
			return SCEN_PARSE_ERROR;
		return SCEN_PARSE_STMT;
	}
	if (strcmp(kw, "touch") == 0) {
		st->kind = SCEN_TOUCH;
		if (argc != 4 || (strcmp(argv[3], "read") != 0 && strcmp(argv[3], "write") != 0)) {
			set_msg(msg, msglen, "touch: expected ADDR LEN read|write");
			return SCEN_PARSE_ERROR;
		}
		st->write = strcmp(argv[3], "write") == 0;
		if (number_arg(kw, "ADDR", argv[1], &st->addr, msg, msglen) ||
		    number_arg(kw, "LEN", argv[2], &st->len, msg, msglen))
			return SCEN_PARSE_ERROR;
		return SCEN_PARSE_STMT;
	}
	if (strcmp(kw, "fill") == 0 || strcmp(kw, "check") == 0) {
		st->kind = kw[0] == 'f' ? SCEN_FILL : SCEN_CHECK;
		if (argc != 4) {
			set_msg(msg, msglen, "%s: expected ADDR LEN BYTE", kw);
			return SCEN_PARSE_ERROR;
		}
		if (number_arg(kw, "ADDR", argv[1], &st->addr, msg, msglen) ||
		    number_arg(kw, "LEN", argv[2], &st->len, msg, msglen) ||
		    byte_arg(kw, argv[3], &st->byte, msg, msglen))
			return SCEN_PARSE_ERROR;
		return SCEN_PARSE_STMT;
	}
	if (strcmp(kw, "maps") == 0) {
		st->kind = SCEN_MAPS;
		if (argc != 1) {
			set_msg(msg, msglen, "maps: expected no arguments");
			return SCEN_PARSE_ERROR;
		}
		return SCEN_PARSE_STMT;
	}
	if (strcmp(kw, "expect") == 0) {
		if (argc < 2) {
			set_msg(msg, msglen, "expect: expected result, maps, mapped, unmapped or vmas");
			return SCEN_PARSE_ERROR;
		}
		return parse_expect(argc, argv, st, msg, msglen);
	}
	if (strcmp(kw, "end") == 0) {
		set_msg(msg, msglen, "'end' without 'expect maps'");
		return SCEN_PARSE_ERROR;
	}
	return SCEN_PARSE_EXTRA;
}

/* Parse hex digits without 0x: 0 or -1. */
static int parse_plain_hex(const char *s, size_t n, uint64_t *val)
{
	uint64_t v = 0;
	int d;

	if (n == 0 || n > 16)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if ((d = hex_digit(s[i])) < 0)
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
	set_msg(msg, msglen, "expect maps: expected a mapping line START-END PERMS "
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

void scen_format_stmt(const struct scen_stmt *st, char *buf, size_t size)
{
	char prot[4];
	size_t used;

	scen_format_prot(st->prot, prot);
	switch (st->kind) {
	case SCEN_MMAP:
		if (st->how == SCEN_MMAP_ANY)
			snprintf(buf, size, "mmap - 0x%" PRIx64 " %s", st->len, prot);
		else
			snprintf(buf, size, "mmap 0x%" PRIx64 " 0x%" PRIx64 " %s%s", st->addr,
				 st->len, prot, st->how == SCEN_MMAP_NOREPLACE ? " noreplace" : "");
		break;
	case SCEN_MUNMAP:
		snprintf(buf, size, "munmap 0x%" PRIx64 " 0x%" PRIx64, st->addr, st->len);
		break;
	case SCEN_MPROTECT:
		snprintf(buf, size, "mprotect 0x%" PRIx64 " 0x%" PRIx64 " %s", st->addr,
			 st->len, prot);
		break;
	case SCEN_TOUCH:
		snprintf(buf, size, "touch 0x%" PRIx64 " 0x%" PRIx64 " %s", st->addr, st->len,
			 st->write ? "write" : "read");
		break;
	case SCEN_FILL:
	case SCEN_CHECK:
		snprintf(buf, size, "%s 0x%" PRIx64 " 0x%" PRIx64 " 0x%02x",
			 st->kind == SCEN_FILL ? "fill" : "check", st->addr, st->len, st->byte);
		break;
	case SCEN_MAPS:
		snprintf(buf, size, "maps");
		break;
	case SCEN_EXPECT_RESULT:
		snprintf(buf, size, "expect result %s", st->result);
		break;
	case SCEN_EXPECT_MAPS:
		snprintf(buf, size, "expect maps");
		break;
	case SCEN_EXPECT_MAPPED:
	case SCEN_EXPECT_UNMAPPED:
		snprintf(buf, size, "expect %s 0x%" PRIx64 " 0x%" PRIx64,
			 st->kind == SCEN_EXPECT_MAPPED ? "mapped" : "unmapped", st->addr, st->len);
		break;
	case SCEN_EXPECT_VMAS:
		snprintf(buf, size, "expect vmas %" PRIu64, st->count);
		break;
	case SCEN_EXTRA:
		if (size)
			buf[0] = '\0';
		used = 0;
		for (int i = 0; i < st->argc && used + 1 < size; i++) {
			int n = snprintf(buf + used, size - used, "%s%s", i ? " " : "", st->argv[i]);
			if (n < 0)
				break;
			used += (size_t)n;
		}
		break;
	}
}

void scen_stmt_release(struct scen_stmt *st)
{
	free(st->maps);
	st->maps = NULL;
	st->nmaps = 0;
	for (int i = 0; i < st->argc; i++)
		free(st->argv[i]);
	free(st->argv);
	st->argv = NULL;
	st->argc = 0;
}
