/* Run SPIN_LOOPS iterations of a two-instruction loop (`dec; jnz`) in ring
 * 0, then make the channel live, report ready and idle.  With SPIN_LOOPS 0
 * and 1000000 it measures what one emulated ring-0 instruction costs
 * (bench-channel: time to ready and vm_insn_count of both). */
#include "tests/guests/tg.h"

#ifndef SPIN_LOOPS
#define SPIN_LOOPS 0
#endif

void tg_main(const struct boot_info *bi)
{
	uint64_t n = SPIN_LOOPS;

	(void)bi;
	if (n)
		asm volatile("1: dec %0; jnz 1b" : "+r"(n) : : "cc");
	tg_channel_live();
	tg_ready();
	tg_idle();
}
