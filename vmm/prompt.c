/*
 * The interactive prompt: see prompt.h.  libedit's own interface
 * (histedit.h) rather than its readline emulation, so that the prompt and
 * the editing go to standard error and standard output keeps the
 * transcript alone.
 */
#include <histedit.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/prompt.h"
#include "vmm/script/script.h"

#define HISTORY_SIZE   1000

static char *prompt_text(EditLine *el)
{
	struct script_session *s = NULL;

	el_get(el, EL_CLIENTDATA, &s);
	return (char *)(s && script_session_in_block(s) ? PROMPT_CONTINUE : PROMPT_MAIN);
}

/* Where history lives: buf, or false for none. */
static bool history_path(char *buf, size_t len)
{
	const char *env = getenv("VMM_HISTORY"), *home = getenv("HOME");

	if (env)
		return *env && snprintf(buf, len, "%s", env) < (int)len;
	return home && *home && snprintf(buf, len, "%s/.vmm_history", home) < (int)len;
}

/* Say what one line did, as a stream run does (runner.c's report). */
static void report(const char *name, const struct script_outcome *o, FILE *err)
{
	if (o->status == SCRIPT_PARSE)
		fprintf(err, "error: %s:%u: %s\n", name, o->line, o->msg);
	else if (o->status == SCRIPT_DEAD)
		fprintf(err, "%s:%u: %s\n", name, o->line, o->msg);
	else if (o->error)
		fprintf(err, "error: %s\n", o->msg);
}

static bool blank(const char *line)
{
	return line[strspn(line, " \t\r\n")] == '\0';
}

int prompt_run(struct script_session *s, const char *name, FILE *in, FILE *out, FILE *err)
{
	EditLine *el = el_init("vmm", in, err, err);
	History *h = history_init();
	char path[PATH_MAX];
	bool have_path = history_path(path, sizeof path);
	int ret = -1, count;
	HistEvent ev;

	if (!el || !h) {
		if (el)
			el_end(el);
		if (h)
			history_end(h);
		return script_session_run_stream(s, in, out, err, PROMPT_MAIN);
	}
	history(h, &ev, H_SETSIZE, HISTORY_SIZE);
	history(h, &ev, H_SETUNIQUE, 1);
	if (have_path)
		history(h, &ev, H_LOAD, path);
	el_set(el, EL_CLIENTDATA, s);
	el_set(el, EL_PROMPT, prompt_text);
	el_set(el, EL_EDITOR, "emacs");
	el_set(el, EL_HIST, history, h);
	el_source(el, NULL);

	while (ret < 0) {
		const char *line = el_gets(el, &count);
		struct script_outcome o;

		if (!line || count <= 0)
			break;
		if (!blank(line))
			history(h, &ev, H_ENTER, line);
		script_session_exec(s, line, strlen(line), out, err, &o);
		fflush(out);
		report(name, &o, err);
		if (o.status == SCRIPT_DEAD)
			ret = SCRIPT_DEAD;
		else if (o.stop)
			ret = SCRIPT_FAIL;
	}
	if (ret < 0) {
		fputc('\n', err);
		if (script_session_in_block(s)) {
			fprintf(err, "error: ");
			script_session_finish(s, err);
		}
		ret = script_session_status(s);
	}
	if (have_path)
		history(h, &ev, H_SAVE, path);
	history_end(h);
	el_end(el);
	fflush(out);
	return ret;
}
