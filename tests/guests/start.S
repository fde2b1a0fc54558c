/*
 * Entry of every test guest.  The host enters in long mode on its boot page
 * tables (first 1 GiB identity-mapped and at KERNEL_VIRT_BASE) with
 * RDI = BOOT_INFO_GPA; we take a stack and call tg_main(boot_info).  Test
 * guests never switch page tables: they use the boot map throughout.
 */
#include "shared/abi.h"

	.section .text.boot, "ax"
	.globl _start
_start:
	cli
	lea	tg_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	tg_main
1:	cli
	hlt
	jmp	1b

	.section .bss
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
