/*
 * The command table: every line a user can type (a scenario file, standard
 * input, the control socket) names one entry of a table, found by
 * script_session's one dispatch path.  The engine's own table holds the
 * scenario language (operations, expectations, help); a program adds tables
 * of the same type for commands that need more than a backend (vmm adds the
 * guest-only inspection and address-space commands), and `help` lists every
 * registered entry once, generated from the tables.
 *
 * Also here: the language's one tokenizer and one number parser, which every
 * table's parse functions (and vmm's option parser) use.
 */
#ifndef VMM_SCRIPT_CMD_H
#define VMM_SCRIPT_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/script/script.h"

#define SCEN_MAX_WORDS        64   /* words in one line */
#define SCEN_RESULT_MAX       64   /* longest normalised result text, with NUL */
#define SCEN_MSG_MAX          256  /* longest problem message of a parse or run */

struct scen_cmd;

/* One parsed line (or `expect maps` block): the command and its arguments,
 * stored by the command's parse function in whichever fields it needs. */
struct scen_stmt {
	const struct scen_cmd *cmd;
	void *ctx;                /* the context its table was registered with */
	unsigned line;            /* 1-based line of the statement's first line */
	uint64_t addr;
	uint64_t len;
	uint64_t n;               /* a count, an id, an end address */
	unsigned prot;            /* SCEN_PROT_* */
	unsigned how;             /* a mode: mmap's SCEN_MMAP_*, ptdump's mode,
				     madvise's enum scen_advice... */
	unsigned flags;           /* mmap's SCEN_MAP_*, mremap's SCEN_MREMAP_*,
				     mlock's onfault (1) */
	uint64_t addr2;           /* mremap's NEWADDR */
	bool write;               /* touch: write (else read) */
	bool ranged;              /* a range was given (ptdump) */
	uint8_t byte;             /* fill / check */
	char text[SCEN_RESULT_MAX]; /* expect result: the normalised value */
	struct scen_map *maps;    /* expect maps: the expected lines (malloc'ed) */
	size_t nmaps;
};

/* What a run function returns. */
#define SCEN_CMD_OK           0
#define SCEN_CMD_FAIL         1   /* an expectation (or the checker) failed; the
				     transcript says how; io->msg may name it */
#define SCEN_CMD_ERROR        2   /* could not run: io->msg says why; nothing printed */
#define SCEN_CMD_DEAD         3   /* the backend died: io->msg says why */

/* What a parse function returns besides 0 and -1. */
#define SCEN_PARSE_BLOCK      1   /* `expect maps`: mapping lines follow until `end` */

/* Where a run function writes. */
struct scen_io {
	FILE *out;                /* the transcript */
	FILE *err;                /* diagnostics */
	struct script_session *session;  /* for the value `expect result` compares
					    (NULL when run outside a session) */
	char msg[SCEN_MSG_MAX];   /* see SCEN_CMD_*; "" on entry */
};

struct scen_cmd {
	const char *name;         /* the words that select it: "mmap", "expect result", "mm list" */
	const char *args;         /* synopsis of the arguments for help ("" for none) */
	const char *help;         /* what it does, one short line */
	unsigned min_args;        /* words after the name: an entry is chosen only if */
	unsigned max_args;        /* the line fits, so two may share a name (check) */
	/*
	 * Check the words (argv[0] is the name's first word; st->cmd is set) and
	 * store the arguments in st.  0, SCEN_PARSE_BLOCK, or -1 with a one-line
	 * problem (without location) in msg.  No I/O, no backend.
	 */
	int (*parse)(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);
	/* Run a parsed statement: SCEN_CMD_*.  ctx is st->ctx. */
	int (*run)(void *ctx, const struct scen_stmt *st, struct scen_io *io);
};

struct scen_cmd_table {
	const struct scen_cmd *cmds;
	size_t n;
};

/* The scenario language: its operations (with help) and its expectations,
 * registered in every session first, in this order. */
extern const struct scen_cmd_table scen_operations;
extern const struct scen_cmd_table scen_expectations;

/*
 * The entry of t that argv names and whose argument count fits, or NULL.
 * With any_arity, the first entry that argv names whatever its arguments.
 */
const struct scen_cmd *scen_cmd_find(const struct scen_cmd_table *t, int argc,
				     char *const *argv, bool any_arity);

/* How many words of argv the name of c takes (1 or 2). */
int scen_cmd_name_words(const struct scen_cmd *c);

/*
 * Print "help:" and one line per entry of the tables ("SYNOPSIS  help"),
 * in table order: the `help` command's answer.
 */
void scen_help(FILE *out, const struct scen_cmd_table *const *tables, size_t n);

/*
 * Add a table to the session, after the engine's (and earlier ones): its
 * entries become known to every later line and to `help`; ctx is passed to
 * their run functions.  0, or -ENOSPC beyond SCRIPT_MAX_TABLES tables.
 */
#define SCRIPT_MAX_TABLES     8
int script_session_add_table(struct script_session *s, const struct scen_cmd_table *t,
			     void *ctx);

/* Set the value that the next `expect result` compares with (normalised
 * text, as printed) when io runs in a session. */
void scen_io_set_result(struct scen_io *io, const char *value);

/* printf into msg (msglen bytes): for parse functions' problems. */
void scen_set_msg(char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* printf into io->msg. */
void scen_io_msg(struct scen_io *io, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- the tokenizer and the number parser ---- */

/*
 * Split line into words (spaces, tabs, carriage returns; '#' starts a
 * comment).  words[] point into buf (a copy of line, at most bufsize bytes
 * with the NUL).  Returns the number of words, or -1 if there are more than
 * max or the line is too long.
 */
int scen_split(const char *line, char *buf, size_t bufsize, char **words, int max);

/* A number of the language: decimal or 0x hex, optional K/M/G suffix
 * (x 1024^n), fitting in 64 bits.  0, or -1 (not a number, or too big). */
int scen_parse_number(const char *s, uint64_t *val);

/* The same, telling apart -1 (not a number) and -2 (does not fit in 64 bits). */
int scen_parse_number_why(const char *s, uint64_t *val);

/* Parse argument `what` of command kw as a number: 0, or -1 with msg
 * ("kw: what 'WORD' is not a number" or "... does not fit in 64 bits"). */
int scen_number_arg(const char *kw, const char *what, const char *s, uint64_t *val,
		    char *msg, size_t msglen);

/* A parse function for commands without arguments ("NAME: expected no
 * arguments"). */
int scen_parse_no_args(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen);

/* Copy text into buf (size bytes) with every byte outside printable ASCII,
 * and the backslash, written as \xNN (or \\), so that a diagnostic never
 * carries raw control bytes from the input to a terminal. */
void scen_escape(const char *text, char *buf, size_t size);

#endif
