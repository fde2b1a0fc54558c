/*
 * The little runtime shared by the test guests (tests/guests/): hypercalls,
 * console output and an idle loop, on the host's boot page tables.  Nothing
 * here needs the memory manager of guest/.
 */
#ifndef TESTS_GUESTS_TG_H
#define TESTS_GUESTS_TG_H

#include <stddef.h>
#include <stdint.h>

#include "shared/abi.h"
#include "shared/channel.h"
#include "shared/hypercall.h"
#include "shared/layout.h"

/* Every test guest provides this; bi points at the host's boot_info
 * (identity-mapped).  Returning halts the guest with interrupts off. */
void tg_main(const struct boot_info *bi);

/* Guest-physical address of an object of the image (linked at
 * KERNEL_VIRT_BASE + physical). */
static inline uint64_t tg_gpa(const void *p)
{
	return (uint64_t)p - KERNEL_VIRT_BASE;
}

/* Raw call: port HC_PORT_BASE + nr, eax = arg (any value, for bad calls). */
static inline void tg_hypercall_raw(unsigned nr, uint32_t arg)
{
	asm volatile("outl %0, %w1" : : "a"(arg), "d"((uint16_t)(HC_PORT_BASE + nr)) : "memory");
}

size_t tg_strlen(const char *s);
/* HC_CONSOLE of len bytes at buf (no checks: buf and len go as given). */
void tg_console(uint64_t buf_gpa, uint64_t len);
void tg_print(const char *s);
/* Make the channel header look live (magic, version, slots) so that the
 * host's vm_create accepts us after HC_READY; requests are never served. */
void tg_channel_live(void);
/* Publish resp_prod = done and notify the host if it waits (the protocol
 * of shared/channel.h: what every guest that answers requests must do). */
void tg_channel_publish(uint32_t done);
void tg_ready(void);
void tg_exit(int64_t code) __attribute__((noreturn));
void tg_panic(const char *msg, uint64_t len) __attribute__((noreturn));
/* `sti; hlt` forever: idle with interrupts on (none are routed to us). */
void tg_idle(void) __attribute__((noreturn));
/* `cli; hlt` forever. */
void tg_halt(void) __attribute__((noreturn));

#endif
