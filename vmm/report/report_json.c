/*
 * The page's data: every step as JSON inside <script type="application/json">
 * (report.h).  Addresses are plain numbers: user-half addresses are below
 * 2^48, which a JavaScript number holds exactly.  Strings escape '<' so that
 * no text can close the script element.
 */
#include <inttypes.h>

#include "vmm/report/report.h"
#include "vmm/report/report_int.h"
#include "vmm/script/script.h"

static void jstr(FILE *out, const char *s)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20 || *p > 0x7e || *p == '<' || *p == '>' || *p == '&')
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void step_lists(FILE *out, const struct rstep *st)
{
	fputs(",\"vmas\":[", out);
	for (size_t i = 0; i < st->nvmas; i++)
		fprintf(out, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u]", i ? "," : "",
			st->vmas[i].start, st->vmas[i].end, st->vmas[i].flags, st->vmas[i].anon);
	fputs("],\"pages\":[", out);
	for (size_t i = 0; i < st->nruns; i++)
		fprintf(out, "%s[%" PRIu64 ",%" PRIu64 ",%u]", i ? "," : "",
			st->runs[i].start, st->runs[i].end, st->runs[i].kind);
	fputs("],\"tables\":[", out);
	for (size_t i = 0; i < st->ntables; i++)
		fprintf(out, "%s[%" PRIu64 ",%" PRIu64 ",%u,%u]", i ? "," : "",
			st->tables[i].va, st->tables[i].span, st->tables[i].level,
			st->tables[i].used);
	fputs("],\"changes\":[", out);
	for (size_t i = 0; i < st->nchanges; i++)
		fprintf(out, "%s[%" PRIu64 ",%" PRIu64 ",%u]", i ? "," : "",
			st->changes[i].start, st->changes[i].end, st->changes[i].what);
	fputs("]", out);
}

static void step_json(FILE *out, const struct rstep *st)
{
	fputs("{\"line\":", out);
	jstr(out, st->transcript);
	fputs(",\"trace\":", out);
	jstr(out, st->trace);
	fputs(",\"note\":", out);
	jstr(out, st->note);
	fprintf(out, ",\"mm\":%u,\"counts\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]",
		st->mm, st->rss, st->zero_ptes, st->pt_pages, st->map_count);
	step_lists(out, st);
	fputs("}", out);
}

void report_json(const struct report *r, FILE *out)
{
	fputs("{\"title\":", out);
	jstr(out, r->title);
	fprintf(out, ",\"window\":[%llu,%llu],\"max_steps\":%d,\"max_bytes\":%u,\"dropped\":%zu,",
		SCEN_WINDOW_START, SCEN_WINDOW_END, REPORT_MAX_STEPS, REPORT_MAX_BYTES, r->dropped);
	fputs("\"steps\":[\n", out);
	for (size_t i = 0; i < r->nsteps; i++) {
		step_json(out, &r->steps[i]);
		fputs(i + 1 < r->nsteps ? ",\n" : "\n", out);
	}
	fputs("]}", out);
}
