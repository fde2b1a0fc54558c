/*
 * Ring-3 code, mapped (U=1, read-only, executable) at USER_TRAMPOLINE_VA.
 * Position independent.  Entered with rdi = address, rsi = end (exclusive),
 * rdx = byte, and rcx = nothing; leaves with int3 and rax = USER_ACCESS_OK
 * or USER_ACCESS_MISMATCH (rdx = address, rcx = byte found).  Faults are
 * handled by the kernel: resolved ones retry the instruction, others end
 * the run.
 * Offsets from the start of the page are the entry points (usermode.c).
 */
#include "guest/arch/x86_64/usermode.h"

	.section .user_tramp, "ax"
	.globl user_tramp
user_tramp:

/* +0x00: touch read: one load from each page (first byte, or rdi itself) */
	.org 0x00
1:	movb (%rdi), %al
	or $0xfff, %rdi
	inc %rdi
	cmp %rsi, %rdi
	jb 1b
	xor %eax, %eax
	int3

/* +0x40: touch write: a locked read-modify-write that changes nothing */
	.org 0x40
1:	lock orb $0, (%rdi)
	or $0xfff, %rdi
	inc %rdi
	cmp %rsi, %rdi
	jb 1b
	xor %eax, %eax
	int3

/* +0x80: fill [rdi, rsi) with dl */
	.org 0x80
	mov %rsi, %rcx
	sub %rdi, %rcx
	mov %edx, %eax
	cld
	rep stosb
	xor %eax, %eax
	int3

/* +0xc0: check [rdi, rsi) against dl */
	.org 0xc0
	mov %rsi, %rcx
	sub %rdi, %rcx
	mov %edx, %eax
	cld
	repe scasb
	jne 2f
	xor %eax, %eax
	int3
2:	lea -1(%rdi), %rdx
	movzbl -1(%rdi), %ecx
	mov $USER_ACCESS_MISMATCH, %eax
	int3
