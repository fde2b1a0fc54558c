/*
 * The per-CPU accessors the memory manager uses (through mm_internal.h).
 * They see only the head of struct percpu and the offset of the mm's part,
 * so that the mm does not see the rest (hypercall structs, the ring-3
 * context); percpu.h asserts that the offsets are right.
 */
#ifndef GUEST_ARCH_THIS_CPU_H
#define GUEST_ARCH_THIS_CPU_H

#include <stdint.h>

#include "guest/mm/mm_percpu.h"

/* offsetof(struct percpu, mm) */
#define PERCPU_MM_OFFSET      16

struct percpu;

/* The first fields of every struct percpu. */
struct percpu_head {
	struct percpu *self;          /* %gs:0: the area's own address */
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
	return (struct mm_percpu *)((char *)percpu_head_gs.self + PERCPU_MM_OFFSET);
}

#endif
