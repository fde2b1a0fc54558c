/*
 * A fake scenario backend for the engine's unit tests (test_parser.c,
 * test_parser_v2.c): every call is logged in fake.log, one line each, and
 * answers come from the fields the test sets after fake_reset().
 */
#ifndef TESTS_SCENARIO_FAKE_BACKEND_H
#define TESTS_SCENARIO_FAKE_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/script/script.h"

struct fake {
	struct scen_backend be;
	char log[4096];                 /* one line per call */
	struct scen_map maps[8];
	size_t nmaps;
	uint64_t vmas;
	uint64_t present_from, present_to;  /* pages in [from, to) are present */
	struct scen_access_result access;
	int die_after;                  /* calls before the backend dies (-1: never) */
	unsigned mmap_flags;            /* of the last mmap */
	/* version 2 */
	int64_t v2_result;              /* what mremap/madvise/mlock/munlock answer */
	int64_t fork_result;            /* 0 (a child) or -errno */
	unsigned next_handle;           /* the next child's handle (from 10) */
	unsigned selected;              /* the selected handle */
	uint8_t share[16];              /* SCEN_PAGE_* of pages 0x100000000..+16 */
};

extern struct fake fake;
/* The fake's operations without the optional version-2 ones. */
extern const struct scen_backend_ops fake_ops_v1;

/* A fresh fake: every operation works, nothing logged, never dies. */
void fake_reset(void);
/* Append fmt (with two 64-bit arguments) to f->log. */
void logf_(struct fake *f, const char *fmt, uint64_t a, uint64_t b);
/* Run text as a file (as a stream) through the fake; out/err are malloc'ed. */
int run_text(const char *text, char **out, char **err);
int run_stream_text(const char *text, char **out, char **err);
/* Expect text to run with status and print exactly transcript (after fake_reset). */
void check_run(const char *text, int status, const char *transcript);
/* Expect text to be refused with "t.scn:LINE: ..." mentioning what, nothing run. */
void check_parse_error(const char *text, unsigned line, const char *what);

#endif
