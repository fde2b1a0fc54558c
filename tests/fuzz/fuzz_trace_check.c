/*
 * fuzz_trace's contracts on the formats' output (docs/trace.md, "The
 * formats"): whole lines, each bounded, each the shape its format says;
 * JSON parsed by the trace tests' strict reader (tests/trace/json_check.c).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shared/channel.h"
#include "tests/fuzz/fuzz_trace.h"
#include "tests/trace/json_check.h"

/* Longest line: a text body is cut at 511 bytes; JSON adds the escaped
 * text (at most 6 bytes a character) and the fixed members. */
#define LINE_MAX_BYTES  4096

void ft_violation(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz_trace: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

void ft_out_open(struct ft_out *o)
{
	if (!o->buf && !(o->buf = malloc(FT_OUT_MAX)))
		abort();
	o->buf[0] = '\0';
	if (!(o->f = fmemopen(o->buf, FT_OUT_MAX - 1, "w")))
		abort();
}

size_t ft_out_len(struct ft_out *o)
{
	long n;

	fflush(o->f);
	n = ftell(o->f);
	if (n < 0 || (size_t)n >= FT_OUT_MAX - 2)
		ft_violation("output of %ld bytes", n);
	o->buf[n] = '\0';
	return (size_t)n;
}

void ft_out_close(struct ft_out *o)
{
	fclose(o->f);
	o->f = NULL;
}

int ft_quiet(const struct trace_event *e)
{
	uint64_t op = e->ev == TEV_REQ_ENTER ? e->a[0] & 0xffff : e->a[0];

	return (e->ev == TEV_REQ_ENTER || e->ev == TEV_REQ_EXIT) &&
	       (op == OP_VMA_LIST || op == OP_PTE || op == OP_STATS);
}

/* "# trace: N record(s) lost", N == lost (any N > 0 for FT_LOST_ANY). */
static bool text_lost_line(const char *l, uint64_t lost)
{
	char want[64];

	if (lost == FT_LOST_ANY && sscanf(l, "# trace: %" SCNu64, &lost) != 1)
		return false;
	snprintf(want, sizeof want, "# trace: %" PRIu64 " record%s lost", lost,
		 lost == 1 ? "" : "s");
	return strcmp(l, want) == 0;
}

/* " C) ", two spaces per level (at most 64), then a body of printable
 * characters that starts with a step's word, at most 511 bytes. */
static void text_event_line(const char *l)
{
	size_t n = strlen(l), sp = 0;

	if (n < 5 || l[0] != ' ' || l[1] < '0' || l[1] >= '0' + TRACE_CPUS || l[2] != ')' ||
	    l[3] != ' ')
		ft_violation("text: bad line start: %s", l);
	while (l[4 + sp] == ' ')
		sp++;
	if (sp % 2 || sp > 128)
		ft_violation("text: indentation of %zu: %s", sp, l);
	if (n - 4 - sp == 0 || n - 4 - sp > 511)
		ft_violation("text: body of %zu bytes: %s", n - 4 - sp, l);
	for (const char *p = l + 4 + sp; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			ft_violation("text: byte %#x in: %s", (unsigned char)*p, l);
}

static void has_member(const char *obj, const char *key, size_t *vlen)
{
	if (!json_member(obj, key, vlen))
		ft_violation("json: no \"%s\" in: %s", key, obj);
}

static void count_one(void *ctx, const char *v, size_t len)
{
	(void)v, (void)len;
	++*(size_t *)ctx;
}

/* A JSON line: one object; {"lost":N} with N == lost, or an event with
 * every member docs/trace.md lists.  true for an event. */
static bool json_line(const char *l, uint64_t lost)
{
	static const char *const keys[] = { "cpu", "tsc", "depth", "name", "event", "text" };
	const char *v;
	size_t vlen, nargs = 0;
	char want[64];

	if (!json_valid(l, strlen(l)) || l[0] != '{')
		ft_violation("json: not one object: %s", l);
	if (json_member(l, "lost", &vlen)) {
		if (lost == FT_LOST_ANY && sscanf(l, "{\"lost\":%" SCNu64, &lost) != 1)
			ft_violation("json: %s", l);
		snprintf(want, sizeof want, "{\"lost\":%" PRIu64 "}", lost);
		if (strcmp(l, want) != 0)
			ft_violation("json: %s, %" PRIu64 " lost", l, lost);
		return false;
	}
	for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
		has_member(l, keys[i], &vlen);
	v = json_member(l, "type", &vlen);
	if (!v || !((vlen == 7 && !memcmp(v, "\"enter\"", 7)) ||
		    (vlen == 6 && !memcmp(v, "\"exit\"", 6)) ||
		    (vlen == 6 && !memcmp(v, "\"step\"", 6))))
		ft_violation("json: bad type: %s", l);
	v = json_member(l, "args", &vlen);
	if (!v || *v != '[' || json_array_each(v, count_one, &nargs) != 6)
		ft_violation("json: not 6 args: %s", l);
	return true;
}

/* Lines of text or JSON: the number of event lines. */
static size_t lines(enum trace_format f, const char *s, size_t len, uint64_t lost)
{
	char line[LINE_MAX_BYTES + 1];
	size_t events = 0, nlines = 0;
	bool saw_lost = false;

	if (len && s[len - 1] != '\n')
		ft_violation("%s: a line without its end", trace_format_name(f));
	for (const char *p = s, *end = s + len; p < end; nlines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (size_t)(nl - p);

		if (n > LINE_MAX_BYTES || memchr(p, '\0', n))
			ft_violation("%s: a line of %zu bytes", trace_format_name(f), n);
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl + 1;
		if (f == TRACE_FMT_TEXT && line[0] == '#') {
			if (nlines || !lost || !text_lost_line(line, lost))
				ft_violation("text: %s (lost %" PRIu64 ")", line, lost);
			saw_lost = true;
		} else if (f == TRACE_FMT_TEXT) {
			text_event_line(line);
			events++;
		} else if (json_line(line, lost)) {
			events++;
		} else if (nlines || !lost) {
			ft_violation("json: a lost line out of place: %s", line);
		} else {
			saw_lost = true;
		}
	}
	if (lost && lost != FT_LOST_ANY && !saw_lost)
		ft_violation("%s: %" PRIu64 " lost not said", trace_format_name(f), lost);
	return events;
}

struct chrome_count {
	size_t events, lost;
};

/* One element of a Chrome array: a "lost" instant or an event. */
static void chrome_element(void *ctx, const char *v, size_t len)
{
	static const char *const keys[] = { "name", "ph", "ts", "pid", "tid", "args" };
	struct chrome_count *c = ctx;
	const char *name;
	size_t vlen;

	if (*v != '{' || len > LINE_MAX_BYTES)
		ft_violation("chrome: element of %zu bytes: %.*s", len, (int)len, v);
	for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
		has_member(v, keys[i], &vlen);
	name = json_member(v, "name", &vlen);
	if (vlen == 6 && !memcmp(name, "\"lost\"", 6) && !json_member(v, "cat", &vlen)) {
		c->lost++;
		return;
	}
	has_member(v, "cat", &vlen);
	c->events++;
}

size_t ft_check_output(enum trace_format f, const char *s, size_t len, uint64_t lost)
{
	struct chrome_count c = { 0, 0 };

	if (f != TRACE_FMT_CHROME)
		return lines(f, s, len, lost);
	if (len == 0)
		return 0;
	if (memchr(s, '\0', len) || !json_valid(s, len) || s[0] != '[' || s[len] != '\0')
		ft_violation("chrome: not one JSON array: %.*s", (int)(len < 4096 ? len : 4096), s);
	json_array_each(s, chrome_element, &c);
	if (c.lost != lost && lost != FT_LOST_ANY)
		ft_violation("chrome: %zu lost elements, %" PRIu64 " expected", c.lost, lost);
	return c.events;
}
