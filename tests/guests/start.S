/*
 * Entry of every test guest.  The host enters in long mode on its boot page
 * tables (first 1 GiB identity-mapped and at KERNEL_VIRT_BASE) with
 * RDI = BOOT_INFO_GPA and RSI = the CPU id; CPU 0 takes a stack and calls
 * tg_main(boot_info), every other CPU reports online and halts.  Test
 * guests never switch page tables: they use the boot map throughout.
 */
#include "shared/abi.h"
#include "shared/layout.h"

	.section .text.boot, "ax"
	.globl _start
_start:
	cli
	test	%rsi, %rsi
	jnz	ap
	lea	tg_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	tg_main
1:	cli
	hlt
	jmp	1b

	/* HC_CPU_ONLINE with { cpu, 0 } in this CPU's 8 bytes of tg_online
	 * (ids below 8: the rest just halt). */
ap:	cmp	$8, %rsi
	jae	1b
	lea	tg_online(%rip), %rax
	lea	(%rax,%rsi,8), %rax
	mov	%esi, (%rax)
	sub	$0xffffffff80000000, %rax       /* KERNEL_VIRT_BASE: to guest-physical */
	mov	$(HC_PORT_BASE + 5), %dx        /* HC_CPU_ONLINE (tg_lib.c asserts it) */
	out	%eax, %dx
	jmp	1b

	.section .bss
	.balign 8
tg_online:
	.skip 64
	.balign 4096
	.globl tg_stack
tg_stack:
	.skip 16384
tg_stack_top:

/* The ABI note checked by the host's ELF loader (docs/elf-loading.md). */
	.section .note.vmm, "a"
	.balign 4
	.long 4, 4, VMM_NOTE_TYPE_ABI
	.asciz "VMM"
	.long VMM_ABI_VERSION

	.section .note.GNU-stack, "", @progbits
