/*
 * A gdb target without a VM, for the protocol tests and the fuzz target:
 * one register file per thread, 64 KiB of memory at FAKE_MEM_BASE (the
 * rest unmapped), four breakpoint slots, a monitor that echoes.
 */
#ifndef TESTS_GDB_FAKE_TARGET_H
#define TESTS_GDB_FAKE_TARGET_H

#include "vmm/gdb/cmds.h"

#define FAKE_MEM_BASE  0xffffffff80000000ULL
#define FAKE_MEM_SIZE  65536
#define FAKE_THREADS   2

struct fake_target {
	uint8_t regs[FAKE_THREADS][GDB_REGS_BYTES];
	uint8_t mem[FAKE_MEM_SIZE];
	uint64_t bp[4];
	unsigned nbp;
	unsigned resumes, steps, last_cpu;
};

extern const struct gdb_target_ops fake_target_ops;

#endif
