/*
 * The pipe protocol between linux-runner (backend_linux.c) and the process
 * that performs the scenario's operations (child.c, linux-runner-child).
 *
 * The child reads struct lr_req from its standard input and answers on its
 * standard output: first one struct lr_resp when it is ready (result 0, or
 * -errno of what failed in its setup), then for each request one struct
 * lr_resp, except LR_MAPS (a stream of struct lr_map ending with a record
 * flagged LR_MAP_END) and LR_PAGEMAP (one byte, 0 or 1, per page).
 */
#ifndef TOOLS_LINUX_RUNNER_LR_PROTO_H
#define TOOLS_LINUX_RUNNER_LR_PROTO_H

#include <stdint.h>

enum lr_op {
	LR_MMAP,           /* addr, len, prot, how (SCEN_MMAP_*): result address or -errno */
	LR_MUNMAP,         /* addr, len: result 0 or -errno */
	LR_MPROTECT,       /* addr, len, prot: result 0 or -errno */
	LR_ACCESS,         /* addr, len, prot = enum scen_access_op, byte:
	                      result enum scen_access_status, out0 = address,
	                      out1 = SCEN_FAULT_* or the byte found */
	LR_MAPS,           /* addr = lo, len = hi: the mappings intersecting [lo, hi) */
	LR_COUNT,          /* result: the number of mappings, or -errno */
	LR_PAGEMAP,        /* addr (page aligned), len = pages: presence bytes */
};

struct lr_req {
	uint32_t op;
	uint32_t prot;
	uint32_t how;
	uint32_t byte;
	uint64_t addr;
	uint64_t len;
};

struct lr_resp {
	int64_t result;
	uint64_t out0;
	uint64_t out1;
};

#define LR_MAP_SHARED      (1u << 0)
#define LR_MAP_END         (1u << 1)   /* the record after the last mapping */

struct lr_map {
	uint64_t start;
	uint64_t end;
	uint32_t prot;     /* SCEN_PROT_* */
	uint32_t flags;    /* LR_MAP_* */
};

#define LR_PAGEMAP_CHUNK   4096u       /* pages the child reads at once */

#endif
