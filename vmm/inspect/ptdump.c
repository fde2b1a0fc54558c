/*
 * What the walker finds, printed: the dumps of docs/inspection.md (merged
 * ranges, leaves, JSON).  The walk itself is in ptwalk.c, the walk of one
 * address in ptwalk_steps.c, Linux's dump format in ptdump_linux.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/share.h"

/* ---- dumps ---- */

void ptw_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	unsigned u = 0;
	if (bytes == 0 || (bytes & 1023)) {
		snprintf(buf, len, "%" PRIu64 "B", bytes);
		return;
	}
	bytes >>= 10;
	while (!(bytes & 1023) && bytes && u + 1 < sizeof units - 1) {
		bytes >>= 10;
		u++;
	}
	snprintf(buf, len, "%" PRIu64 "%c", bytes, units[u]);
}

#define DUMP_MAX_ERRORS 256

struct dumper {
	FILE *out;
	enum ptdump_mode mode;
	const struct gmem *g;
	const struct frame_share *share;  /* NULL: no marks */
	struct ptdump_mark mark;          /* of the open run */
	bool have;               /* a run is open */
	uint64_t start, end;     /* run [start, end); end 0 = 2^64 */
	bool end_wrapped;
	uint64_t pages;
	uint32_t attrs;
	uint8_t level;
	unsigned items;          /* JSON elements written */
	unsigned long emitted;   /* ranges or leaves written */
	size_t bytes;            /* written so far (items and error lines) */
	bool truncated;
	struct ptw_error errors[DUMP_MAX_ERRORS];
	unsigned nerrors;
	unsigned long dropped_errors;
};

#define MERGE_ATTRS (PTW_USER | PTW_WRITE | PTW_NX | PTW_ACCESSED | PTW_DIRTY | PTW_GLOBAL | \
		     PTW_PROTNONE)

/* fprintf to the dump's stream, counting what it writes. */
static void __attribute__((format(printf, 2, 3))) emit(struct dumper *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(d->out, fmt, ap);
	va_end(ap);
	if (n > 0)
		d->bytes += (size_t)n;
}

/* The dump is as long as it may get (PTDUMP_MAX_BYTES): it stops and
 * says so. */
static bool full(struct dumper *d)
{
	if (d->bytes >= PTDUMP_MAX_BYTES)
		d->truncated = true;
	return d->truncated;
}

static void print_end(FILE *out, uint64_t end, bool wrapped, bool json)
{
	if (wrapped)
		fputs(json ? "0x10000000000000000" : "10000000000000000", out);
	else
		fprintf(out, json ? "0x%" PRIx64 : "%016" PRIx64, end);
}

static void flush_run(struct dumper *d)
{
	char size[24];
	if (!d->have)
		return;
	d->have = false;
	d->emitted++;
	uint32_t a = d->attrs;
	if (d->mode == PTDUMP_MERGED) {
		ptw_format_size(d->end - d->start, size, sizeof size);   /* mod 2^64 */
		emit(d, "%016" PRIx64 "-", d->start);
		print_end(d->out, d->end, d->end_wrapped, false);
		d->bytes += 17;
		if (a & PTW_PROTNONE)
			emit(d, " %6s n--- %c%c- %s", size, (a & PTW_ACCESSED) ? 'a' : '-',
				(a & PTW_DIRTY) ? 'd' : '-', ptw_level_name(d->level));
		else
			emit(d, " %6s %c%c%c%c %c%c%c %s", size,
				(a & PTW_USER) ? 'u' : 's', 'r', (a & PTW_WRITE) ? 'w' : '-',
				(a & PTW_NX) ? '-' : 'x', (a & PTW_ACCESSED) ? 'a' : '-',
				(a & PTW_DIRTY) ? 'd' : '-', (a & PTW_GLOBAL) ? 'g' : '-',
				ptw_level_name(d->level));
		if (d->share)
			d->bytes += (size_t)ptdump_mark_text(d->out, &d->mark, false);
		emit(d, "\n");
	} else {
		emit(d, "%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"", d->items ? "," : "", d->start);
		print_end(d->out, d->end, d->end_wrapped, true);
		d->bytes += 19;
		emit(d, "\",\"size\":%" PRIu64 ",\"pages\":%" PRIu64 ",\"level\":\"%s\","
			"\"user\":%s,\"write\":%s,\"exec\":%s,\"accessed\":%s,\"dirty\":%s,\"global\":%s,"
			"\"protnone\":%s",
			d->end - d->start, d->pages, ptw_level_name(d->level),
			(a & PTW_USER) ? "true" : "false", (a & PTW_WRITE) ? "true" : "false",
			(a & PTW_NX) ? "false" : "true", (a & PTW_ACCESSED) ? "true" : "false",
			(a & PTW_DIRTY) ? "true" : "false", (a & PTW_GLOBAL) ? "true" : "false",
			(a & PTW_PROTNONE) ? "true" : "false");
		if (d->share)
			d->bytes += (size_t)ptdump_mark_json(d->out, &d->mark, false);
		emit(d, "}");
		d->items++;
	}
}

static int dump_leaf(void *ctx, const struct ptw_leaf *l)
{
	struct dumper *d = ctx;
	uint32_t a = l->attrs;
	struct ptdump_mark mark = { .refcount_ok = true };

	if (full(d))
		return 1;
	if (d->share)
		ptdump_mark_leaf(d->g, d->share, l, &mark);
	if (d->mode == PTDUMP_LEAVES || d->mode == PTDUMP_JSON_LEAVES)
		d->emitted++;
	switch (d->mode) {
	case PTDUMP_LEAVES:
		emit(d, "%016" PRIx64 ": %016" PRIx64 " %c%c%c%c%c%c%c%c%c%s", l->va, l->pa,
			(a & PTW_NX) ? 'X' : '-', (a & PTW_GLOBAL) ? 'G' : '-',
			l->level == PTW_LEVEL_PMD ? 'P' : '-', (a & PTW_DIRTY) ? 'D' : '-',
			(a & PTW_ACCESSED) ? 'A' : '-', (a & PTW_PCD) ? 'C' : '-',
			(a & PTW_PWT) ? 'T' : '-', (a & PTW_USER) ? 'U' : '-',
			(a & PTW_WRITE) ? 'W' : '-', (a & PTW_PROTNONE) ? " protnone" : "");
		if (d->share)
			d->bytes += (size_t)ptdump_mark_text(d->out, &mark, true);
		emit(d, "\n");
		return 0;
	case PTDUMP_JSON_LEAVES:
		emit(d, "%s{\"va\":\"0x%" PRIx64 "\",\"pa\":\"0x%" PRIx64 "\",\"size\":%" PRIu64
			",\"level\":\"%s\",\"entry\":\"0x%" PRIx64 "\",\"user\":%s,\"write\":%s,"
			"\"exec\":%s,\"accessed\":%s,\"dirty\":%s,\"global\":%s,\"protnone\":%s",
			d->items ? "," : "", l->va, l->pa, l->size, ptw_level_name(l->level), l->entry,
			(a & PTW_USER) ? "true" : "false", (a & PTW_WRITE) ? "true" : "false",
			(a & PTW_NX) ? "false" : "true", (a & PTW_ACCESSED) ? "true" : "false",
			(a & PTW_DIRTY) ? "true" : "false", (a & PTW_GLOBAL) ? "true" : "false",
			(a & PTW_PROTNONE) ? "true" : "false");
		if (d->share)
			d->bytes += (size_t)ptdump_mark_json(d->out, &mark, true);
		emit(d, "}");
		d->items++;
		return 0;
	case PTDUMP_MERGED:
	case PTDUMP_JSON:
	case PTDUMP_LINUX:      /* not reached: ptdump_linux walks itself */
		break;
	}
	a &= MERGE_ATTRS;
	if (d->have && !d->end_wrapped && d->end == l->va && d->attrs == a && d->level == l->level &&
	    d->mark.sharing == mark.sharing && d->mark.refcount_ok == mark.refcount_ok) {
		d->end += l->size;
		d->pages++;
	} else {
		flush_run(d);
		d->have = true;
		d->start = l->va;
		d->end = l->va + l->size;
		d->attrs = a;
		d->level = l->level;
		d->mark = mark;
		d->pages = 1;
	}
	d->end_wrapped = d->end == 0;
	return 0;
}

static void print_error_text(struct dumper *d, const struct ptw_error *e)
{
	if (e->level > PTW_LEVEL_PGD)
		emit(d, "bad: pml4 0x%" PRIx64 ": %s\n", e->entry, e->msg);
	else
		emit(d, "bad: va %016" PRIx64 " %s entry 0x%016" PRIx64 " at 0x%" PRIx64 ": %s\n",
		     e->va, ptw_level_name(e->level), e->entry, e->entry_gpa, e->msg);
}

static int dump_error(void *ctx, const struct ptw_error *e)
{
	struct dumper *d = ctx;
	if (d->mode == PTDUMP_MERGED || d->mode == PTDUMP_LEAVES) {
		/* Bad entries are lines too: a guest can make as many as it
		 * makes leaves. */
		if (full(d))
			return 1;
		flush_run(d);
		print_error_text(d, e);
		return 0;
	}
	if (d->nerrors < DUMP_MAX_ERRORS)
		d->errors[d->nerrors++] = *e;
	else
		d->dropped_errors++;
	return 0;
}

int ptdump(const struct gmem *g, uint64_t pml4, const struct ptdump_opts *o, FILE *out)
{
	if (o->end != 0 && o->end <= o->start)
		return -EINVAL;
	if (o->mode == PTDUMP_LINUX) {
		int r = ptdump_linux(g, pml4, o->start, o->end, out);

		return r == 0 && ferror(out) ? -EIO : r;
	}
	struct dumper *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	d->out = out;
	d->mode = o->mode;
	d->g = g;
	d->share = o->share;
	bool json = o->mode == PTDUMP_JSON || o->mode == PTDUMP_JSON_LEAVES;
	if (json) {
		fprintf(out, "{\"pml4\":\"0x%" PRIx64 "\",\"start\":\"0x%" PRIx64 "\",\"end\":\"",
			pml4, o->start);
		print_end(out, o->end, o->end == 0, true);
		fprintf(out, "\",\"%s\":[", o->mode == PTDUMP_JSON ? "ranges" : "leaves");
	}

	struct ptw_visitor v = { .leaf = dump_leaf, .error = dump_error, .ctx = d,
				 .protnone = true };
	int r = ptwalk(g, pml4, o->start, o->end ? o->end - 1 : UINT64_MAX, &v);
	if (!d->truncated)
		flush_run(d);
	if (d->truncated) {
		r = -E2BIG;
		if (!json)
			fprintf(out, "truncated: after %lu %s (a dump stops at %u MiB)\n",
				d->emitted, o->mode == PTDUMP_LEAVES ? "leaves" : "ranges",
				PTDUMP_MAX_BYTES >> 20);
	}

	if (json) {
		fputs("],\"errors\":[", out);
		for (unsigned i = 0; i < d->nerrors; i++) {
			const struct ptw_error *e = &d->errors[i];
			fprintf(out, "%s{\"va\":\"0x%" PRIx64 "\",\"level\":\"%s\",\"entry\":\"0x%" PRIx64
				"\",\"entry_gpa\":\"0x%" PRIx64 "\",\"msg\":\"%s\"}", i ? "," : "",
				e->va, ptw_level_name(e->level), e->entry, e->entry_gpa, e->msg);
		}
		fprintf(out, "],\"errors_dropped\":%lu,\"truncated\":%s,\"complete\":%s}\n",
			d->dropped_errors, d->truncated ? "true" : "false", r == 0 ? "true" : "false");
	}
	free(d);
	if (r == 0 && ferror(out))
		return -EIO;
	return r < 0 ? r : 0;
}
