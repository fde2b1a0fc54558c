/* C side of the exception entry points in traps.S. */
#include <stdint.h>

#include "guest/arch/x86_64/cpu.h"
#include "guest/arch/x86_64/percpu.h"
#include "guest/arch/x86_64/usermode.h"
#include "guest/lib/printk.h"
#include "guest/mm/mm.h"
#include "guest/mm/mm_trace.h"

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

static const char *const names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound", "#UD invalid opcode", "#NM no FPU", "#DF double fault",
	"coprocessor overrun", "#TS invalid TSS", "#NP segment not present",
	"#SS stack fault", "#GP general protection", "#PF page fault", "reserved",
	"#MF x87", "#AC alignment", "#MC machine check", "#XM SIMD", "#VE virtualization",
	"#CP control protection",
};

/* A ring-3 page fault (traps.S pf_entry): resolve it (under the mm's
 * mmap_lock, inside the published state's bracket: mm_user_fault), or end
 * the user run with the fault (or -ENOMEM when no frame was left). */
void user_page_fault(uint64_t cr2, uint64_t error)
{
	struct mm_struct *mm = percpu_gs.user_mm;
	int r;

	TRACE(TEV_FAULT_ENTER, cr2, error);
	r = mm_user_fault(mm, cr2, (uint32_t)error);
	TRACE(TEV_FAULT_EXIT, (uint64_t)(int64_t)r);

	if (r > 0)
		user_exit(USER_ACCESS_FAULT, cr2 & ~0xfffULL, (uint64_t)r);
	if (r < 0)
		user_exit(r, cr2 & ~0xfffULL, 0);
}

/* Any exception the kernel does not expect: a broken invariant. */
void trap_fatal(struct trap_frame *f)
{
	const char *name = f->vector < 32 && names[f->vector] ? names[f->vector] : "interrupt";

	if ((f->cs & 3) == 3)
		user_exit(USER_ACCESS_FAULT, f->rdi & ~0xfffULL, MM_FAULT_MAPERR);
	panic("trap_fatal: %s (vector %lu) error %lx at rip %lx rsp %lx cr2 %lx",
	      name, f->vector, f->error, f->rip, f->rsp, read_cr2());
}
