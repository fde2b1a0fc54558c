/*
 * Internals of linux-runner-child (child.c, child_access.c, child_info.c):
 * the process whose address space a scenario works on (lr_proto.h).
 */
#ifndef TOOLS_LINUX_RUNNER_CHILD_H
#define TOOLS_LINUX_RUNNER_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tools/linux-runner/lr_proto.h"

/* Answer on the channel or die: the runner sees the channel close. */
void child_send(const void *buf, size_t len);

/* Catch SIGSEGV and SIGBUS for child_access: 0 or -errno. */
int child_access_setup(void);
/* touch/fill/check on our own memory (LR_ACCESS) into r. */
void child_access(const struct lr_req *q, struct lr_resp *r);

/* (Re)open /proc/self/pagemap for this process: 0 or -errno.  A forked
 * child must call it: the descriptor it inherits reads its parent. */
int child_open_pagemap(void);
/*
 * Walk /proc/self/maps without allocating: count the mappings and, if send,
 * answer those intersecting [lo, hi) as lr_map records and an end record.
 * Returns the count or -errno.
 */
int64_t child_walk_maps(uint64_t lo, uint64_t hi, int send);
/* Answer one SCEN_PAGE_* byte per page from addr (LR_PAGEMAP). */
void child_send_pagemap(uint64_t addr, uint64_t npages);

/* The LR_ZERO_PAGE_CHECK=1 test aid (child_zerocheck.c): read the
 * environment once; look before and after each request. */
void child_zerocheck_init(void);
void child_zerocheck_before(const struct lr_req *q);
void child_zerocheck_after(void);

#endif
