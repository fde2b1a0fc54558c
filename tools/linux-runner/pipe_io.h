/* Whole-buffer reads and writes on the pipes between linux-runner and its child. */
#ifndef LINUX_RUNNER_PIPE_IO_H
#define LINUX_RUNNER_PIPE_IO_H

#include <stddef.h>

/* Write all len bytes (retrying after EINTR): 0, or -1 on error. */
int write_all(int fd, const void *buf, size_t len);

/* Read exactly len bytes: 0, or -1 on error or end of file. */
int read_all(int fd, void *buf, size_t len);

#endif
