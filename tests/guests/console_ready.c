/* Print a line, make the channel header live, report ready, then idle in
 * `sti; hlt` without ever serving a request: the host's first request must
 * time out ("stopped answering"). */
#include "tests/guests/tg.h"

void tg_main(const struct boot_info *bi)
{
	(void)bi;
	tg_print("console_ready: up, but I will not answer\n");
	tg_channel_live();
	tg_ready();
	tg_idle();
}
