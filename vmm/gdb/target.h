/*
 * The gdb stub's target over a live VM (struct gdb_target_ops of
 * vmm/gdb/cmds.h): registers through the vCPU's fd while it is held,
 * memory by guest-virtual address through the guest's own page tables
 * (CR3 of the vCPU, walked by vmm/inspect/ptwalk.h over guest RAM: an
 * unmapped address is an error, never a host access outside RAM),
 * breakpoints and resuming through vmm/gdb/ctl.h, and monitor lines
 * through the inspection commands (monitor.c).
 */
#ifndef VMM_GDB_TARGET_H
#define VMM_GDB_TARGET_H

#include <stdio.h>

#include "vmm/gdb/cmds.h"
#include "vmm/gdb/ctl.h"

struct vm;

struct gdb_vm_target {
	struct gdb_ctl *ctl;
	struct vm *vm;
	FILE *log;                  /* diagnostics (a refused breakpoint) */
};

extern const struct gdb_target_ops gdb_vm_target_ops;

/* Run one monitor line over vm's memory (monitor.c); as ops->monitor. */
int gdb_monitor_run(struct vm *vm, const char *line, char **out);

#endif
