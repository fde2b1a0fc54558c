/*
 * The command tables: finding the entry a line names, `help` generated from
 * the tables, and the helpers run functions share.  See cmd.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/script/scen.h"

#define HELP_WIDTH_MAX   40   /* synopses longer than this are not padded */

int scen_cmd_name_words(const struct scen_cmd *c)
{
	return strchr(c->name, ' ') ? 2 : 1;
}

/* Does c's name (one or two words) equal the first words of argv? */
static bool name_matches(const struct scen_cmd *c, int argc, char *const *argv)
{
	const char *sp = strchr(c->name, ' ');

	if (argc < 1)
		return false;
	if (!sp)
		return strcmp(c->name, argv[0]) == 0;
	return argc >= 2 && strlen(argv[0]) == (size_t)(sp - c->name) &&
	       strncmp(c->name, argv[0], (size_t)(sp - c->name)) == 0 &&
	       strcmp(sp + 1, argv[1]) == 0;
}

const struct scen_cmd *scen_cmd_find(const struct scen_cmd_table *t, int argc,
				     char *const *argv, bool any_arity)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct scen_cmd *c = &t->cmds[i];
		unsigned nargs;

		if (!name_matches(c, argc, argv))
			continue;
		nargs = (unsigned)(argc - scen_cmd_name_words(c));
		if (any_arity || (nargs >= c->min_args && nargs <= c->max_args))
			return c;
	}
	return NULL;
}

/*
 * No entry is named by argv.  If argv[0] starts two-word names ("expect",
 * "mm"), say which second words exist; else it is an unknown operation.
 */
static void unknown_msg(const struct script_session *s, int argc, char **argv,
			char *msg, size_t msglen)
{
	char list[512] = "", *last = NULL;
	size_t used = 0;

	for (unsigned k = 0; k < s->ntables; k++) {
		const struct scen_cmd_table *t = s->tables[k].t;

		for (size_t i = 0; i < t->n; i++) {
			const char *name = t->cmds[i].name, *sp = strchr(name, ' ');
			int n;

			if (!sp || strlen(argv[0]) != (size_t)(sp - name) ||
			    strncmp(name, argv[0], (size_t)(sp - name)) != 0 ||
			    (last && strcmp(last, sp + 1) == 0))
				continue;
			n = snprintf(list + used, sizeof(list) - used, "%s%s", used ? ", " : "", sp + 1);
			if (n < 0 || (size_t)n >= sizeof(list) - used)
				break;
			last = list + used + (used ? 2 : 0);
			used += (size_t)n;
		}
	}
	if (!used) {
		scen_set_msg(msg, msglen, "unknown operation '%s'", argv[0]);
		return;
	}
	if (last && last != list && used + 2 < sizeof(list)) {
		/* "a, b, c" -> "a, b or c" */
		memmove(last - 2 + 4, last, strlen(last) + 1);
		memcpy(last - 2, " or ", 4);
	}
	if (argc == 1)
		scen_set_msg(msg, msglen, "%s: expected %s", argv[0], list);
	else
		scen_set_msg(msg, msglen, "%s: unknown %s '%s' (expected %s)", argv[0],
			     strcmp(argv[0], "expect") == 0 ? "expectation" : "command", argv[1], list);
}

/*
 * The one lookup of every interface: the first entry, over the session's
 * tables in order, that argv names and whose argument count fits; else the
 * first that argv names (its parse function then says what is wrong).
 * NULL with msg when nothing is named.
 */
const struct scen_cmd *scen_session_lookup(const struct script_session *s, int argc,
					   char **argv, void **ctx, char *msg, size_t msglen)
{
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned k = 0; k < s->ntables; k++) {
			const struct scen_cmd *c = scen_cmd_find(s->tables[k].t, argc, argv, pass);

			if (c) {
				*ctx = s->tables[k].ctx;
				return c;
			}
		}
	}
	if (strcmp(argv[0], "end") == 0)
		scen_set_msg(msg, msglen, "'end' without 'expect maps'");
	else
		unknown_msg(s, argc, argv, msg, msglen);
	return NULL;
}

int script_session_add_table(struct script_session *s, const struct scen_cmd_table *t,
			     void *ctx)
{
	if (s->ntables == SCRIPT_MAX_TABLES)
		return -ENOSPC;
	s->tables[s->ntables++] = (struct scen_table_ref){ .t = t, .ctx = ctx };
	return 0;
}

static void synopsis(const struct scen_cmd *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", c->name, c->args[0] ? " " : "", c->args);
}

void scen_help(FILE *out, const struct scen_cmd_table *const *tables, size_t n)
{
	char syn[128];
	int width = 0;

	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < tables[k]->n; i++) {
			synopsis(&tables[k]->cmds[i], syn, sizeof(syn));
			if ((int)strlen(syn) > width && strlen(syn) <= HELP_WIDTH_MAX)
				width = (int)strlen(syn);
		}
	}
	fprintf(out, "help:\n");
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < tables[k]->n; i++) {
			synopsis(&tables[k]->cmds[i], syn, sizeof(syn));
			fprintf(out, "%-*s  %s\n", width, syn, tables[k]->cmds[i].help);
		}
	}
}

/* `help`: every entry of the session's tables. */
int scen_run_help(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	const struct script_session *s = ctx;
	const struct scen_cmd_table *tables[SCRIPT_MAX_TABLES];

	(void)st;
	for (unsigned k = 0; k < s->ntables; k++)
		tables[k] = s->tables[k].t;
	scen_help(io->out, tables, s->ntables);
	return SCEN_CMD_OK;
}

void scen_io_set_result(struct scen_io *io, const char *value)
{
	if (io->session)
		script_session_set_result(io->session, value);
}

void scen_io_msg(struct scen_io *io, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(io->msg, sizeof(io->msg), fmt, ap);
	va_end(ap);
}
