/*
 * Stopping and resuming the guest for the gdb stub: a struct vm_debugger
 * (vmm/vm_internal.h) whose gate holds every vCPU thread before KVM_RUN
 * while the debugger wants the guest stopped, and the breakpoints, kept in
 * the four debug registers (KVM_SET_GUEST_DEBUG with KVM_GUESTDBG_USE_HW_BP;
 * this platform has no usable int3 in ring 0).
 *
 * A hardware breakpoint fires again on every KVM_RUN while RIP is on it
 * (RFLAGS.RF is ignored): to go on from one, the vCPU is resumed with that
 * breakpoint cleared and single-stepped one instruction, then re-armed,
 * without reporting the step (shared/platform.md).
 *
 * Stops are reported through an eventfd once every vCPU is held.
 */
#ifndef VMM_GDB_CTL_H
#define VMM_GDB_CTL_H

#include <stdbool.h>
#include <stdint.h>

struct gdb_ctl;
struct vm;

/* Debug registers for breakpoints. */
#define GDB_HW_BREAKPOINTS 4

/* A control for a VM not created yet; held: the guest starts stopped
 * (before its first instruction).  NULL if out of memory. */
struct gdb_ctl *gdb_ctl_new(bool held);
void gdb_ctl_free(struct gdb_ctl *c);

/* What vm_config.debugger takes. */
struct vm_debugger *gdb_ctl_debugger(struct gdb_ctl *c);

/* The VM, once its first vCPU has started (NULL before). */
struct vm *gdb_ctl_vm(struct gdb_ctl *c);

/* Readable (read it to clear) when the guest may have stopped. */
int gdb_ctl_event_fd(struct gdb_ctl *c);

/* Ask every vCPU to stop (Ctrl-C, attach); the stop is reported with sig. */
void gdb_ctl_interrupt(struct gdb_ctl *c, int sig);

/* 1 with the vCPU that stopped and the signal if every vCPU is held,
 * 0 if the guest runs (or is still stopping). */
int gdb_ctl_stopped(struct gdb_ctl *c, unsigned *cpu, int *sig);

/* Let the guest run (step: cpu only runs one instruction, then stops). */
void gdb_ctl_resume(struct gdb_ctl *c, unsigned cpu, bool step);

/* Insert or remove an execution breakpoint: 0, -ENOSPC (every debug
 * register taken), -ENOENT (none there). */
int gdb_ctl_breakpoint(struct gdb_ctl *c, bool insert, uint64_t addr);

/* Where breakpoints are emulated by single-stepping (vmm/gdb/arm.c): make
 * the running vCPUs re-arm their step, which the guest may have lost. */
void gdb_ctl_nudge(struct gdb_ctl *c);

/* Remove every breakpoint (the client went away). */
void gdb_ctl_clear(struct gdb_ctl *c);

#endif
