/*
 * The script interpreter of oracle.h: parses a line, calls the backend and
 * prints the result in one format for every backend.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/oracle.h"

#define PGSZ 4096ULL
#define MAX_WORDS 12

struct run {
	const struct oracle_ops *ops;
	void *ctx;
	uint64_t base;
	char *out;
	size_t size, n;
	char *w[MAX_WORDS];
	int nw;
	bool bad;
};

static void put(struct run *r, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (r->n >= r->size)
		return;
	va_start(ap, fmt);
	k = vsnprintf(r->out + r->n, r->size - r->n, fmt, ap);
	va_end(ap);
	r->n += (size_t)k;
	if (r->n >= r->size)
		r->n = r->size - 1;
}

/* A number: hex pages, or "b:HEX" bytes. */
static uint64_t num(struct run *r, int i)
{
	bool bytes;
	char *end;
	uint64_t v;

	if (i >= r->nw) {
		r->bad = true;
		return 0;
	}
	bytes = !strncmp(r->w[i], "b:", 2);
	v = strtoull(r->w[i] + (bytes ? 2 : 0), &end, 16);
	if (*end)
		r->bad = true;
	return bytes ? v : v * PGSZ;
}

/* An address: relative pages, "b:HEX" relative bytes, "=HEX" absolute bytes. */
static uint64_t addr(struct run *r, int i)
{
	if (i < r->nw && r->w[i][0] == '=') {
		char *end;
		uint64_t v = strtoull(r->w[i] + 1, &end, 16);
		if (*end)
			r->bad = true;
		return v;
	}
	return r->base + num(r, i);
}

static unsigned prot(struct run *r, int i)
{
	const char *p = i < r->nw ? r->w[i] : "";

	if (strlen(p) != 3)
		r->bad = true;
	else
		return (p[0] == 'r') | (p[1] == 'w') << 1 | (p[2] == 'x') << 2;
	return 0;
}

static bool has(struct run *r, int from, const char *word)
{
	for (int i = from; i < r->nw; i++)
		if (!strcmp(r->w[i], word))
			return true;
	return false;
}

static const char *errname(long e)
{
	switch (-e) {
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case ENOSYS: return "ENOSYS";
	}
	return "E?";
}

static void put_va(struct run *r, uint64_t va)
{
	if (va >= r->base && va < r->base + ORACLE_SPAN && !(va & (PGSZ - 1)))
		put(r, "@%lx", (unsigned long)((va - r->base) / PGSZ));
	else
		put(r, "=%lx", (unsigned long)va);
}

static void put_result(struct run *r, long v, bool is_addr)
{
	if (v < 0 && v >= -4095)
		put(r, "%s\n", errname(v));
	else if (is_addr) {
		put_va(r, (uint64_t)v);
		put(r, "\n");
	} else
		put(r, "ok\n");
}

static const char *const advices[] = {
	[0] = "normal", [1] = "random", [2] = "sequential", [4] = "dontneed",
	[10] = "dontfork", [11] = "dofork", [18] = "wipeonfork", [19] = "keeponfork",
	[22] = "populate_read", [23] = "populate_write",
};

static int advice(struct run *r, int i)
{
	char *end;
	long v;

	if (i >= r->nw) {
		r->bad = true;
		return 0;
	}
	for (unsigned a = 0; a < sizeof advices / sizeof advices[0]; a++)
		if (advices[a] && !strcmp(advices[a], r->w[i]))
			return (int)a;
	v = strtol(r->w[i], &end, 16);        /* a raw value, for EINVAL tests */
	if (*end)
		r->bad = true;
	return (int)v;
}

/* touch / fill / check: page by page (fill and check every byte), ascending. */
static void do_access(struct run *r, int kind)
{
	uint64_t a = addr(r, 1), len = num(r, 2);
	uint8_t want = 0;

	if (kind > 0) {
		if (r->nw < 4)
			r->bad = true;
		else
			want = (uint8_t)strtoul(r->w[3], NULL, 16);
	} else if (r->nw < 4 || (strcmp(r->w[3], "r") && strcmp(r->w[3], "w"))) {
		r->bad = true;
	}
	if (r->bad)
		return;
	for (uint64_t va = a; va < a + len; va += kind ? 1 : PGSZ) {
		uint8_t b = want;
		int write = kind == 1 ? 2 : kind == 0 && r->w[3][0] == 'w' ? 1 : 0;
		int f = r->ops->access(r->ctx, va, write, &b);
		if (f) {
			put(r, "fault ");
			put_va(r, va & ~(PGSZ - 1));
			put(r, " %s\n", f == OR_MAPERR ? "maperr" : "accerr");
			return;
		}
		if (kind == 2 && b != want) {
			put(r, "mismatch b:%lx 0x%02x\n", (unsigned long)(va - r->base), b);
			return;
		}
	}
	put(r, "ok\n");
}

static void do_present(struct run *r)
{
	uint64_t a = addr(r, 1), len = num(r, 2);

	if (r->bad)
		return;
	for (uint64_t va = a; va < a + len; va += PGSZ)
		put(r, "%c", r->ops->present(r->ctx, va) ? 'x' : '.');
	put(r, "\n");
}

static void do_maps(struct run *r)
{
	static const char *const names[] = { "ac", "nr", "lo", "lf", "gd", "sr", "rr", "dc", "wf" };
	struct or_vma v[256];
	unsigned n = r->ops->vmas(r->ctx, r->base, r->base + ORACLE_SPAN, v, 256);

	put(r, "\n");
	for (unsigned i = 0; i < n; i++) {
		put(r, "  %lx-%lx %c%c%c", (unsigned long)((v[i].start - r->base) / PGSZ),
		    (unsigned long)((v[i].end - r->base) / PGSZ), v[i].prot & 1 ? 'r' : '-',
		    v[i].prot & 2 ? 'w' : '-', v[i].prot & 4 ? 'x' : '-');
		for (unsigned f = 0; f < sizeof names / sizeof names[0]; f++)
			if (v[i].flags & (1u << f))
				put(r, " %s", names[f]);
		put(r, "\n");
	}
}

static unsigned mmap_flags(struct run *r)
{
	return (has(r, 4, "noreplace") ? OR_MAP_NOREPLACE : 0) |
	       (has(r, 4, "noreserve") ? OR_MAP_NORESERVE : 0) |
	       (has(r, 4, "populate") ? OR_MAP_POPULATE : 0) |
	       (has(r, 4, "locked") ? OR_MAP_LOCKED : 0) |
	       (has(r, 4, "growsdown") ? OR_MAP_GROWSDOWN : 0);
}

static void do_mremap(struct run *r)
{
	unsigned flags = (has(r, 4, "maymove") ? OR_MREMAP_MAYMOVE : 0) |
			 (has(r, 4, "dontunmap") ? OR_MREMAP_DONTUNMAP : 0);
	uint64_t new_addr = 0;

	for (int i = 4; i < r->nw; i++)
		if (!strcmp(r->w[i], "fixed")) {
			flags |= OR_MREMAP_FIXED;
			new_addr = addr(r, i + 1);
		}
	if (!r->bad)
		put_result(r, r->ops->mremap(r->ctx, addr(r, 1), num(r, 2), num(r, 3), flags,
					     new_addr), true);
}

static void do_line(struct run *r)
{
	const char *op = r->w[0];
	const struct oracle_ops *o = r->ops;
	void *c = r->ctx;

	if (!strcmp(op, "mmap"))
		put_result(r, o->mmap(c, addr(r, 1), num(r, 2), prot(r, 3), mmap_flags(r)), true);
	else if (!strcmp(op, "munmap"))
		put_result(r, o->munmap(c, addr(r, 1), num(r, 2)), false);
	else if (!strcmp(op, "mprotect"))
		put_result(r, o->mprotect(c, addr(r, 1), num(r, 2), prot(r, 3)), false);
	else if (!strcmp(op, "mremap"))
		do_mremap(r);
	else if (!strcmp(op, "madvise"))
		put_result(r, o->madvise(c, addr(r, 1), num(r, 2), advice(r, 3)), false);
	else if (!strcmp(op, "mlock"))
		put_result(r, o->mlock(c, addr(r, 1), num(r, 2),
				       has(r, 3, "onfault") ? OR_MLOCK_ONFAULT : 0), false);
	else if (!strcmp(op, "munlock"))
		put_result(r, o->munlock(c, addr(r, 1), num(r, 2)), false);
	else if (!strcmp(op, "touch"))
		do_access(r, 0);
	else if (!strcmp(op, "fill"))
		do_access(r, 1);
	else if (!strcmp(op, "check"))
		do_access(r, 2);
	else if (!strcmp(op, "present"))
		do_present(r);
	else if (!strcmp(op, "maps"))
		do_maps(r);
	else
		r->bad = true;
}

int oracle_run(const struct oracle_ops *ops, void *ctx, uint64_t base, const char *script,
	       char *out, size_t size)
{
	struct run r = { .ops = ops, .ctx = ctx, .base = base, .out = out, .size = size };
	char line[256];

	out[0] = 0;
	while (*script) {
		size_t len = strcspn(script, "\n");
		char *p;

		snprintf(line, sizeof line, "%.*s", (int)len, script);
		script += len + (script[len] == '\n');
		if ((p = strchr(line, '#')))
			*p = 0;
		r.nw = 0;
		for (p = strtok(line, " \t"); p && r.nw < MAX_WORDS; p = strtok(NULL, " \t"))
			r.w[r.nw++] = p;
		if (r.nw == 0)
			continue;
		for (int i = 0; i < r.nw; i++)
			put(&r, "%s%s", i ? " " : "", r.w[i]);
		put(&r, " -> ");
		do_line(&r);
		if (r.bad) {
			put(&r, "BAD SCRIPT LINE\n");
			return -1;
		}
	}
	return 0;
}
