/*
 * The per-CPU area: the state that belongs to one CPU rather than to the
 * kernel (the memory manager's gather batch and loaded mm, the ring-3
 * context, the hypercall argument structs).  Each CPU's GS base points at
 * its own struct percpu (MSR_GS_BASE, written once by percpu_init();
 * CR4.FSGSBASE stays off and nothing runs swapgs or loads GS, so ring 3
 * cannot move it), and `%gs:offset` reaches a field of this CPU's area in
 * one instruction.
 */
#ifndef GUEST_ARCH_PERCPU_H
#define GUEST_ARCH_PERCPU_H

/* offsetof(struct percpu, user) and of user_ctx.out0, for traps.S. */
#define PERCPU_USER_CTX       4688
#define USER_CTX_OUT0         56

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include "guest/arch/x86_64/this_cpu.h"
#include "shared/hypercall.h"

/* The kernel context enter_user() saves and user_exit() returns to, and
 * the values user_exit() reports (traps.S). */
struct user_ctx {
	uint64_t rsp, rbx, rbp, r12, r13, r14, r15;
	uint64_t out0, out1;
};

/* Argument structs of the guest -> host calls: the host reads them by
 * guest-physical address while the call runs, so each CPU needs its own. */
struct hc_args {
	struct hc_console console;
	struct hc_ready ready;
	struct hc_panic panic;
	struct hc_exit exit;
	struct hc_discard discard;
	struct hc_cpu_online cpu_online;
};

struct percpu {
	struct percpu *self;          /* struct percpu_head (this_cpu.h) */
	struct mm_percpu *mm_part;    /* &mm */
	uint32_t cpu;
	uint32_t pad;
	struct mm_percpu mm;          /* the memory manager's (this_cpu_mm()) */
	struct user_ctx user;         /* enter_user/user_exit (traps.S) */
	struct mm_struct *user_mm;    /* the mm ring 3 is touching (page faults) */
	struct hc_args hc;
};

_Static_assert(offsetof(struct percpu, self) == offsetof(struct percpu_head, self) &&
	       offsetof(struct percpu, mm_part) == offsetof(struct percpu_head, mm) &&
	       offsetof(struct percpu, cpu) == offsetof(struct percpu_head, cpu),
	       "this_cpu.h: percpu head");
_Static_assert(offsetof(struct percpu, user) == PERCPU_USER_CTX, "traps.S: percpu.user");
_Static_assert(offsetof(struct user_ctx, out0) == USER_CTX_OUT0, "traps.S: user_ctx.out0");

/* Make area cpu's own (cpu < NR_CPUS) and load it into this CPU's GS base:
 * the first thing a CPU does (panic and printk use it). */
void percpu_init(struct percpu *area, unsigned cpu);

/* The boot CPU's area (the others' are in main.c), and every CPU's area
 * by id (NULL: not up). */
extern struct percpu percpu_boot;
extern struct percpu *percpu_areas[NR_CPUS];

/* This CPU's area in the GS address space: `percpu_gs.field` is one
 * %gs-relative access. */
#define percpu_gs (*(struct percpu __seg_gs *)0)

static inline struct percpu *this_cpu(void)
{
	return percpu_gs.self;
}
#endif /* __ASSEMBLER__ */

#endif
