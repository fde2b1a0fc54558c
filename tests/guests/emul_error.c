/* An SSE instruction in ring 0: the ring-0 emulator of kvm_pvm cannot run it
 * and the VM stops with KVM_EXIT_INTERNAL_ERROR.  The instruction is written
 * in asm, so this file needs no SSE code generation (-mgeneral-regs-only
 * stays on): the assembler accepts xmm registers whatever the C flags. */
#include "tests/guests/tg.h"

void tg_main(const struct boot_info *bi)
{
	(void)bi;
	tg_print("emul_error: xorps in ring 0\n");
	asm volatile("xorps %%xmm0, %%xmm0" : : : "memory");
	tg_print("emul_error: still alive?\n");
}
