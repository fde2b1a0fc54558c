/*
 * The examples of docs/inspection.md, kept true: every code block after an
 * HTML comment "example: SCENE: COMMAND" must be exactly what COMMAND
 * prints on that scene (doc_scene.h); a ```json block is compared without
 * the white space outside strings, so that the page may wrap it.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/inspect/doc_scene.h"
#include "tests/inspect/icmd_run.h"

/* s without the white space outside JSON strings (in place). */
static char *squeeze(char *s)
{
	bool in_str = false;
	char *o = s;

	for (char *p = s; *p; p++) {
		if (in_str && *p == '\\' && p[1]) {
			*o++ = *p++;
			*o++ = *p;
			continue;
		}
		if (*p == '"')
			in_str = !in_str;
		if (in_str || !isspace((unsigned char)*p))
			*o++ = *p;
	}
	*o = 0;
	return s;
}

static char *read_doc(void)
{
	char path[4096];
	const char *src = getenv("VMM_SRC");
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/docs/inspection.md", src ? src : ".");
	f = fopen(path, "r");
	cr_assert(f, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	cr_assert(buf && fread(buf, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	return buf;
}

/* The scenes built so far (each once: 128 MiB of synthetic RAM apiece). */
static struct cached {
	char name[32];
	struct synth s;
	uint32_t mm;
} cache[8];
static unsigned ncache;

static struct cached *scene_for(const char *name)
{
	for (unsigned i = 0; i < ncache; i++)
		if (strcmp(cache[i].name, name) == 0)
			return &cache[i];
	cr_assert_lt(ncache, 8);
	struct cached *c = &cache[ncache++];
	snprintf(c->name, sizeof c->name, "%s", name);
	c->mm = doc_scene(&c->s, name);
	cr_assert_neq(c->mm, 0, "unknown scene '%s'", name);
	return c;
}

/* Check the example whose marker starts at m; returns where to go on. */
static const char *check_example(const char *m, unsigned *checked)
{
	static const char tag[] = "<!-- example: ";
	const char *end = strstr(m, " -->"), *fence, *body, *close;
	char scene[32], cmd[256], *want, *out, err[256];
	const char *colon = strchr(m + sizeof tag - 1, ':');
	struct cached *sc;
	bool json;

	cr_assert(end && colon && colon < end, "bad marker: %.60s", m);
	snprintf(scene, sizeof scene, "%.*s", (int)(colon - (m + sizeof tag - 1)), m + sizeof tag - 1);
	snprintf(cmd, sizeof cmd, "%.*s", (int)(end - colon - 2), colon + 2);
	fence = strstr(end, "```");
	cr_assert(fence, "no block after the example '%s'", cmd);
	json = strncmp(fence, "```json", 7) == 0;
	body = strchr(fence, '\n') + 1;
	close = strstr(body, "\n```");
	cr_assert(close, "unterminated block for '%s'", cmd);
	want = strndup(body, (size_t)(close - body) + 1);
	sc = scene_for(scene);
	int r = icmd_run_line(&sc->s.g, sc->mm, cmd, &out, err, sizeof err);
	cr_assert(r == 0 || r == 1, "'%s' on %s: %d %s", cmd, scene, r, err);
	if (json)
		cr_expect_str_eq(squeeze(out), squeeze(want), "docs/inspection.md: '%s' on %s "
				 "prints:\n%s", cmd, scene, out);
	else
		cr_expect_str_eq(out, want, "docs/inspection.md: '%s' on %s prints:\n%s", cmd, scene,
				 out);
	free(out);
	free(want);
	++*checked;
	return close;
}

Test(docs, inspection_examples_are_what_the_code_prints)
{
	char *doc = read_doc();
	unsigned checked = 0;

	for (const char *m = strstr(doc, "<!-- example: "); m; m = strstr(m, "<!-- example: "))
		m = check_example(m, &checked);
	cr_assert_geq(checked, 10, "only %u examples marked", checked);
	free(doc);
	for (unsigned i = 0; i < ncache; i++)
		synth_free(&cache[i].s);
}
