/*
 * Inside vmm/gdb/ctl.h: the state shared by ctl.c (the hold, the
 * breakpoint table) and arm.c (what each vCPU runs with).  Everything is
 * under lock.
 */
#ifndef VMM_GDB_CTL_INT_H
#define VMM_GDB_CTL_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/gdb/ctl.h"
#include "vmm/vm_internal.h"

/* Whether this KVM fires hardware breakpoints (arm.c finds out). */
enum { HW_UNKNOWN, HW_YES, HW_NO };

struct cpu_dbg {
	bool over;              /* stepping past a breakpoint, unreported */
	bool emulating;         /* HW_NO: single-stepping, RIP checked each time */
	bool probing;           /* the probe of arm_probe is armed */
	bool pre_probe;         /* halted: stepping until it can be probed */
	uint64_t probe_rip;
};

struct gdb_ctl {
	struct vm_debugger hooks;       /* first: the vm layer's handle */
	pthread_mutex_t lock;
	_Atomic(struct vm *) vm;
	int event_fd;
	bool hold;                      /* the debugger wants the guest stopped */
	uint32_t held;                  /* vCPUs (bit per id) in the gate */
	unsigned stop_cpu;
	int stop_sig;
	bool step;                      /* the next resume steps step_cpu */
	unsigned step_cpu;
	struct cpu_dbg cpu[VM_MAX_VCPUS];
	int hw;                         /* HW_* */
	uint64_t bp[GDB_HW_BREAKPOINTS];
	unsigned bp_refs[GDB_HW_BREAKPOINTS];
	uint64_t held_total, held_since;   /* ns */
};

/* ---- arm.c, on cpu's thread ---- */
/* Arm cpu for running on, past a breakpoint at RIP first if may_skip. */
void ctl_arm(struct gdb_ctl *c, struct vcpu *cpu, bool may_skip);
/* A KVM_EXIT_DEBUG of cpu that is not for the debugger (a step past a
 * breakpoint, the probe): handled, true; else false (report a stop). */
bool ctl_silent_exit(struct gdb_ctl *c, struct vcpu *cpu);

#endif
