/* A hypercall whose argument address is bad.  VARIANT 0: outside RAM;
 * 1: misaligned (inside RAM); 2: aligned but the struct straddles the end
 * of RAM. */
#include "tests/guests/tg.h"

#ifndef VARIANT
#define VARIANT 0
#endif

static struct hc_console arg[2];

void tg_main(const struct boot_info *bi)
{
	static const char text[] = "never printed\n";

	tg_print("bad_arg: a hypercall with a bad argument address follows\n");
	arg[0].buf = arg[1].buf = tg_gpa(text);
	arg[0].len = arg[1].len = sizeof(text) - 1;
	switch (VARIANT) {
	case 0:
		tg_hypercall_raw(HC_CONSOLE, 0xfffff000u);
		break;
	case 1:
		tg_hypercall_raw(HC_CONSOLE, (uint32_t)tg_gpa(arg) + 4);
		break;
	case 2:
		tg_hypercall_raw(HC_CONSOLE, (uint32_t)(bi->ram_size - 8));
		break;
	}
	tg_print("bad_arg: still alive?\n");
}
