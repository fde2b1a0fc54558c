/*
 * The three output formats of the trace (docs/trace.md):
 *  - text: Linux's ftrace function_graph style, "CPU) " then two spaces
 *    per nesting level, one step per line, "{" ... "} = result";
 *  - json: one object per line (cpu, tsc, depth, type, name, args, text);
 *  - chrome: the Trace Event Format's JSON array (Perfetto UI,
 *    chrome://tracing): "B"/"E" pairs for the nesting steps, "i" instants
 *    for the others, ts in microseconds from the first event.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "shared/channel.h"
#include "vmm/trace/trace.h"

static const char *const format_names[] = { "text", "json", "chrome" };

int trace_format_parse(const char *name, enum trace_format *f)
{
	for (unsigned i = 0; i < sizeof format_names / sizeof format_names[0]; i++) {
		if (strcmp(name, format_names[i]) == 0) {
			*f = (enum trace_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *trace_format_name(enum trace_format f)
{
	return (unsigned)f < 3 ? format_names[f] : "?";
}

void trace_fmt_init(struct trace_fmt *st, enum trace_format format, uint64_t tsc_khz)
{
	*st = (struct trace_fmt){ .format = format, .tsc_khz = tsc_khz };
}

/* The request's range, for split_vma's front and rear. */
static void note_request(struct trace_fmt *st, const struct trace_event *e)
{
	unsigned c = e->cpu;
	uint64_t op = e->a[0] & 0xffff, len = (e->a[2] + 0xfff) & ~0xfffULL;

	st->req_op[c] = (uint16_t)op;
	st->req_start[c] = st->req_end[c] = 0;
	if (op == OP_MMAP || op == OP_MUNMAP || op == OP_MPROTECT || op == OP_MADVISE ||
	    op == OP_MLOCK || op == OP_MUNLOCK) {
		st->req_start[c] = e->a[1];
		st->req_end[c] = e->a[1] + len;
	}
}

/* Requests that only read (the VMA list behind `maps`, a PTE, counters):
 * nothing happens inside them, they are left out. */
static bool quiet_request(const struct trace_event *e)
{
	uint64_t op = e->ev == TEV_REQ_ENTER ? e->a[0] & 0xffff : e->a[0];

	return (e->ev == TEV_REQ_ENTER || e->ev == TEV_REQ_EXIT) &&
	       (op == OP_VMA_LIST || op == OP_PTE || op == OP_STATS);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void write_json(FILE *f, const struct trace_fmt *st, const struct trace_event *e,
		       int depth, const char *text)
{
	int nest = trace_event_nesting(e->ev);

	fprintf(f, "{\"cpu\":%u,\"tsc\":%" PRIu64 ",\"depth\":%d,\"type\":\"%s\",\"name\":",
		e->cpu, e->tsc, depth, nest > 0 ? "enter" : nest < 0 ? "exit" : "step");
	json_string(f, trace_event_name(st, e));
	fprintf(f, ",\"event\":%u,\"args\":[", e->ev);
	for (unsigned i = 0; i < 6; i++)
		fprintf(f, "%s\"0x%" PRIx64 "\"", i ? "," : "", e->a[i]);
	fprintf(f, "],\"text\":");
	json_string(f, text);
	fprintf(f, "}\n");
}

static void write_chrome(FILE *f, struct trace_fmt *st, const struct trace_event *e,
			 const char *text)
{
	int nest = trace_event_nesting(e->ev);
	uint64_t dt = e->tsc - st->tsc0;
	double ts = st->tsc_khz ? (double)dt * 1000.0 / (double)st->tsc_khz : (double)dt;

	fputs(st->started ? ",\n" : "[\n", f);
	st->started = true;
	fprintf(f, "{\"name\":");
	json_string(f, trace_event_name(st, e));
	fprintf(f, ",\"cat\":\"mm\",\"ph\":\"%s\",\"ts\":%.3f,\"pid\":1,\"tid\":%u,",
		nest > 0 ? "B" : nest < 0 ? "E" : "i", ts, e->cpu);
	if (nest == 0)
		fprintf(f, "\"s\":\"t\",");
	fprintf(f, "\"args\":{\"text\":");
	json_string(f, text);
	fprintf(f, "}}");
}

static void write_lost(FILE *f, struct trace_fmt *st, uint64_t lost)
{
	if (st->format == TRACE_FMT_TEXT) {
		fprintf(f, "# trace: %" PRIu64 " record%s lost\n", lost, lost == 1 ? "" : "s");
	} else if (st->format == TRACE_FMT_JSON) {
		fprintf(f, "{\"lost\":%" PRIu64 "}\n", lost);
	} else {
		fputs(st->started ? ",\n" : "[\n", f);
		st->started = true;
		fprintf(f, "{\"name\":\"lost\",\"ph\":\"i\",\"s\":\"g\",\"ts\":0,\"pid\":1,\"tid\":0,"
			"\"args\":{\"records\":%" PRIu64 "}}", lost);
	}
}

void trace_fmt_write(FILE *f, struct trace_fmt *st, const struct trace_event *ev, size_t n,
		     uint64_t lost)
{
	char text[512];

	if (lost)
		write_lost(f, st, lost);
	for (size_t i = 0; i < n; i++) {
		const struct trace_event *e = &ev[i];
		unsigned c = e->cpu < TRACE_CPUS ? e->cpu : 0;
		int nest = trace_event_nesting(e->ev);

		if (quiet_request(e))
			continue;
		if (!st->tsc0)
			st->tsc0 = e->tsc;
		if (e->ev == TEV_REQ_ENTER)
			note_request(st, e);
		if (nest < 0 && st->depth[c] > 0)
			st->depth[c]--;
		trace_text_body(st, e, text, sizeof text);
		if (st->format == TRACE_FMT_TEXT)
			fprintf(f, "%2u) %*s%s\n", c, 2 * st->depth[c], "", text);
		else if (st->format == TRACE_FMT_JSON)
			write_json(f, st, e, st->depth[c], text);
		else
			write_chrome(f, st, e, text);
		if (nest > 0 && st->depth[c] < 64)
			st->depth[c]++;
		if (e->ev == TEV_REQ_EXIT)
			st->req_start[c] = st->req_end[c] = 0;
	}
}

void trace_fmt_finish(FILE *f, struct trace_fmt *st)
{
	if (st->format == TRACE_FMT_CHROME && st->started)
		fputs("\n]\n", f);
	st->started = false;
}
