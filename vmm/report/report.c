/*
 * The recorder: steps kept in order, within the report's bounds (report.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/report/report.h"
#include "vmm/report/report_int.h"

struct report *report_new(const char *title)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->title = strdup(title ? title : "");
	if (!r->title) {
		free(r);
		return NULL;
	}
	return r;
}

void rstep_free(struct rstep *st)
{
	free(st->transcript);
	free(st->trace);
	free(st->vmas);
	free(st->runs);
	free(st->tables);
	free(st->changes);
	memset(st, 0, sizeof(*st));
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nsteps; i++)
		rstep_free(&r->steps[i]);
	free(r->steps);
	free(r->anon);
	free(r->title);
	free(r);
}

size_t rstep_bytes(const struct rstep *st)
{
	return sizeof(*st) + strlen(st->transcript) + 1 + (st->trace ? strlen(st->trace) + 1 : 0) +
	       st->nvmas * sizeof(*st->vmas) + st->nruns * sizeof(*st->runs) +
	       st->ntables * sizeof(*st->tables) + st->nchanges * sizeof(*st->changes);
}

uint32_t report_anon_id(struct report *r, uint64_t p)
{
	if (!p)
		return 0;
	for (size_t i = 0; i < r->nanon; i++)
		if (r->anon[i] == p)
			return (uint32_t)i + 1;
	if (r->nanon == REPORT_MAX_ANON)
		return 0;
	if (!r->anon && !(r->anon = calloc(REPORT_MAX_ANON, sizeof(*r->anon))))
		return 0;
	r->anon[r->nanon++] = p;
	return (uint32_t)r->nanon;
}

/* A copy of text cut to REPORT_MAX_TEXT bytes (with a mark), "" for NULL
 * when empty_ok, NULL on NULL otherwise. */
static char *copy_text(const char *text, bool empty_ok)
{
	static const char cut[] = "\n[... cut: the report keeps 8192 bytes per text]\n";
	size_t n;
	char *s;

	if (!text)
		return empty_ok ? strdup("") : NULL;
	n = strnlen(text, REPORT_MAX_TEXT + 1);
	if (n <= REPORT_MAX_TEXT)
		return strdup(text);
	if (!(s = malloc(REPORT_MAX_TEXT + sizeof cut)))
		return NULL;
	memcpy(s, text, REPORT_MAX_TEXT);
	memcpy(s + REPORT_MAX_TEXT, cut, sizeof cut);
	return s;
}

static int grow_steps(struct report *r)
{
	struct rstep *n;
	size_t cap;

	if (r->nsteps < r->cap)
		return 0;
	cap = r->cap ? r->cap * 2 : 16;
	if (cap > REPORT_MAX_STEPS)
		cap = REPORT_MAX_STEPS;
	n = realloc(r->steps, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->steps = n;
	r->cap = cap;
	return 0;
}

int report_add_step(struct report *r, const struct gmem *g, uint32_t mm,
		    const char *transcript, const char *trace_text)
{
	struct rstep st = { 0 };
	size_t bytes;

	if (r->full || r->nsteps == REPORT_MAX_STEPS || grow_steps(r) != 0) {
		r->full = true;
		r->dropped++;
		return -ENOSPC;
	}
	st.transcript = copy_text(transcript, true);
	st.trace = copy_text(trace_text, false);
	if (!st.transcript || (trace_text && !st.trace)) {
		rstep_free(&st);
		return -ENOMEM;
	}
	rmodel_take(r, g, mm, &st);
	if (rdiff(r->nsteps ? &r->steps[r->nsteps - 1] : NULL, &st) != 0)
		snprintf(st.note, sizeof st.note, "the changes could not be computed (no memory)");
	bytes = rstep_bytes(&st);
	if (bytes > REPORT_MAX_BYTES - r->bytes) {
		rstep_free(&st);
		r->full = true;
		r->dropped++;
		return -ENOSPC;
	}
	r->bytes += bytes;
	r->steps[r->nsteps++] = st;
	return 0;
}

size_t report_nsteps(const struct report *r)
{
	return r->nsteps;
}

size_t report_dropped(const struct report *r)
{
	return r->dropped;
}

const struct rstep *report_step(const struct report *r, size_t i)
{
	return i < r->nsteps ? &r->steps[i] : NULL;
}

int report_set_last_transcript(struct report *r, const char *text, size_t len)
{
	struct rstep *st = r->nsteps ? &r->steps[r->nsteps - 1] : NULL;
	char *raw, *t;

	if (!st)
		return -ENOENT;
	raw = strndup(text, len);
	t = raw ? copy_text(raw, true) : NULL;
	free(raw);
	if (!t)
		return -ENOMEM;
	r->bytes -= strlen(st->transcript);
	r->bytes += strlen(t);
	free(st->transcript);
	st->transcript = t;
	return 0;
}
