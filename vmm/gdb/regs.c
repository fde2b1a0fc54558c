/*
 * Register conversion (vmm/gdb/regs.h).
 */
#include <errno.h>
#include <string.h>

#include "vmm/gdb/regs.h"

/* The general registers in gdb's order. */
static __u64 *gpr(struct kvm_regs *r, unsigned i)
{
	__u64 *const v[16] = {
		&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi, &r->rbp, &r->rsp,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};
	return v[i];
}

static void put(uint8_t *out, unsigned reg, uint64_t v)
{
	memcpy(out + gdb_reg_offset(reg), &v, gdb_reg_size(reg) < 8 ? gdb_reg_size(reg) : 8);
}

static uint64_t get(const uint8_t *in, unsigned reg)
{
	uint64_t v = 0;

	memcpy(&v, in + gdb_reg_offset(reg), gdb_reg_size(reg) < 8 ? gdb_reg_size(reg) : 8);
	return v;
}

void gdb_regs_from_kvm(const struct kvm_regs *r, const struct kvm_sregs *s, uint8_t *out)
{
	struct kvm_regs c = *r;
	const struct kvm_segment *seg[6] = { &s->cs, &s->ss, &s->ds, &s->es, &s->fs, &s->gs };

	memset(out, 0, GDB_REGS_BYTES);    /* x87 and SSE: unused by the guest */
	for (unsigned i = 0; i < 16; i++)
		put(out, GDB_RAX + i, *gpr(&c, i));
	put(out, GDB_RIP, r->rip);
	put(out, GDB_EFLAGS, r->rflags);
	for (unsigned i = 0; i < 6; i++)
		put(out, GDB_CS + i, seg[i]->selector);
	put(out, GDB_FCTRL, 0x37f);        /* the x87 state after reset */
	put(out, GDB_MXCSR, 0x1f80);
	put(out, GDB_FS_BASE, s->fs.base);
	put(out, GDB_GS_BASE, s->gs.base);
	put(out, GDB_CR0, s->cr0);
	put(out, GDB_CR2, s->cr2);
	put(out, GDB_CR3, s->cr3);
	put(out, GDB_CR4, s->cr4);
	put(out, GDB_EFER, s->efer);
}

int gdb_regs_to_kvm(const uint8_t *in, struct kvm_regs *r, const struct kvm_sregs *s)
{
	uint8_t cur[GDB_REGS_BYTES];
	size_t fixed = gdb_reg_offset(GDB_CS);

	gdb_regs_from_kvm(r, s, cur);
	/* Everything from the selectors on must stay as it is. */
	if (memcmp(cur + fixed, in + fixed, GDB_REGS_BYTES - fixed) != 0)
		return -EPERM;
	for (unsigned i = 0; i < 16; i++)
		*gpr(r, i) = get(in, GDB_RAX + i);
	r->rip = get(in, GDB_RIP);
	r->rflags = (r->rflags & ~0xffffffffULL) | get(in, GDB_EFLAGS);
	return 0;
}
