/* HC_EXIT with code 7 before ever reporting ready. */
#include "tests/guests/tg.h"

void tg_main(const struct boot_info *bi)
{
	(void)bi;
	tg_print("exit_code: exiting with 7\n");
	tg_exit(7);
}
