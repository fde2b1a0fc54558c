/* HC_PANIC with a message, after a console line.  PANIC_TOO_LONG: a message
 * longer than HC_PANIC_MAX. */
#include "tests/guests/tg.h"

#ifdef PANIC_TOO_LONG
static char long_msg[HC_PANIC_MAX + 1];
#endif

void tg_main(const struct boot_info *bi)
{
	(void)bi;
	tg_print("panic: about to panic\n");
#ifdef PANIC_TOO_LONG
	for (unsigned i = 0; i < sizeof(long_msg); i++)
		long_msg[i] = 'x';
	tg_panic(long_msg, sizeof(long_msg));
#else
	static const char msg[] = "test guest panic: the sky is falling";
	tg_panic(msg, sizeof(msg) - 1);
#endif
}
