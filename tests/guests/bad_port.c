/* An `out` to a port nobody handles.  BAD_PORT (default 0x1234) and
 * BAD_PORT_BYTE (an outb instead of outl) select the variant. */
#include "tests/guests/tg.h"

#ifndef BAD_PORT
#define BAD_PORT 0x1234
#endif

#if BAD_PORT >= 0x500 && BAD_PORT < 0x510 && !defined(BAD_PORT_BYTE)
_Static_assert(BAD_PORT == HC_PORT_BASE + HC_NR_CALLS, "bad_port_hc: the first unused call");
#endif

void tg_main(const struct boot_info *bi)
{
	(void)bi;
	tg_print("bad_port: out to an unknown port\n");
#ifdef BAD_PORT_BYTE
	asm volatile("outb %b0, %w1" : : "a"(0x42), "d"((uint16_t)BAD_PORT));
#else
	asm volatile("outl %0, %w1" : : "a"(0x42), "d"((uint16_t)BAD_PORT));
#endif
	tg_print("bad_port: still alive?\n");
}
