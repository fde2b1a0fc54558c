/* Enter ring 3 on the trampoline page to access user memory like a program. */
#include "guest/arch/x86_64/usermode.h"
#include "guest/mm/errno.h"
#include "guest/mm/mm.h"
#include "shared/channel.h"
#include "shared/layout.h"


struct mm_struct *user_current_mm;
struct user_ctx user_ctx;

/* Entry offsets inside the trampoline page (trampoline.S). */
static const uint16_t entry_offset[] = {
	[USER_TOUCH_READ] = 0x00,
	[USER_TOUCH_WRITE] = 0x40,
	[USER_FILL] = 0x80,
	[USER_CHECK] = 0xc0,
};

int64_t user_access(struct mm_struct *mm, enum user_op op, uint64_t addr, uint64_t len,
		    uint8_t byte, uint64_t out[2])
{
	uint64_t end = addr + len;

	out[0] = out[1] = 0;
	if (len == 0)
		return ACCESS_OK;
	if (end < addr)
		return -EINVAL;
	switch_mm(mm);
	user_current_mm = mm;
	int64_t r = enter_user(USER_TRAMPOLINE_VA + entry_offset[op], addr, end, byte, 0);
	out[0] = user_ctx.out0;
	out[1] = user_ctx.out1;
	return r;
}
