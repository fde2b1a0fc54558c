/*
 * First instructions.  The host enters here in long mode on its boot page
 * tables with RDI = BOOT_INFO_GPA; we take our own stack and go to C.
 */
#include "shared/abi.h"

	.section .text.boot, "ax"
	.globl _start
_start:
	cli
	lea	boot_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	kmain
1:	hlt
	jmp	1b

	.section .bss
	.align 4096
boot_stack:
	.skip 16384
boot_stack_top:

/* The ABI note checked by the host's ELF loader. */
	.section .note.vmm, "a"
	.align 4
	.long 4                 /* n_namesz: "VMM\0" */
	.long 4                 /* n_descsz */
	.long VMM_NOTE_TYPE_ABI /* n_type */
	.asciz "VMM"
	.long VMM_ABI_VERSION
