/*
 * Running the runners (linux-runner, vmm, scengen) from the scenario tests:
 * start a program with its standard streams on files, wait for it, read
 * files back, find the binaries and the corpus.
 */
#ifndef TESTS_SCENARIO_PROC_H
#define TESTS_SCENARIO_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Start argv[0] with stdin from in_path (NULL: /dev/null) and stdout/stderr
 * to out_path/err_path (created or truncated).  Returns the pid or -1. */
pid_t proc_start(char *const argv[], const char *in_path, const char *out_path,
		 const char *err_path);

/* Wait for pid: its exit status, 128 + signal if killed, -1 on error. */
int proc_wait(pid_t pid);

/* proc_start + proc_wait. */
int proc_run(char *const argv[], const char *in_path, const char *out_path,
	     const char *err_path);

/* The whole file as a NUL-terminated malloc'ed string (NULL on error). */
char *slurp(const char *path, size_t *len);

/* Write text to path: 0 or -1. */
int write_file(const char *path, const char *text);

/* $VMM_BIN/name (or build/bin/name) into buf. */
void bin_path(const char *name, char *buf, size_t size);
/* $VMM_SRC/rel (or the working directory's rel) into buf. */
void src_path(const char *rel, char *buf, size_t size);

/* A fresh temporary directory (malloc'ed path), or NULL. */
char *make_tmpdir(const char *tag);
/* Remove the directory and the files in it (not recursive). */
void remove_tmpdir(char *dir);

/* The unified diff of two files, malloc'ed (empty if equal). */
char *diff_files(const char *a, const char *b);

/* Whether the vmm and the guest are built; if not, why into why. */
int vmm_available(char *why, size_t size);

#endif
