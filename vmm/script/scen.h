/*
 * Internals of the scenario engine shared by its parser (parse.c) and its
 * runner (runner.c), and visible to the unit tests.
 */
#ifndef VMM_SCRIPT_SCEN_H
#define VMM_SCRIPT_SCEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/script/script.h"

#define SCEN_RESULT_MAX       64  /* longest normalised result text, with NUL */
#define SCEN_MSG_MAX          256 /* longest parse error message */
#define SCEN_MAX_WORDS        64

enum scen_kind {
	SCEN_MMAP,
	SCEN_MUNMAP,
	SCEN_MPROTECT,
	SCEN_TOUCH,
	SCEN_FILL,
	SCEN_CHECK,
	SCEN_MAPS,
	SCEN_EXPECT_RESULT,
	SCEN_EXPECT_MAPS,         /* the block's lines in maps/nmaps */
	SCEN_EXPECT_MAPPED,
	SCEN_EXPECT_UNMAPPED,
	SCEN_EXPECT_VMAS,
	SCEN_EXTRA,               /* an extension command: argc/argv */
};

/* One parsed line (or `expect maps` block). */
struct scen_stmt {
	enum scen_kind kind;
	unsigned line;            /* 1-based line of the statement's first line */
	uint64_t addr;
	uint64_t len;
	unsigned prot;            /* SCEN_PROT_* */
	unsigned how;             /* mmap: SCEN_MMAP_* */
	bool write;               /* touch: write (else read) */
	uint8_t byte;             /* fill / check */
	uint64_t count;           /* expect vmas */
	char result[SCEN_RESULT_MAX]; /* expect result: normalised value */
	struct scen_map *maps;    /* expect maps: expected lines (malloc'ed) */
	size_t nmaps;
	int argc;                 /* extra: words (malloc'ed) */
	char **argv;
};

/* What scen_parse_words made of a line. */
enum scen_parse_status {
	SCEN_PARSE_STMT,          /* *st is a complete statement */
	SCEN_PARSE_EMPTY,         /* blank or comment only */
	SCEN_PARSE_BLOCK,         /* `expect maps`: a block opens, *st holds its head */
	SCEN_PARSE_EXTRA,         /* unknown keyword: ask the extension hook */
	SCEN_PARSE_ERROR,         /* msg says why */
};

/*
 * Split line into words (spaces/tabs; '#' starts a comment).  words[] point
 * into buf (a copy of line, at most bufsize bytes with the NUL).  Returns the
 * number of words, or -1 if there are more than max or the line is too long.
 */
int scen_split(const char *line, char *buf, size_t bufsize, char **words, int max);

/* Parse a number (decimal or 0x hex, optional K/M/G suffix): 0 or -1. */
int scen_parse_number(const char *s, uint64_t *val);
/* Parse PROT ("rw-"): 0 or -1. */
int scen_parse_prot(const char *s, unsigned *prot);

/*
 * Parse one non-block line's words into *st (kind, arguments).  Numbers that
 * do not fit, unknown words, wrong argument counts are SCEN_PARSE_ERROR with
 * a message in msg.  `expect maps` gives SCEN_PARSE_BLOCK.
 */
enum scen_parse_status scen_parse_words(int argc, char **argv, struct scen_stmt *st,
					char *msg, size_t msglen);

/* Parse one line inside an `expect maps` block ("START-END PERMS"): 0 or -1
 * with msg. */
int scen_parse_map_line(int argc, char **argv, struct scen_map *m, char *msg, size_t msglen);

/* The normalised text of a statement (without " -> result"). */
void scen_format_stmt(const struct scen_stmt *st, char *buf, size_t size);
/* A `maps` line, without newline: "100000000000-100000004000 rw-p". */
void scen_format_map(const struct scen_map *m, char *buf, size_t size);
/* PROT as three characters plus NUL into buf[4]. */
void scen_format_prot(unsigned prot, char buf[4]);
/* An errno as the transcript prints it ("EINVAL", or "ERRNO_200"). */
void scen_format_errno(int e, char *buf, size_t size);

/* Free what a statement owns (maps, argv); *st stays valid but empty. */
void scen_stmt_release(struct scen_stmt *st);

#endif
