/*
 * The per-CPU accessors the memory manager uses (through mm_internal.h).
 * They see only the head of struct percpu, which points to the mm's part,
 * so that the mm does not see the rest (hypercall structs, the ring-3
 * context); percpu.h asserts that the head is right.
 */
#ifndef GUEST_ARCH_THIS_CPU_H
#define GUEST_ARCH_THIS_CPU_H

#include <stdint.h>

#include "guest/mm/mm_percpu.h"

struct percpu;

/* The first fields of every struct percpu. */
struct percpu_head {
	struct percpu *self;          /* %gs:0: the area's own address */
	struct mm_percpu *mm;         /* the mm's part of it: one load away */
	uint32_t cpu;                 /* smp_processor_id() */
	uint32_t pad;
};

/* This CPU's area head in the GS address space: a field is one
 * %gs-relative access (GCC's __seg_gs; address 0 is valid there). */
#define percpu_head_gs (*(struct percpu_head __seg_gs *)0)

static inline unsigned smp_processor_id(void)
{
	return percpu_head_gs.cpu;
}

static inline struct mm_percpu *this_cpu_mm(void)
{
	return percpu_head_gs.mm;
}

#endif
