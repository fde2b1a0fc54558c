/* Running the ring-3 trampoline (touch/fill/check from user mode). */
#ifndef GUEST_ARCH_USERMODE_H
#define GUEST_ARCH_USERMODE_H

/* Results of a user run (trampoline.S, traps.S); requests.c asserts that
 * they equal the channel's ACCESS_*. */
#define USER_ACCESS_OK        0
#define USER_ACCESS_FAULT     1   /* addr = faulting page, detail = enum mm_fault */
#define USER_ACCESS_MISMATCH  2   /* addr = first differing byte, detail = the byte found */
/* gp_entry's fault kind: MM_FAULT_MAPERR (asserted in usermode.c). */
#define USER_FAULT_MAPERR     1

#ifndef __ASSEMBLER__
#include <stdint.h>

struct mm_struct;

int64_t enter_user(uint64_t rip, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
/* Leave user mode for good: enter_user returns result, with out0/out1 in
 * this CPU's user_ctx (traps.S). */
void user_exit(int64_t result, uint64_t out0, uint64_t out1) __attribute__((noreturn));

enum user_op { USER_TOUCH_READ, USER_TOUCH_WRITE, USER_FILL, USER_CHECK };

/* What a run found besides its result (see USER_ACCESS_*; zero for OK). */
struct user_access_info {
	uint64_t addr;
	uint64_t detail;
};

/*
 * Perform op from CPL 3 on [addr, addr + len) of mm: returns USER_ACCESS_OK,
 * USER_ACCESS_FAULT or USER_ACCESS_MISMATCH (with *info), -ENOMEM when a
 * fault found no memory, or -EINVAL if the range wraps.
 */
int64_t user_access(struct mm_struct *mm, enum user_op op, uint64_t addr, uint64_t len,
		    uint8_t byte, struct user_access_info *info);
#endif /* __ASSEMBLER__ */

#endif
