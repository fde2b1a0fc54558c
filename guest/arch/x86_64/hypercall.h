/* Guest side of the guest -> host calls of shared/hypercall.h. */
#ifndef GUEST_ARCH_HYPERCALL_H
#define GUEST_ARCH_HYPERCALL_H

#include <stddef.h>
#include <stdint.h>

#include "shared/hypercall.h"
#include "shared/layout.h"

/* Guest-physical address of a kernel-image or direct-map virtual address. */
static inline uint64_t kva_to_gpa(const void *va)
{
	uint64_t v = (uint64_t)va;

	return v >= KERNEL_VIRT_BASE ? v - KERNEL_VIRT_BASE : v - DIRECT_MAP_BASE;
}

/* Issue call nr with the argument struct at arg (kernel memory). */
static inline void hypercall(unsigned nr, const void *arg)
{
	asm volatile("outl %0, %w1"
		     : : "a"((uint32_t)kva_to_gpa(arg)), "d"((uint16_t)(HC_PORT_BASE + nr))
		     : "memory");
}

void hc_console(const char *buf, size_t len);
void hc_ready(void);
void hc_cpu_online(unsigned cpu);
void hc_panic(const char *msg, size_t len) __attribute__((noreturn));
void hc_exit(int64_t code) __attribute__((noreturn));

#endif
