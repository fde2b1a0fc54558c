/*
 * The architecture under the guest mm for bench-shootdown: the guest's own
 * code (MM_HOST_RING3: inline TLB primitives with nops for the privileged
 * instructions, guest/arch/x86_64/tlb_arch.h; the per-CPU area in GS, as in
 * the guest; the IPI handler guest/arch/x86_64/tlb_ipi.c itself), in ring
 * 3, several CPUs simulated in one thread.  Each fake CPU has its own
 * per-CPU area; switching CPU loads its address into GS (arch_prctl).
 *
 * A flush IPI is only the target's pending bit (the ICR write is a nop):
 * it is delivered when the sender lets interrupts in (arch_irq_window, in
 * its wait for acknowledgements): bench_irq_window() builds the interrupt
 * frame the CPU would push and jumps to tlb_ipi_entry as the target CPU,
 * whose iretq comes back.  That delivery code lives in the section
 * bench_sim, whose instructions stepcount() neither counts nor attributes;
 * every instruction of the handler, from its first to its iretq, counts
 * for the target (mm_host_cpu).  The trace and TLB-log flags are real bytes,
 * off.  RAM, CR3 loads and discards: tools/bench-fork/bench_ram.c.
 */
#include <asm/prctl.h>
#include <stdlib.h>
#include <sys/syscall.h>

#include "guest/mm/mm.h"
#include "guest/mm/mm_tlblog.h"
#include "guest/mm/mm_trace.h"
#include "guest/mm/mm_types.h"
#include "guest/mm/tlb_ipi.h"
#include "tools/bench-fork/bench_ram.h"
#include "tools/bench-shootdown/smp_arch.h"

#define SIM __attribute__((section("bench_sim"), noinline))

unsigned mm_host_cpu;

/* A fake per-CPU area: the head the mm reads through GS (this_cpu.h). */
static struct fake_cpu {
	struct percpu_head head;
	struct mm_percpu mm;
} cpus[SMP_BENCH_CPUS];

void tlb_ipi_entry(void);

static SIM void set_gs(unsigned cpu)
{
	long r;

	asm volatile("syscall" : "=a"(r) : "a"(SYS_arch_prctl), "D"(ARCH_SET_GS), "S"(&cpus[cpu])
		     : "rcx", "r11", "memory");
	if (r)
		abort();
}

/* The CPU's part of an interrupt: the frame (SS, RSP, RFLAGS without TF,
 * CS, RIP) on a 16-byte aligned stack, then the handler; its iretq comes
 * back to 1:.  No red zone here (-mno-red-zone). */
static SIM void deliver(void)
{
	asm volatile("mov %%rsp, %%rax\n\t"
		     "and $-16, %%rsp\n\t"
		     "pushq $0x2b\n\t"
		     "push %%rax\n\t"
		     "pushfq\n\t"
		     "andq $~0x100, (%%rsp)\n\t"
		     "pushq $0x33\n\t"
		     "lea 1f(%%rip), %%rax\n\t"
		     "push %%rax\n\t"
		     "jmp tlb_ipi_entry\n"
		     "1:"
		     : : : "rax", "memory", "cc");
}

/* Every CPU with a request pending takes its IPI now, as itself. */
SIM void smp_deliver(void)
{
	unsigned self = mm_host_cpu;

	mm_host_cpu = SMP_NOBODY;
	for (unsigned c = 0; c < SMP_BENCH_CPUS; c++) {
		if (c == self || !tlb_cpus[c].pending)
			continue;
		set_gs(c);
		mm_host_cpu = c;
		deliver();
		mm_host_cpu = SMP_NOBODY;
	}
	set_gs(self);
	mm_host_cpu = self;
}

/* arch_irq_window's call (tlb_arch.h): smp_deliver with every register kept. */
asm(".section bench_sim,\"ax\",@progbits\n"
    ".globl bench_irq_window\n"
    "bench_irq_window:\n"
    "\tpush %rax\n\tpush %rcx\n\tpush %rdx\n\tpush %rsi\n\tpush %rdi\n"
    "\tpush %r8\n\tpush %r9\n\tpush %r10\n\tpush %r11\n"
    "\tpush %rbp\n\tmov %rsp, %rbp\n\tand $-16, %rsp\n"
    "\tcall smp_deliver\n"
    "\tmov %rbp, %rsp\n\tpop %rbp\n"
    "\tpop %r11\n\tpop %r10\n\tpop %r9\n\tpop %r8\n"
    "\tpop %rdi\n\tpop %rsi\n\tpop %rdx\n\tpop %rcx\n\tpop %rax\n\tret\n"
    ".text\n");

extern const char __start_bench_sim[], __stop_bench_sim[];

void smp_sim_range(uint64_t *lo, uint64_t *hi)
{
	*lo = (uint64_t)__start_bench_sim;
	*hi = (uint64_t)__stop_bench_sim;
}

void smp_run_as(unsigned cpu)
{
	set_gs(cpu);
	mm_host_cpu = cpu;
}

/* The trace and TLB-log flags, off, so that every log point costs what it
 * costs in the guest: the test of a byte. */
uint8_t mm_trace_on, mm_tlblog_on;
asm(TRACE_THUNK_ASM);

void trace_emit(uint32_t ev, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
{
	(void)ev, (void)a0, (void)a1, (void)a2, (void)a3, (void)a4;
	abort();
}

void tlblog_emit(uint32_t ev, uint32_t mm, uint64_t a, uint64_t b)
{
	(void)ev, (void)mm, (void)a, (void)b;
	abort();
}

void smp_arch_init(void)
{
	for (unsigned c = 0; c < SMP_BENCH_CPUS; c++) {
		cpus[c].head.self = (struct percpu *)&cpus[c];
		cpus[c].head.mm = &cpus[c].mm;
		cpus[c].head.cpu = c;
		cpus[c].mm = (struct mm_percpu){ 0 };
	}
	smp_run_as(0);
	bench_ram_init(SMP_BENCH_RAM, "bench-shootdown");
	for (unsigned c = 1; c < SMP_BENCH_CPUS; c++) {
		smp_run_as(c);          /* each CPU comes online itself */
		mm_cpu_online(c);
	}
	smp_run_as(0);
}
