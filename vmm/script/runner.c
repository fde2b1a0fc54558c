/*
 * The scenario runner: sessions that cut lines into words, find the command
 * each names in the session's tables (cmd.c), parse and run it, and report
 * what happened; and the two ways of feeding them, a whole file or a stream.
 * Every interface (--script, standard input, the control socket) comes
 * through script_session_exec.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/script/scen.h"

struct script_session *script_session_new(struct scen_backend *be, const char *name)
{
	struct script_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->be = be;
	s->name = strdup(name ? name : "-");
	if (!s->name || scen_procs_init(s)) {
		free(s->name);
		free(s);
		return NULL;
	}
	script_session_add_table(s, &scen_operations, s);
	script_session_add_table(s, &scen_expectations, s);
	return s;
}

void script_session_free(struct script_session *s)
{
	if (!s)
		return;
	scen_stmt_release(&s->block);
	scen_procs_free(s);
	free(s->name);
	free(s);
}

void script_session_set_result(struct script_session *s, const char *value)
{
	snprintf(s->prev, sizeof(s->prev), "%s", value);
	s->has_prev = true;
}

bool script_session_in_block(const struct script_session *s)
{
	return s->in_block;
}

int script_session_status(const struct script_session *s)
{
	return s->status;
}

/* ---- parsing in the session's context ---- */

static int block_append(struct script_session *s, const struct scen_map *m)
{
	if (s->block.nmaps == s->block_cap) {
		size_t cap = s->block_cap ? 2 * s->block_cap : 8;
		struct scen_map *v = realloc(s->block.maps, cap * sizeof(*v));

		if (!v)
			return -1;
		s->block.maps = v;
		s->block_cap = cap;
	}
	s->block.maps[s->block.nmaps++] = *m;
	return 0;
}

/* A line inside `expect maps`: 1 with *st at `end`, 0 (kept), -1 (msg). */
static int block_line(struct script_session *s, int argc, char **words,
		      struct scen_stmt *st, char *msg, size_t msglen)
{
	struct scen_map m;

	if (argc == 0)
		return 0;
	if (argc == 1 && strcmp(words[0], "end") == 0) {
		*st = s->block;
		memset(&s->block, 0, sizeof(s->block));
		s->block_cap = 0;
		s->in_block = false;
		return 1;
	}
	if (scen_parse_map_line(argc, words, &m, msg, msglen))
		return -1;
	if (block_append(s, &m) == 0)
		return 0;
	scen_set_msg(msg, msglen, "out of memory");
	return -1;
}

/* A line outside a block: the command it names, parsed into *st. */
static int command_line(struct script_session *s, int argc, char **words,
			struct scen_stmt *st, char *msg, size_t msglen)
{
	void *ctx;
	const struct scen_cmd *c;
	int r;

	if (argc == 0)
		return 0;
	c = scen_session_lookup(s, argc, words, &ctx, msg, msglen);
	if (!c)
		return -1;
	st->cmd = c;
	st->ctx = ctx;
	st->line = s->line;
	r = c->parse(argc, words, st, msg, msglen);
	if (r < 0) {
		scen_stmt_release(st);
		return -1;
	}
	if (r != SCEN_PARSE_BLOCK)
		return 1;
	scen_stmt_release(&s->block);
	s->block = *st;
	s->block_cap = 0;
	s->in_block = true;
	memset(st, 0, sizeof(*st));
	return 0;
}

/*
 * Parse the next line (len bytes).  Returns 1 with *st filled (owned by the
 * caller) when a statement is complete, 0 when there is nothing to execute
 * yet, -1 on a parse error (msg says why; the line is dropped).
 */
static int session_parse(struct script_session *s, const char *line, size_t len,
			 struct scen_stmt *st, char *msg, size_t msglen)
{
	char *words[SCEN_MAX_WORDS], *buf;
	int argc, ret;

	memset(st, 0, sizeof(*st));
	s->line++;
	/* Read as a C string, the line would silently end at the NUL. */
	if (memchr(line, '\0', len)) {
		scen_set_msg(msg, msglen, "NUL byte in line");
		return -1;
	}
	buf = malloc(len + 1);
	if (!buf) {
		scen_set_msg(msg, msglen, "out of memory");
		return -1;
	}
	argc = scen_split(line, buf, len + 1, words, SCEN_MAX_WORDS);
	if (argc < 0) {
		scen_set_msg(msg, msglen, "more than %d words", SCEN_MAX_WORDS);
		ret = -1;
	} else if (s->in_block) {
		ret = block_line(s, argc, words, st, msg, msglen);
	} else {
		ret = command_line(s, argc, words, st, msg, msglen);
	}
	free(buf);
	return ret;
}

/* ---- execution ---- */

static void set_outcome(struct script_outcome *o, int status, const char *msg)
{
	o->status = status;
	scen_escape(msg, o->msg, sizeof(o->msg));
}

static void died(struct script_session *s, struct script_outcome *o, const char *why)
{
	char msg[SCEN_MSG_MAX + 64];

	s->dead = true;
	if (!why[0])
		why = s->be->failure[0] ? s->be->failure : "no reason given";
	snprintf(msg, sizeof(msg), "the %s backend died: %s", s->be->ops->name, why);
	set_outcome(o, SCRIPT_DEAD, msg);
}

/* The backend's after_step hook (vmm --check) after an executed line. */
static void after_step(struct script_session *s, const struct scen_stmt *st, FILE *out,
		       FILE *err, struct script_outcome *o)
{
	int r = s->be->after_step(s->be->after_step_ctx, s->be, out, err);

	if (r == SCRIPT_OK)
		return;
	fflush(out);
	if (r == SCRIPT_DEAD) {
		died(s, o, "");
		return;
	}
	if (r == SCRIPT_STOP) {
		fprintf(err, "%s:%u: stopped here: the check after this line failed\n",
			s->name, st->line);
		o->stop = true;
	}
	if (o->status == SCRIPT_OK)
		set_outcome(o, SCRIPT_FAIL, "the check after this line failed");
}

/* Run one statement: *o says what happened (status SCRIPT_OK, SCRIPT_FAIL
 * or SCRIPT_DEAD). */
static void exec_stmt(struct script_session *s, const struct scen_stmt *st, FILE *out,
		      FILE *err, struct script_outcome *o)
{
	struct scen_io io = { .out = out, .err = err, .session = s };
	int r = st->cmd->run(st->ctx, st, &io);

	o->line = st->line;
	if (r == SCEN_CMD_DEAD) {
		fflush(out);
		died(s, o, io.msg);
		return;
	}
	if (r == SCEN_CMD_FAIL) {
		set_outcome(o, SCRIPT_FAIL, io.msg[0] ? io.msg : "expectation failed");
	} else if (r == SCEN_CMD_ERROR) {
		o->error = true;
		set_outcome(o, SCRIPT_FAIL, io.msg[0] ? io.msg : "the command failed");
	}
	if (s->be->after_step)
		after_step(s, st, out, err, o);
	fflush(out);
	if (o->status == SCRIPT_FAIL)
		s->status = SCRIPT_FAIL;
}

int script_session_exec(struct script_session *s, const char *line, size_t len,
			FILE *out, FILE *err, struct script_outcome *o)
{
	char msg[SCEN_MSG_MAX];
	struct scen_stmt st;
	int r;

	memset(o, 0, sizeof(*o));
	if (s->dead) {
		died(s, o, "");
		return o->status;
	}
	r = session_parse(s, line, len, &st, msg, sizeof(msg));
	if (r < 0) {
		o->line = s->line;
		set_outcome(o, SCRIPT_PARSE, msg);
	} else if (r > 0) {
		exec_stmt(s, &st, out, err, o);
		scen_stmt_release(&st);
	}
	return o->status;
}

/* Print the problem of an outcome as a file or a stream reports it. */
static void report(const struct script_session *s, const struct script_outcome *o,
		   FILE *err, const char *parse_prefix)
{
	if (o->status == SCRIPT_PARSE)
		fprintf(err, "%s%s:%u: %s\n", parse_prefix, s->name, o->line, o->msg);
	else if (o->status == SCRIPT_DEAD)
		fprintf(err, "%s:%u: %s\n", s->name, o->line, o->msg);
	else if (o->error)
		fprintf(err, "error: %s\n", o->msg);
}

int script_session_line(struct script_session *s, const char *line, FILE *out, FILE *err)
{
	struct script_outcome o;

	if (s->dead)
		return SCRIPT_DEAD;
	script_session_exec(s, line, strlen(line), out, err, &o);
	report(s, &o, err, "");
	return o.status;
}

int script_session_finish(struct script_session *s, FILE *err)
{
	if (!s->in_block)
		return SCRIPT_OK;
	fprintf(err, "%s:%u: 'expect maps' is not closed by 'end'\n", s->name, s->block.line);
	scen_stmt_release(&s->block);
	s->in_block = false;
	return SCRIPT_PARSE;
}

/* ---- whole files and streams ---- */

struct stmt_list {
	struct scen_stmt *v;
	size_t n, cap;
};

static int stmt_push(struct stmt_list *l, struct scen_stmt *st)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct scen_stmt *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *st;
	return 0;
}

/* Parse every line of in: 0, or SCRIPT_PARSE after printing the problem. */
static int parse_all(struct script_session *s, FILE *in, struct stmt_list *l, FILE *err)
{
	size_t linecap = 0;
	char *line = NULL, msg[SCEN_MSG_MAX];
	ssize_t len;
	int ret = SCRIPT_OK;

	while (ret == SCRIPT_OK && (len = getline(&line, &linecap, in)) >= 0) {
		struct scen_stmt st;
		struct script_outcome o = { .line = 0 };
		int r = session_parse(s, line, (size_t)len, &st, msg, sizeof(msg));

		if (r < 0) {
			o.line = s->line;
			set_outcome(&o, SCRIPT_PARSE, msg);
			report(s, &o, err, "");
			ret = SCRIPT_PARSE;
		} else if (r > 0 && stmt_push(l, &st)) {
			scen_stmt_release(&st);
			fprintf(err, "%s: out of memory\n", s->name);
			ret = SCRIPT_PARSE;
		}
	}
	free(line);
	if (ret == SCRIPT_OK && ferror(in)) {
		fprintf(err, "%s: read error\n", s->name);
		ret = SCRIPT_PARSE;
	}
	if (ret == SCRIPT_OK)
		ret = script_session_finish(s, err);
	return ret;
}

int script_session_run_file(struct script_session *s, FILE *in, FILE *out, FILE *err)
{
	struct stmt_list l = { NULL, 0, 0 };
	int ret = parse_all(s, in, &l, err);

	for (size_t i = 0; ret == SCRIPT_OK && i < l.n; i++) {
		struct script_outcome o = { .status = SCRIPT_OK };

		exec_stmt(s, &l.v[i], out, err, &o);
		report(s, &o, err, "");
		if (o.status == SCRIPT_DEAD)
			ret = SCRIPT_DEAD;
		else if (o.stop)
			break;
	}
	if (ret == SCRIPT_OK)
		ret = s->status;
	fflush(out);
	for (size_t i = 0; i < l.n; i++)
		scen_stmt_release(&l.v[i]);
	free(l.v);
	return ret;
}

int script_session_run_stream(struct script_session *s, FILE *in, FILE *out,
			      FILE *err, const char *prompt)
{
	size_t linecap = 0;
	char *line = NULL;
	ssize_t len;
	int ret = -1;

	while (ret < 0) {
		struct script_outcome o;

		if (prompt) {
			fputs(prompt, err);
			fflush(err);
		}
		if ((len = getline(&line, &linecap, in)) < 0)
			break;
		script_session_exec(s, line, (size_t)len, out, err, &o);
		report(s, &o, err, "error: ");
		if (o.status == SCRIPT_DEAD)
			ret = SCRIPT_DEAD;
		else if (o.stop)
			ret = SCRIPT_FAIL;
	}
	if (ret < 0) {
		if (prompt)
			fputc('\n', err);
		if (s->in_block) {
			fprintf(err, "error: ");
			script_session_finish(s, err);
		}
		ret = s->status;
	}
	fflush(out);
	free(line);
	return ret;
}

int script_run_file(FILE *in, const char *name, struct scen_backend *be, FILE *out, FILE *err)
{
	struct script_session *s = script_session_new(be, name);
	int ret;

	if (!s) {
		fprintf(err, "%s: out of memory\n", name);
		return SCRIPT_PARSE;
	}
	ret = script_session_run_file(s, in, out, err);
	script_session_free(s);
	return ret;
}

int script_run_stream(FILE *in, const char *name, struct scen_backend *be,
		      FILE *out, FILE *err, const char *prompt)
{
	struct script_session *s = script_session_new(be, name);
	int ret;

	if (!s) {
		fprintf(err, "%s: out of memory\n", name);
		return SCRIPT_PARSE;
	}
	ret = script_session_run_stream(s, in, out, err, prompt);
	script_session_free(s);
	return ret;
}

void backend_free(struct scen_backend *be)
{
	if (be)
		be->ops->destroy(be);
}
