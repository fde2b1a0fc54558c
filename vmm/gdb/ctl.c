/*
 * The vCPU hold and the breakpoint table (vmm/gdb/ctl.h); what a vCPU runs
 * with is arm.c.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "vmm/gdb/ctl_int.h"
#include "vmm/vcpu.h"
#include "vmm/vm_internal.h"

/* How often a held vCPU looks at its mailbox and the VM's state. */
#define GATE_POLL_MS  20

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void notify(struct gdb_ctl *c)
{
	uint64_t one = 1;

	if (write(c->event_fd, &one, sizeof one) != sizeof one) {
		/* cannot fail short of a counter overflow */
	}
}

/* Start holding (lock held). */
static void hold_locked(struct gdb_ctl *c, unsigned cpu, int sig)
{
	if (c->hold)
		return;
	c->hold = true;
	c->held_since = now_ns();
	c->stop_cpu = cpu;
	c->stop_sig = sig;
}

static void first_gate(struct gdb_ctl *c, struct vcpu *cpu)
{
	atomic_store(&c->vm, cpu->vm);
}

static void gate(struct vm_debugger *d, struct vcpu *cpu)
{
	struct gdb_ctl *c = (struct gdb_ctl *)d;
	struct vm *vm = cpu->vm;
	uint32_t bit = 1u << cpu->id;

	pthread_mutex_lock(&c->lock);
	if (!atomic_load(&c->vm))
		first_gate(c, cpu);
	while (c->hold && !atomic_load(&vm->stop) && atomic_load(&vm->state) <= VM_READY) {
		if (!(c->held & bit)) {
			c->held |= bit;
			if (__builtin_popcount(c->held) >= (int)vm->nr_vcpus)
				notify(c);
		}
		pthread_mutex_unlock(&c->lock);
		vcpu_serve_mailbox(cpu);
		usleep(GATE_POLL_MS * 1000);
		pthread_mutex_lock(&c->lock);
	}
	if (c->held & bit) {
		c->held &= ~bit;
		ctl_arm(c, cpu, true);
	} else if (c->cpu[cpu->id].emulating) {
		ctl_arm(c, cpu, false);         /* the guest may have lost its step */
	}
	pthread_mutex_unlock(&c->lock);
}

static bool debug_exit(struct vm_debugger *d, struct vcpu *cpu)
{
	struct gdb_ctl *c = (struct gdb_ctl *)d;
	struct vm *vm = cpu->vm;

	pthread_mutex_lock(&c->lock);
	if (ctl_silent_exit(c, cpu)) {
		pthread_mutex_unlock(&c->lock);
		return true;
	}
	c->cpu[cpu->id] = (struct cpu_dbg){ 0 };
	hold_locked(c, cpu->id, SIGTRAP);
	pthread_mutex_unlock(&c->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		if (&vm->vcpus[i] != cpu)
			vcpu_kick(&vm->vcpus[i]);
	return true;
}

static uint64_t held_ns(struct vm_debugger *d)
{
	struct gdb_ctl *c = (struct gdb_ctl *)d;
	uint64_t t;

	pthread_mutex_lock(&c->lock);
	t = c->held_total + (c->hold ? now_ns() - c->held_since : 0);
	pthread_mutex_unlock(&c->lock);
	return t;
}

struct gdb_ctl *gdb_ctl_new(bool held)
{
	struct gdb_ctl *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (c->event_fd < 0) {
		free(c);
		return NULL;
	}
	c->hooks = (struct vm_debugger){ .gate = gate, .debug_exit = debug_exit,
					 .held_ns = held_ns };
	pthread_mutex_init(&c->lock, NULL);
	if (held)
		hold_locked(c, 0, SIGTRAP);
	return c;
}

void gdb_ctl_free(struct gdb_ctl *c)
{
	if (!c)
		return;
	close(c->event_fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct vm_debugger *gdb_ctl_debugger(struct gdb_ctl *c)
{
	return &c->hooks;
}

struct vm *gdb_ctl_vm(struct gdb_ctl *c)
{
	return atomic_load(&c->vm);
}

int gdb_ctl_event_fd(struct gdb_ctl *c)
{
	return c->event_fd;
}

void gdb_ctl_interrupt(struct gdb_ctl *c, int sig)
{
	struct vm *vm = atomic_load(&c->vm);

	pthread_mutex_lock(&c->lock);
	hold_locked(c, 0, sig);
	pthread_mutex_unlock(&c->lock);
	if (vm)
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vcpu_kick(&vm->vcpus[i]);
}

int gdb_ctl_stopped(struct gdb_ctl *c, unsigned *cpu, int *sig)
{
	struct vm *vm = atomic_load(&c->vm);
	int r;

	pthread_mutex_lock(&c->lock);
	r = vm && c->hold && __builtin_popcount(c->held) >= (int)vm->nr_vcpus;
	*cpu = c->stop_cpu;
	*sig = c->stop_sig;
	pthread_mutex_unlock(&c->lock);
	return r;
}

void gdb_ctl_resume(struct gdb_ctl *c, unsigned cpu, bool step)
{
	pthread_mutex_lock(&c->lock);
	c->step = step;
	c->step_cpu = cpu;
	if (c->hold) {
		c->hold = false;
		c->held_total += now_ns() - c->held_since;
	}
	pthread_mutex_unlock(&c->lock);
}

int gdb_ctl_breakpoint(struct gdb_ctl *c, bool insert, uint64_t addr)
{
	int free_slot = -1, r = insert ? -ENOSPC : -ENOENT;

	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < GDB_HW_BREAKPOINTS; i++) {
		if (c->bp_refs[i] && c->bp[i] == addr) {
			if (insert)
				c->bp_refs[i]++;
			else
				c->bp_refs[i]--;
			r = 0;
			goto out;
		}
		if (!c->bp_refs[i] && free_slot < 0)
			free_slot = i;
	}
	if (insert && free_slot >= 0) {
		c->bp[free_slot] = addr;
		c->bp_refs[free_slot] = 1;
		r = 0;
	}
out:
	pthread_mutex_unlock(&c->lock);
	return r;
}

void gdb_ctl_clear(struct gdb_ctl *c)
{
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < GDB_HW_BREAKPOINTS; i++)
		c->bp_refs[i] = 0;
	c->step = false;
	pthread_mutex_unlock(&c->lock);
}

void gdb_ctl_nudge(struct gdb_ctl *c)
{
	struct vm *vm = atomic_load(&c->vm);
	bool kick = false;

	if (!vm)
		return;
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		kick |= !c->hold && c->cpu[i].emulating;
	pthread_mutex_unlock(&c->lock);
	for (unsigned i = 0; kick && i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}
