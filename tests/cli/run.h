/*
 * Running a program of the build and capturing what it prints, for the
 * command-line tests.
 */
#ifndef TESTS_CLI_RUN_H
#define TESTS_CLI_RUN_H

struct prog_run {
	int status;               /* exit status, or 128 + signal */
	char *out;                /* standard output (malloc'ed) */
	char *err;                /* standard error (malloc'ed) */
};

/* The path of a program of the build: $VMM_BIN/name (one of four static
 * buffers, so that one call may use two). */
const char *prog_path(const char *name);

/* A file of the source tree: $VMM_SRC/rel (static buffer). */
const char *src_path(const char *rel);

/* Run argv (argv[0] a path) with standard input from /dev/null. */
struct prog_run prog_run(const char *const *argv);

void prog_run_free(struct prog_run *r);

/* The whole of a file (malloc'ed), or NULL. */
char *read_file(const char *path);

#endif
