/*
 * The scenario runner: sessions that parse lines (parse.c), execute them on a
 * backend, print the transcript and check expectations.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/script/scen.h"

#define PAGE_4K            0x1000ULL
#define PTE_BATCH_PAGES    65536u   /* pages asked of the backend at once */

struct script_session {
	struct scen_backend *be;
	char *name;
	unsigned line;                   /* lines fed so far */
	char prev[SCEN_RESULT_MAX];      /* the previous operation's result */
	bool has_prev;
	bool in_block;                   /* inside `expect maps` ... `end` */
	struct scen_stmt block;
	size_t block_cap;
	script_extra_fn extra;
	void *extra_ctx;
	int status;                      /* SCRIPT_OK or SCRIPT_FAIL so far */
	bool dead;
};

struct script_session *script_session_new(struct scen_backend *be, const char *name)
{
	struct script_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->be = be;
	s->name = strdup(name ? name : "-");
	if (!s->name) {
		free(s);
		return NULL;
	}
	return s;
}

void script_session_free(struct script_session *s)
{
	if (!s)
		return;
	scen_stmt_release(&s->block);
	free(s->name);
	free(s);
}

void script_session_set_extra(struct script_session *s, script_extra_fn fn, void *ctx)
{
	s->extra = fn;
	s->extra_ctx = ctx;
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

/* Ask the extension hook whether it knows argv; 0 (st filled) or -1 (msg). */
static int parse_extra(struct script_session *s, int argc, char **argv,
		       struct scen_stmt *st, char *msg, size_t msglen)
{
	char *text = NULL;
	size_t textlen = 0;
	FILE *mem;
	int r;

	if (!s->extra)
		goto unknown;
	mem = open_memstream(&text, &textlen);
	if (!mem) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	r = s->extra(s->extra_ctx, argc, argv, NULL, mem);
	fclose(mem);
	if (r == 0) {
		free(text);
		st->kind = SCEN_EXTRA;
		st->argv = calloc((size_t)argc + 1, sizeof(char *));
		if (!st->argv) {
			snprintf(msg, msglen, "out of memory");
			return -1;
		}
		st->argc = argc;
		for (int i = 0; i < argc; i++) {
			if (!(st->argv[i] = strdup(argv[i]))) {
				snprintf(msg, msglen, "out of memory");
				return -1;
			}
		}
		return 0;
	}
	if (r != SCRIPT_EXTRA_UNKNOWN) {
		size_t n = text ? strcspn(text, "\n") : 0;

		snprintf(msg, msglen, "%.*s", (int)n, n ? text : "bad command");
		free(text);
		return -1;
	}
	free(text);
unknown:
	if (strcmp(argv[0], "expect") == 0)
		snprintf(msg, msglen, "expect: unknown expectation '%s' (expected result, "
			 "maps, mapped, unmapped or vmas)", argv[1]);
	else
		snprintf(msg, msglen, "unknown operation '%s'", argv[0]);
	return -1;
}

/*
 * Parse the next line.  Returns 1 with *st filled (owned by the caller) when a
 * statement is complete, 0 when there is nothing to execute yet, -1 on a parse
 * error (msg says why; the line is dropped).
 */
static int session_parse(struct script_session *s, const char *line,
			 struct scen_stmt *st, char *msg, size_t msglen)
{
	size_t len = strlen(line) + 1;
	char *buf = malloc(len);
	char *words[SCEN_MAX_WORDS];
	struct scen_map m;
	int argc, ret = -1;

	memset(st, 0, sizeof(*st));
	s->line++;
	if (!buf) {
		snprintf(msg, msglen, "out of memory");
		return -1;
	}
	argc = scen_split(line, buf, len, words, SCEN_MAX_WORDS);
	if (argc < 0) {
		snprintf(msg, msglen, "more than %d words", SCEN_MAX_WORDS);
		goto out;
	}
	if (s->in_block) {
		if (argc == 0) {
			ret = 0;
		} else if (argc == 1 && strcmp(words[0], "end") == 0) {
			*st = s->block;
			memset(&s->block, 0, sizeof(s->block));
			s->block_cap = 0;
			s->in_block = false;
			ret = 1;
		} else if (scen_parse_map_line(argc, words, &m, msg, msglen) == 0) {
			if (block_append(s, &m) == 0)
				ret = 0;
			else
				snprintf(msg, msglen, "out of memory");
		}
		goto out;
	}
	switch (scen_parse_words(argc, words, st, msg, msglen)) {
	case SCEN_PARSE_STMT:
		st->line = s->line;
		ret = 1;
		break;
	case SCEN_PARSE_EMPTY:
		ret = 0;
		break;
	case SCEN_PARSE_BLOCK:
		scen_stmt_release(&s->block);
		s->block = *st;
		s->block.line = s->line;
		s->block_cap = 0;
		s->in_block = true;
		memset(st, 0, sizeof(*st));
		ret = 0;
		break;
	case SCEN_PARSE_EXTRA:
		if (parse_extra(s, argc, words, st, msg, msglen) == 0) {
			st->line = s->line;
			ret = 1;
		} else {
			scen_stmt_release(st);
		}
		break;
	case SCEN_PARSE_ERROR:
		break;
	}
out:
	free(buf);
	return ret;
}

/* ---- execution ---- */

static int backend_died(struct script_session *s, const struct scen_stmt *st, FILE *err)
{
	s->dead = true;
	fprintf(err, "%s:%u: the %s backend died: %s\n", s->name, st->line,
		s->be->ops->name, s->be->failure[0] ? s->be->failure : "no reason given");
	return SCRIPT_DEAD;
}

/* The result text of mmap (address or errno) or munmap/mprotect (ok or errno). */
static void format_call_result(int64_t res, bool is_mmap, char *buf, size_t size)
{
	if (res < 0 && res >= -4095)
		scen_format_errno((int)-res, buf, size);
	else if (!is_mmap && res == 0)
		snprintf(buf, size, "ok");
	else
		snprintf(buf, size, "0x%" PRIx64, (uint64_t)res);
}

static void format_access_result(const struct scen_access_result *r, char *buf, size_t size)
{
	switch (r->status) {
	case SCEN_ACC_OK:
		snprintf(buf, size, "ok");
		break;
	case SCEN_ACC_FAULT:
		snprintf(buf, size, "fault 0x%" PRIx64 " %s", r->addr,
			 r->detail == SCEN_FAULT_ACCERR ? "accerr" : "maperr");
		break;
	case SCEN_ACC_MISMATCH:
		snprintf(buf, size, "mismatch 0x%" PRIx64 " 0x%02x", r->addr, r->detail & 0xff);
		break;
	case SCEN_ACC_ERROR:
		scen_format_errno((int)r->detail, buf, size);
		break;
	}
}

/* The mappings intersecting the scenario window: 0, or -1 if the backend died. */
static int window_maps(struct script_session *s, struct scen_map **maps, size_t *n)
{
	size_t kept = 0;

	*maps = NULL;
	*n = 0;
	if (s->be->ops->maps(s->be, SCEN_WINDOW_START, SCEN_WINDOW_END, maps, n))
		return -1;
	for (size_t i = 0; i < *n; i++)
		if ((*maps)[i].end > SCEN_WINDOW_START && (*maps)[i].start < SCEN_WINDOW_END)
			(*maps)[kept++] = (*maps)[i];
	*n = kept;
	return 0;
}

static void print_maps(const struct scen_map *maps, size_t n, FILE *out)
{
	char line[64];

	for (size_t i = 0; i < n; i++) {
		scen_format_map(&maps[i], line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
}

static bool maps_equal(const struct scen_map *a, size_t na, const struct scen_map *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].start != b[i].start || a[i].end != b[i].end ||
		    a[i].prot != b[i].prot || a[i].shared != b[i].shared)
			return false;
	return true;
}

/*
 * expect mapped / unmapped: find the first page whose presence differs from
 * want.  Returns 0 (*found set if one does), or -1 if the backend died.
 */
static int find_pte_mismatch(struct script_session *s, uint64_t addr, uint64_t len,
			     bool want, bool *found, uint64_t *page)
{
	uint64_t first = addr & ~(PAGE_4K - 1);
	uint64_t npages = len ? (addr + len - first + PAGE_4K - 1) / PAGE_4K : 0;
	bool *present = NULL;
	int ret = 0;

	*found = false;
	if (npages)
		present = malloc((npages < PTE_BATCH_PAGES ? npages : PTE_BATCH_PAGES) * sizeof(bool));
	if (npages && !present) {
		snprintf(s->be->failure, sizeof(s->be->failure), "out of memory");
		return -1;
	}
	for (uint64_t done = 0; done < npages && !*found;) {
		uint64_t n = npages - done < PTE_BATCH_PAGES ? npages - done : PTE_BATCH_PAGES;
		uint64_t base = first + done * PAGE_4K;

		if (s->be->ops->pte_present(s->be, base, n, present)) {
			ret = -1;
			break;
		}
		for (uint64_t i = 0; i < n; i++) {
			if (present[i] != want) {
				*found = true;
				*page = base + i * PAGE_4K;
				break;
			}
		}
		done += n;
	}
	free(present);
	return ret;
}

/* Execute one statement: 0, 1 (an expectation failed) or 3 (backend died). */
static int exec_stmt(struct script_session *s, const struct scen_stmt *st, FILE *out, FILE *err)
{
	const struct scen_backend_ops *ops = s->be->ops;
	char text[256], result[SCEN_RESULT_MAX];
	struct scen_access_result acc;
	struct scen_map *maps;
	size_t nmaps;
	int64_t res;
	uint64_t count, page;
	bool found;
	int ret = SCRIPT_OK;

	scen_format_stmt(st, text, sizeof(text));
	switch (st->kind) {
	case SCEN_MMAP:
		if (ops->mmap(s->be, st->addr, st->len, st->prot, st->how, &res))
			return backend_died(s, st, err);
		format_call_result(res, true, result, sizeof(result));
		goto print_result;
	case SCEN_MUNMAP:
		if (ops->munmap(s->be, st->addr, st->len, &res))
			return backend_died(s, st, err);
		format_call_result(res, false, result, sizeof(result));
		goto print_result;
	case SCEN_MPROTECT:
		if (ops->mprotect(s->be, st->addr, st->len, st->prot, &res))
			return backend_died(s, st, err);
		format_call_result(res, false, result, sizeof(result));
		goto print_result;
	case SCEN_TOUCH:
	case SCEN_FILL:
	case SCEN_CHECK: {
		enum scen_access_op op = st->kind == SCEN_FILL ? SCEN_ACCESS_FILL :
					 st->kind == SCEN_CHECK ? SCEN_ACCESS_CHECK :
					 st->write ? SCEN_ACCESS_WRITE : SCEN_ACCESS_READ;

		if (ops->access(s->be, op, st->addr, st->len, st->byte, &acc))
			return backend_died(s, st, err);
		format_access_result(&acc, result, sizeof(result));
		goto print_result;
	}
	case SCEN_MAPS:
		if (window_maps(s, &maps, &nmaps))
			return backend_died(s, st, err);
		fprintf(out, "maps:\n");
		print_maps(maps, nmaps, out);
		free(maps);
		break;
	case SCEN_EXPECT_RESULT:
		if (!s->has_prev) {
			fprintf(out, "%s -> FAIL: no operation before it\n", text);
			ret = SCRIPT_FAIL;
		} else if (strcmp(s->prev, st->result) != 0) {
			fprintf(out, "%s -> FAIL: %s\n", text, s->prev);
			ret = SCRIPT_FAIL;
		} else {
			fprintf(out, "%s -> ok\n", text);
		}
		break;
	case SCEN_EXPECT_MAPS:
		if (window_maps(s, &maps, &nmaps))
			return backend_died(s, st, err);
		if (maps_equal(maps, nmaps, st->maps, st->nmaps)) {
			fprintf(out, "%s -> ok\n", text);
		} else {
			fprintf(out, "%s -> FAIL: got\n", text);
			print_maps(maps, nmaps, out);
			ret = SCRIPT_FAIL;
		}
		free(maps);
		break;
	case SCEN_EXPECT_MAPPED:
	case SCEN_EXPECT_UNMAPPED: {
		bool want = st->kind == SCEN_EXPECT_MAPPED;

		if (find_pte_mismatch(s, st->addr, st->len, want, &found, &page))
			return backend_died(s, st, err);
		if (found) {
			fprintf(out, "%s -> FAIL: 0x%" PRIx64 " %s\n", text, page,
				want ? "unmapped" : "mapped");
			ret = SCRIPT_FAIL;
		} else {
			fprintf(out, "%s -> ok\n", text);
		}
		break;
	}
	case SCEN_EXPECT_VMAS:
		if (ops->vma_count(s->be, &count))
			return backend_died(s, st, err);
		if (count != st->count) {
			fprintf(out, "%s -> FAIL: %" PRIu64 "\n", text, count);
			ret = SCRIPT_FAIL;
		} else {
			fprintf(out, "%s -> ok\n", text);
		}
		break;
	case SCEN_EXTRA:
		ret = s->extra(s->extra_ctx, st->argc, st->argv, out, err);
		if (ret == SCRIPT_DEAD) {
			fflush(out);
			return backend_died(s, st, err);
		}
		if (ret != SCRIPT_OK)
			ret = SCRIPT_FAIL;
		break;
	}
	goto done;

print_result:
	fprintf(out, "%s -> %s\n", text, result);
	script_session_set_result(s, result);
done:
	if (s->be->after_step) {
		int r = s->be->after_step(s->be->after_step_ctx, s->be, out, err);

		if (r == SCRIPT_DEAD) {
			fflush(out);
			return backend_died(s, st, err);
		}
		if (r == SCRIPT_STOP) {
			fflush(out);
			fprintf(err, "%s:%u: stopped here: the check after this line failed\n",
				s->name, st->line);
			s->status = SCRIPT_FAIL;
			return SCRIPT_STOP;
		}
		if (r != SCRIPT_OK)
			ret = SCRIPT_FAIL;
	}
	fflush(out);
	if (ret == SCRIPT_FAIL)
		s->status = SCRIPT_FAIL;
	return ret;
}

/* ---- entry points ---- */

int script_session_line(struct script_session *s, const char *line, FILE *out, FILE *err)
{
	struct scen_stmt st;
	char msg[SCEN_MSG_MAX];
	int r;

	if (s->dead)
		return SCRIPT_DEAD;
	r = session_parse(s, line, &st, msg, sizeof(msg));
	if (r < 0) {
		fprintf(err, "%s:%u: %s\n", s->name, s->line, msg);
		return SCRIPT_PARSE;
	}
	if (r == 0)
		return SCRIPT_OK;
	r = exec_stmt(s, &st, out, err);
	scen_stmt_release(&st);
	return r == SCRIPT_STOP ? SCRIPT_FAIL : r;
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

int script_session_run_file(struct script_session *s, FILE *in, FILE *out, FILE *err)
{
	struct scen_stmt *stmts = NULL;
	size_t n = 0, cap = 0, linecap = 0;
	char *line = NULL, msg[SCEN_MSG_MAX];
	int ret = SCRIPT_OK;

	while (getline(&line, &linecap, in) >= 0) {
		struct scen_stmt st;
		int r = session_parse(s, line, &st, msg, sizeof(msg));

		if (r < 0) {
			fprintf(err, "%s:%u: %s\n", s->name, s->line, msg);
			ret = SCRIPT_PARSE;
			goto out;
		}
		if (r == 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 64;
			struct scen_stmt *v = realloc(stmts, ncap * sizeof(*v));

			if (!v) {
				scen_stmt_release(&st);
				fprintf(err, "%s: out of memory\n", s->name);
				ret = SCRIPT_PARSE;
				goto out;
			}
			stmts = v;
			cap = ncap;
		}
		stmts[n++] = st;
	}
	if (ferror(in)) {
		fprintf(err, "%s: read error\n", s->name);
		ret = SCRIPT_PARSE;
		goto out;
	}
	if (script_session_finish(s, err)) {
		ret = SCRIPT_PARSE;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		int r = exec_stmt(s, &stmts[i], out, err);
		if (r == SCRIPT_DEAD) {
			ret = SCRIPT_DEAD;
			goto out;
		}
		if (r == SCRIPT_STOP)
			break;
	}
	ret = s->status;
out:
	fflush(out);
	for (size_t i = 0; i < n; i++)
		scen_stmt_release(&stmts[i]);
	free(stmts);
	free(line);
	return ret;
}

int script_session_run_stream(struct script_session *s, FILE *in, FILE *out,
			      FILE *err, const char *prompt)
{
	size_t linecap = 0;
	char *line = NULL, msg[SCEN_MSG_MAX];
	int ret = SCRIPT_OK;

	for (;;) {
		struct scen_stmt st;
		int r;

		if (prompt) {
			fputs(prompt, err);
			fflush(err);
		}
		if (getline(&line, &linecap, in) < 0)
			break;
		r = session_parse(s, line, &st, msg, sizeof(msg));
		if (r < 0) {
			fprintf(err, "error: %s:%u: %s\n", s->name, s->line, msg);
			continue;
		}
		if (r == 0)
			continue;
		r = exec_stmt(s, &st, out, err);
		scen_stmt_release(&st);
		if (r == SCRIPT_DEAD) {
			ret = SCRIPT_DEAD;
			goto out;
		}
		if (r == SCRIPT_STOP) {
			ret = SCRIPT_FAIL;
			goto out;
		}
	}
	if (prompt)
		fputc('\n', err);
	if (s->in_block) {
		fprintf(err, "error: ");
		script_session_finish(s, err);
	}
	ret = s->status;
out:
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
