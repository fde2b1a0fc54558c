/* Running the ring-3 trampoline (touch/fill/check from user mode). */
#ifndef GUEST_ARCH_USERMODE_H
#define GUEST_ARCH_USERMODE_H

#include <stdint.h>

struct mm_struct;

/* The mm whose pages ring 3 is touching (for the page-fault handler). */
extern struct mm_struct *user_current_mm;

/* Values saved by enter_user and restored by user_exit (traps.S). */
struct user_ctx {
	uint64_t rsp, rbx, rbp, r12, r13, r14, r15;
	uint64_t out0, out1;
};
extern struct user_ctx user_ctx;

int64_t enter_user(uint64_t rip, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);
void user_exit(int64_t result, uint64_t out0, uint64_t out1) __attribute__((noreturn));

enum user_op { USER_TOUCH_READ, USER_TOUCH_WRITE, USER_FILL, USER_CHECK };

/*
 * Perform op from CPL 3 on [addr, addr + len) of mm: returns ACCESS_OK,
 * ACCESS_FAULT (out = page, FAULT_*) or ACCESS_MISMATCH (out = address,
 * byte), or -EINVAL if the range wraps.
 */
int64_t user_access(struct mm_struct *mm, enum user_op op, uint64_t addr, uint64_t len,
		    uint8_t byte, uint64_t out[2]);

#endif
