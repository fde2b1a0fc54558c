/*
 * Programs running beside a test (vmm, gdb), their output in files.
 */
#ifndef TESTS_GDB_SPAWN_H
#define TESTS_GDB_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

/* Start argv with stdin from /dev/null and stdout/stderr into the files
 * out and err (err NULL: both into out): the pid, or -1. */
pid_t spawn_to_files(const char *const *argv, const char *out, const char *err);

/* Wait for pid at most timeout_ms (then kill it): its exit status, 128 +
 * signal, or -1 if it had to be killed. */
int spawn_wait(pid_t pid, unsigned timeout_ms);

/* Wait until path exists (at most timeout_ms): true if it does. */
bool wait_for_path(const char *path, unsigned timeout_ms);

#endif
