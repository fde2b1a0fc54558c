/*
 * The linux-runner's backend: the scenario's operations performed by the
 * host's own Linux kernel, in a child process (backend_linux.c).
 */
#ifndef TOOLS_LINUX_RUNNER_BACKEND_LINUX_H
#define TOOLS_LINUX_RUNNER_BACKEND_LINUX_H

#include <stdio.h>

#include "vmm/script/script.h"

/*
 * Fork the child that performs the operations and take its baseline mapping
 * count (`expect vmas` counts what the scenario added to it).  Returns NULL
 * with a message on err if the child cannot be set up.  Free with
 * backend_free().
 */
struct scen_backend *backend_linux_new(FILE *err);

#endif
