/*
 * The crash report: why the guest stopped, its registers, control
 * registers, a page-table walk of RIP and CR2, and its last console lines.
 */
#include <inttypes.h>

#include "vmm/inspect/ptwalk.h"
#include "vmm/vcpu.h"
#include "vmm/vm_internal.h"

static void print_regs(const struct kvm_regs *r, const struct kvm_sregs *s, FILE *f)
{
	fprintf(f, "registers:\n"
		"  rip %016llx  rsp %016llx  rflags %016llx\n"
		"  rax %016llx  rbx %016llx  rcx %016llx\n"
		"  rdx %016llx  rsi %016llx  rdi %016llx\n"
		"  rbp %016llx  r8  %016llx  r9  %016llx\n"
		"  r10 %016llx  r11 %016llx  r12 %016llx\n"
		"  r13 %016llx  r14 %016llx  r15 %016llx\n",
		r->rip, r->rsp, r->rflags, r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi,
		r->rbp, r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15);
	fprintf(f, "  cr0 %016llx  cr2 %016llx  cr3 %016llx\n"
		"  cr4 %016llx  efer %016llx  cs %04x (cpl %u)\n",
		s->cr0, s->cr2, s->cr3, s->cr4, s->efer, s->cs.selector, s->cs.selector & 3);
}

void vm_report_failure(struct vm *vm, FILE *f)
{
	const char *why = vm_failure(vm);
	const struct vcpu *cpu = vm->failed_vcpu;

	fprintf(f, "vmm: guest failure: %s\n", why ? why : "none");
	if (cpu && cpu->fail_regs_valid) {
		const struct kvm_sregs *s = &cpu->fail_sregs;
		uint64_t pml4 = s->cr3 & 0x000ffffffffff000ull;
		if (vm->nr_vcpus > 1)
			fprintf(f, "vCPU %u:\n", cpu->id);
		print_regs(&cpu->fail_regs, s, f);
		fprintf(f, "page walk of rip %016llx (cr3 %016llx):\n", cpu->fail_regs.rip, s->cr3);
		ptwalk_describe(&vm->mem, pml4, cpu->fail_regs.rip, f);
		fprintf(f, "page walk of cr2 %016llx:\n", s->cr2);
		ptwalk_describe(&vm->mem, pml4, s->cr2, f);
	} else {
		fprintf(f, "registers: not available\n");
	}
	console_print_last(vm, f);
}
