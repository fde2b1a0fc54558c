/* Say something, then `cli; hlt` forever without ever reporting ready: the
 * host must give up after its boot timeout ("stopped answering"). */
#include "tests/guests/tg.h"

void tg_main(const struct boot_info *bi)
{
	(void)bi;
	tg_print("hang: going to sleep for ever\n");
	tg_halt();
}
