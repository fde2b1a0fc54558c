/*
 * The flush IPI's handler (guest/mm/tlb_smp.c has the policy, tlb_ipi.h
 * the handler's fast path).  The IDT gate of TLB_IPI_VECTOR points here: a
 * GCC interrupt function, entered by the CPU with interrupts off and left
 * by iretq, that saves only the registers it uses.  The general path
 * (lazy, logged, injected) is reached through tlb_ipi_slow_thunk, which
 * keeps every register, so that it costs the fast path nothing.
 *
 * tools/bench-shootdown compiles this very file for the host, in ring 3
 * (MM_HOST_RING3: the privileged instructions are nops, tlb_arch.h), and
 * counts every instruction of the handler.
 */
#include <stdint.h>

#include "guest/arch/x86_64/tlb_arch.h"
#include "guest/mm/mm.h"
#include "guest/mm/tlb_ipi.h"

struct interrupt_frame;

void tlb_ipi_entry(struct interrupt_frame *frame);

/* mm_tlb_ipi_slow() with the caller-saved registers kept, on a 16-byte
 * aligned stack, with the direction flag clear. */
asm(".text\n"
    ".globl tlb_ipi_slow_thunk\n"
    ".type tlb_ipi_slow_thunk, @function\n"
    "tlb_ipi_slow_thunk:\n"
    "\tpush %rax\n\tpush %rcx\n\tpush %rdx\n\tpush %rsi\n\tpush %rdi\n"
    "\tpush %r8\n\tpush %r9\n\tpush %r10\n\tpush %r11\n"
    "\tpush %rbp\n\tmov %rsp, %rbp\n\tand $-16, %rsp\n\tcld\n"
    "\tcall mm_tlb_ipi_slow\n"
    "\tmov %rbp, %rsp\n\tpop %rbp\n"
    "\tpop %r11\n\tpop %r10\n\tpop %r9\n\tpop %r8\n"
    "\tpop %rdi\n\tpop %rsi\n\tpop %rdx\n\tpop %rcx\n\tpop %rax\n\tret\n"
    ".size tlb_ipi_slow_thunk, .-tlb_ipi_slow_thunk\n");

__attribute__((interrupt)) void tlb_ipi_entry(struct interrupt_frame *frame)
{
	(void)frame;
	if (__builtin_expect(!mm_tlb_ipi_fast(), 0))
		asm volatile("call tlb_ipi_slow_thunk" : : : "memory", "cc");
	arch_eoi();
}
