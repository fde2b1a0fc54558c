/*
 * The fake backend of the engine's unit tests (fake.c) and the helpers that
 * run text through it.
 */
#ifndef TESTS_SCENARIO_FAKE_H
#define TESTS_SCENARIO_FAKE_H

#include <stddef.h>
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
};

extern struct fake fake;

/* A fresh fake: nothing logged, nothing mapped, never dies. */
void fake_reset(void);

/* Run text as a file ("t.scn") / a stream ("<stdin>") through the fake;
 * out and err are malloc'ed.  Returns the run's status. */
int run_text(const char *text, char **out, char **err);
int run_stream_text(const char *text, char **out, char **err);

/* Expect text to run with status and print exactly transcript. */
void check_run(const char *text, int status, const char *transcript);

/* Expect text to be refused with "t.scn:LINE: ..." mentioning what, nothing run. */
void check_parse_error(const char *text, unsigned line, const char *what);

#endif
