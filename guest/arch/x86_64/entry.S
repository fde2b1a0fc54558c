/*
 * First instructions.  The host enters here in long mode on its boot page
 * tables with RDI = BOOT_INFO_GPA and RSI = the CPU id; CPU 0 takes the boot
 * stack and goes to kmain, every other CPU its own stack and ap_main(id).
 */
#include "shared/abi.h"

#define AP_STACK_SIZE 16384     /* 1 << 14 */
#define MAX_CPUS      8         /* CHANNEL_MAX_CPUS (main.c asserts it) */

	.section .text.boot, "ax"
	.globl _start
_start:
	cli
	xor	%ebp, %ebp
	test	%rsi, %rsi
	jnz	2f
	lea	boot_stack_top(%rip), %rsp
	call	kmain
1:	hlt
	jmp	1b
	/* An application CPU: ids 1 .. MAX_CPUS - 1 have a stack. */
2:	cmp	$MAX_CPUS, %rsi
	jae	1b
	mov	%rsi, %rax
	shl	$14, %rax               /* * AP_STACK_SIZE */
	lea	ap_stacks(%rip), %rsp
	add	%rax, %rsp
	mov	%rsi, %rdi
	call	ap_main
	jmp	1b

	.section .bss
	.align 4096
boot_stack:
	.skip 16384
boot_stack_top:
/* Stack of CPU i: [ap_stacks + (i - 1) * size, ap_stacks + i * size). */
ap_stacks:
	.skip AP_STACK_SIZE * (MAX_CPUS - 1)

/* The ABI note checked by the host's ELF loader. */
	.section .note.vmm, "a"
	.align 4
	.long 4                 /* n_namesz: "VMM\0" */
	.long 4                 /* n_descsz */
	.long VMM_NOTE_TYPE_ABI /* n_type */
	.asciz "VMM"
	.long VMM_ABI_VERSION
