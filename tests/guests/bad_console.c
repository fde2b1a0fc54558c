/* HC_CONSOLE with a bad buffer.  VARIANT 0: buffer outside RAM; 1: length
 * HC_CONSOLE_MAX + 1 (buffer valid); 2: buffer straddling the end of RAM;
 * 3: buffer + length wrapping around 2^64. */
#include "tests/guests/tg.h"

#ifndef VARIANT
#define VARIANT 0
#endif

static char big[HC_CONSOLE_MAX + 1];

void tg_main(const struct boot_info *bi)
{
	tg_print("bad_console: a bad console write follows\n");
	switch (VARIANT) {
	case 0:
		tg_console(0xc0000000ULL, 16);
		break;
	case 1:
		for (unsigned i = 0; i < sizeof(big); i++)
			big[i] = 'y';
		tg_console(tg_gpa(big), sizeof(big));
		break;
	case 2:
		tg_console(bi->ram_size - 8, 16);
		break;
	case 3:
		tg_console(0xffffffffffffff00ULL, 0x200);
		break;
	}
	tg_print("bad_console: still alive?\n");
}
