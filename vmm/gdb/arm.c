/*
 * What a vCPU runs with while gdb is attached (vmm/gdb/ctl_int.h): the
 * breakpoints in the debug registers, stepping past one, single steps.
 *
 * A hardware breakpoint fires again on every KVM_RUN while RIP is on it
 * (RFLAGS.RF is ignored on this platform): to go on from one, the vCPU
 * runs with that breakpoint cleared, single-steps one instruction, and is
 * re-armed, without a report.
 *
 * Some KVMs do not fire hardware breakpoints at all: QEMU before 9.1
 * emulating AMD-V (the test machine of tools/kvm-machine.sh) never loads the
 * guest's DR7 into its breakpoints (nor does it let KVM intercept an int3).
 * The first resume with breakpoints probes for it (arm_probe); where they
 * do not fire, breakpoints are emulated: the vCPU single-steps and RIP is
 * compared with them after every instruction, a few thousand times
 * slower.  A single step is lost where the guest clears RFLAGS.TF itself
 * (an interrupt gate, iretq or sysret to ring 3): the vCPU is re-armed at
 * its next exit, and the stub kicks it every POLL_MS while it runs
 * (client.c).  The real platform (kvm_pvm) fires hardware breakpoints.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/gdb/ctl_int.h"
#include "vmm/vcpu.h"


static void set_debug(struct vcpu *cpu, const struct kvm_guest_debug *dbg)
{
	if (ioctl(cpu->fd, KVM_SET_GUEST_DEBUG, dbg) < 0)
		vm_fail(cpu->vm, "KVM_SET_GUEST_DEBUG: %s", strerror(errno));
}

static bool bp_any(const struct gdb_ctl *c)
{
	for (unsigned i = 0; i < GDB_HW_BREAKPOINTS; i++)
		if (c->bp_refs[i])
			return true;
	return false;
}

static bool bp_at(const struct gdb_ctl *c, uint64_t rip)
{
	for (unsigned i = 0; i < GDB_HW_BREAKPOINTS; i++)
		if (c->bp_refs[i] && c->bp[i] == rip)
			return true;
	return false;
}

/*
 * The probe: a hardware breakpoint on RIP and a single step.  Where
 * hardware breakpoints work the breakpoint fires before the instruction
 * runs (RIP unchanged); where they do not the step ends one instruction
 * later.  Only on a runnable vCPU (a halted one would first take an
 * interrupt).  True if armed.
 */
static bool arm_probe(struct gdb_ctl *c, struct vcpu *cpu, uint64_t rip)
{
	struct kvm_mp_state mp;
	struct kvm_guest_debug dbg = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP | KVM_GUESTDBG_SINGLESTEP,
		.arch.debugreg = { [0] = rip, [7] = 1 },
	};
	struct cpu_dbg *d = &c->cpu[cpu->id];

	if (ioctl(cpu->fd, KVM_GET_MP_STATE, &mp) < 0 || mp.mp_state != KVM_MP_STATE_RUNNABLE) {
		/* Step until it runs: the first exit is then probed. */
		dbg = (struct kvm_guest_debug){
			.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP };
		d->pre_probe = true;
	} else {
		d->probing = true;
		d->probe_rip = rip;
	}
	set_debug(cpu, &dbg);
	return true;
}

/* Breakpoints in DR0..DR3, but the one at RIP when stepping past it. */
static void arm_dr(struct gdb_ctl *c, struct vcpu *cpu, uint64_t rip, bool may_skip,
		   bool step, struct kvm_guest_debug *dbg)
{
	bool skipped = false;

	for (unsigned i = 0; i < GDB_HW_BREAKPOINTS; i++) {
		if (!c->bp_refs[i])
			continue;
		if (may_skip && rip == c->bp[i]) {
			skipped = true;
			continue;
		}
		dbg->arch.debugreg[i] = c->bp[i];
		dbg->arch.debugreg[7] |= 1ull << (2 * i);       /* Li: local, execute */
	}
	if (dbg->arch.debugreg[7])
		dbg->control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_HW_BP;
	c->cpu[cpu->id].over = skipped && !step;
	if (skipped)
		dbg->control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
}

void ctl_arm(struct gdb_ctl *c, struct vcpu *cpu, bool may_skip)
{
	struct kvm_guest_debug dbg = { 0 };
	struct kvm_regs regs = { 0 };
	bool step = c->step && c->step_cpu == cpu->id, any = false;

	if (ioctl(cpu->fd, KVM_GET_REGS, &regs) < 0)
		may_skip = false;
	for (unsigned i = 0; i < GDB_HW_BREAKPOINTS; i++)
		any |= c->bp_refs[i] != 0;
	c->cpu[cpu->id] = (struct cpu_dbg){ 0 };
	if (any && c->hw == HW_UNKNOWN && arm_probe(c, cpu, regs.rip))
		return;
	if (any)
		arm_dr(c, cpu, regs.rip, may_skip, step, &dbg);
	c->cpu[cpu->id].emulating = any && c->hw == HW_NO;
	if (c->cpu[cpu->id].emulating)
		c->cpu[cpu->id].over = false;
	if (step || c->cpu[cpu->id].emulating)
		dbg.control |= KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP;
	set_debug(cpu, &dbg);
}

/* The probe's step or breakpoint arrived with RIP at rip. */
static void probe_done(struct gdb_ctl *c, struct vcpu *cpu, uint64_t rip)
{
	c->hw = rip == c->cpu[cpu->id].probe_rip ? HW_YES : HW_NO;
	if (c->hw == HW_NO)
		fprintf(stderr, "vmm: gdb: this KVM does not fire hardware breakpoints (as QEMU "
			"before 9.1 emulating AMD-V): they are emulated by single-stepping, "
			"thousands of times slower\n");
}

bool ctl_silent_exit(struct gdb_ctl *c, struct vcpu *cpu)
{
	struct cpu_dbg *d = &c->cpu[cpu->id];
	struct kvm_regs regs;
	bool step = c->step && c->step_cpu == cpu->id;

	if (ioctl(cpu->fd, KVM_GET_REGS, &regs) < 0)
		return false;
	if (c->hold)
		return false;
	if (!step && !bp_any(c)) {
		ctl_arm(c, cpu, false);         /* armed for a client now gone: disarm */
		return true;
	}
	if (d->pre_probe) {
		ctl_arm(c, cpu, false);         /* now runnable: the probe */
		return true;
	}
	if (d->probing) {
		probe_done(c, cpu, regs.rip);
		if (c->hw == HW_NO && (step || bp_at(c, regs.rip)))
			return false;           /* one instruction ran: a stop */
		ctl_arm(c, cpu, c->hw == HW_YES);
		return true;
	}
	if (d->over || (d->emulating && !step && !bp_at(c, regs.rip))) {
		ctl_arm(c, cpu, false);         /* past it, or not there yet: on */
		return true;
	}
	return false;
}
