/*
 * Interrupt and exception entry.
 *
 * Hot paths are written by hand because every guest ring-0 instruction is
 * emulated here: the ring-3 page fault saves only the caller-saved registers
 * and calls C; the doorbell only acknowledges the interrupt.  Everything else
 * goes through a full frame to trap_fatal().
 */
#include "guest/arch/x86_64/percpu.h"
#include "guest/arch/x86_64/segments.h"
#include "guest/arch/x86_64/usermode.h"

/* struct trap_frame layout (trap.h): r15..rax, vector, error, rip, cs, rflags, rsp, ss */
.macro SAVE_ALL
	push %rax; push %rbx; push %rcx; push %rdx; push %rsi; push %rdi; push %rbp
	push %r8; push %r9; push %r10; push %r11; push %r12; push %r13; push %r14; push %r15
.endm

	.text
/* Exceptions without an error code push a zero so all frames look alike. */
.macro VEC_NOERR n
	.align 16
vec_\n:
	push $0
	push $\n
	jmp trap_common
.endm
.macro VEC_ERR n
	.align 16
vec_\n:
	push $\n
	jmp trap_common
.endm

VEC_NOERR 0
VEC_NOERR 1
VEC_NOERR 2
VEC_NOERR 3
VEC_NOERR 4
VEC_NOERR 5
VEC_NOERR 6
VEC_NOERR 7
VEC_ERR 8
VEC_NOERR 9
VEC_ERR 10
VEC_ERR 11
VEC_ERR 12
VEC_ERR 13
VEC_ERR 14
VEC_NOERR 15
VEC_NOERR 16
VEC_ERR 17
VEC_NOERR 18
VEC_NOERR 19
VEC_NOERR 20
VEC_ERR 21
VEC_NOERR 22
VEC_NOERR 23
VEC_NOERR 24
VEC_NOERR 25
VEC_NOERR 26
VEC_NOERR 27
VEC_NOERR 28
VEC_NOERR 29
VEC_ERR 30
VEC_NOERR 31
VEC_NOERR 255

trap_common:
	SAVE_ALL
	mov %rsp, %rdi
	and $-16, %rsp
	call trap_fatal          /* never returns */
1:	hlt
	jmp 1b

	.section .rodata
	.globl trap_vectors
trap_vectors:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad vec_\n
	.endr
	.globl spurious_vector
spurious_vector:
	.quad vec_255

	.text
/*
 * #PF.  From ring 3: demand paging through user_page_fault(cr2, error),
 * which returns to retry the access or leaves user mode for good.
 */
	.globl pf_entry
	.align 16
pf_entry:
	testb $3, 16(%rsp)
	jz vec_14
	push %rax; push %rcx; push %rdx; push %rsi; push %rdi
	push %r8; push %r9; push %r10; push %r11
	mov 72(%rsp), %rsi
	mov %cr2, %rdi
	sub $8, %rsp
	call user_page_fault
	add $8, %rsp
	pop %r11; pop %r10; pop %r9; pop %r8
	pop %rdi; pop %rsi; pop %rdx; pop %rcx; pop %rax
	add $8, %rsp
	iretq

/*
 * #BP through a DPL-3 gate: the trampoline's "done" (int3).  Results are in
 * rax (ACCESS_*), rdx and rcx (the out values).
 */
	.globl bp_entry
	.align 16
bp_entry:
	testb $3, 8(%rsp)
	jz vec_3
	mov %rax, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	jmp user_exit

/*
 * #GP from ring 3 (a non-canonical address): the access faults like an
 * unmapped one, at the page the trampoline was on (rdi).
 */
	.globl gp_entry
	.align 16
gp_entry:
	testb $3, 16(%rsp)
	jz vec_13
	mov %rdi, %rsi
	and $-4096, %rsi
	mov $USER_ACCESS_FAULT, %edi
	mov $USER_FAULT_MAPERR, %edx
	jmp user_exit

/* The doorbell: acknowledge (x2APIC EOI) and return; the idle loop does the work. */
	.globl doorbell_entry
	.align 16
doorbell_entry:
	push %rax; push %rcx; push %rdx
	mov $0x80b, %ecx
	xor %eax, %eax
	xor %edx, %edx
	wrmsr
	pop %rdx; pop %rcx; pop %rax
	iretq

/*
 * int64_t enter_user(rip, a0, a1, a2, a3): run the trampoline in ring 3 with
 * rdi..rcx = a0..a3 and interrupts on (a flush IPI must reach a CPU in a
 * touch loop); returns the result user_exit() gives.
 * The kernel context goes to this CPU's struct user_ctx (percpu.h).
 */
#define UCTX(off) %gs:(PERCPU_USER_CTX + (off))
	.globl enter_user
enter_user:
	mov %rsp, UCTX(0)
	mov %rbx, UCTX(8)
	mov %rbp, UCTX(16)
	mov %r12, UCTX(24)
	mov %r13, UCTX(32)
	mov %r14, UCTX(40)
	mov %r15, UCTX(48)
	push $USER_DS
	push $0
	push $0x202             /* IF */
	push $USER_CS
	push %rdi
	mov %rsi, %rdi
	mov %rdx, %rsi
	mov %rcx, %rdx
	mov %r8, %rcx
	xor %eax, %eax
	xor %ebx, %ebx
	xor %ebp, %ebp
	iretq

/* user_exit(result, out0, out1): back to enter_user's caller, for good. */
	.globl user_exit
user_exit:
	mov %rsi, UCTX(USER_CTX_OUT0)
	mov %rdx, UCTX(USER_CTX_OUT0 + 8)
	mov UCTX(0), %rsp
	mov UCTX(8), %rbx
	mov UCTX(16), %rbp
	mov UCTX(24), %r12
	mov UCTX(32), %r13
	mov UCTX(40), %r14
	mov UCTX(48), %r15
	mov %rdi, %rax
	ret
