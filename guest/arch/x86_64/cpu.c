/* GDT and TSS of each CPU, the IDT they share, and CR4 features. */
#include <stdint.h>

#include "guest/arch/x86_64/cpu.h"
#include "guest/arch/x86_64/segments.h"
#include "guest/lib/printk.h"
#include "shared/channel.h"
#include "shared/layout.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t offset_lo, selector;
	uint8_t ist, type;
	uint16_t offset_mid;
	uint32_t offset_hi, reserved;
};

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define MAX_CPUS CHANNEL_MAX_CPUS

/* Per CPU: its GDT (with its own TSS descriptor) and TSS. */
static uint64_t gdts[MAX_CPUS][7] __attribute__((aligned(16)));
static struct tss tsss[MAX_CPUS] __attribute__((aligned(16)));
static struct idt_gate idt[256] __attribute__((aligned(4096)));
/* Ring-3 traps land on the CPU's trap stack (TSS.RSP0): leaving user mode
 * for good simply abandons it.  Double faults get a stack of their own. */
static uint8_t trap_stacks[MAX_CPUS][16384] __attribute__((aligned(16)));
static uint8_t df_stacks[MAX_CPUS][4096] __attribute__((aligned(16)));

extern const uint64_t trap_vectors[32];
extern const uint64_t spurious_vector;
void pf_entry(void);
void bp_entry(void);
void gp_entry(void);
void doorbell_entry(void);
struct interrupt_frame;
void tlb_ipi_entry(struct interrupt_frame *frame);   /* tlb_ipi.c */

static void set_gate(int vec, uint64_t handler, uint8_t type, uint8_t ist)
{
	idt[vec] = (struct idt_gate){
		.offset_lo = (uint16_t)handler,
		.selector = KERNEL_CS,
		.ist = ist,
		.type = type,
		.offset_mid = (uint16_t)(handler >> 16),
		.offset_hi = (uint32_t)(handler >> 32),
	};
}

/* The IDT every CPU shares: built once by CPU 0. */
static void idt_build(void)
{
	for (int v = 0; v < 32; v++)
		set_gate(v, trap_vectors[v], 0x8e, v == 8 ? 1 : 0);
	for (int v = 32; v < 256; v++)
		set_gate(v, spurious_vector, 0x8e, 0);
	set_gate(3, (uint64_t)bp_entry, 0xee, 0);          /* DPL 3: int3 from ring 3 */
	set_gate(13, (uint64_t)gp_entry, 0x8e, 0);
	set_gate(14, (uint64_t)pf_entry, 0x8e, 0);
	set_gate(DOORBELL_VECTOR, (uint64_t)doorbell_entry, 0x8e, 0);
	set_gate(TLB_IPI_VECTOR, (uint64_t)tlb_ipi_entry, 0x8e, 0);
}

void cpu_init_tables(unsigned cpu)
{
	uint64_t *gdt = gdts[cpu];
	struct tss *tss = &tsss[cpu];
	uint64_t t = (uint64_t)tss;

	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffULL;   /* kernel code, 64-bit */
	gdt[2] = 0x00cf92000000ffffULL;   /* kernel data */
	gdt[3] = 0x00cff2000000ffffULL;   /* user data, DPL 3 */
	gdt[4] = 0x00affa000000ffffULL;   /* user code, 64-bit, DPL 3 */
	gdt[5] = (sizeof(*tss) - 1) | ((t & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((t >> 24) & 0xff) << 56);
	gdt[6] = t >> 32;
	tss->rsp[0] = (uint64_t)(trap_stacks[cpu] + sizeof(trap_stacks[cpu]));
	tss->ist[0] = (uint64_t)(df_stacks[cpu] + sizeof(df_stacks[cpu]));
	tss->iomap_base = sizeof(*tss);

	/* GS is left alone: it holds the per-CPU area (percpu_init). */
	struct table_ptr gp = { sizeof(gdts[cpu]) - 1, (uint64_t)gdt };
	asm volatile("lgdt %0\n\t"
		     "mov %1, %%ds\n\t mov %1, %%es\n\t mov %1, %%ss\n\t"
		     "xor %%eax, %%eax\n\t mov %%eax, %%fs\n\t"
		     "pushq %2\n\t lea 1f(%%rip), %%rax\n\t push %%rax\n\t lretq\n"
		     "1:\n\t ltr %w3"
		     : : "m"(gp), "r"(KERNEL_DS), "i"(KERNEL_CS), "r"(TSS_SEL) : "rax", "memory");

	if (cpu == 0)
		idt_build();
	struct table_ptr ip = { sizeof(idt) - 1, (uint64_t)idt };
	asm volatile("lidt %0" : : "m"(ip));
}

void cpu_init_features(void)
{
	uint32_t r[4];
	uint64_t cr4;

	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= 1u << 7;                          /* PGE */
	cpuid(7, 0, r);
	if (r[1] & (1u << 7))
		cr4 |= 1u << 20;                 /* SMEP: never run user code in ring 0 */
	if (r[1] & (1u << 20))
		cr4 |= 1u << 21;                 /* SMAP: the kernel never reads user pages */
	asm volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
	if (!(rdmsr(0xc0000080) & (1u << 11)))
		panic("cpu_init_features: EFER.NXE is off");
}
