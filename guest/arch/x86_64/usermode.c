/* Enter ring 3 on the trampoline page to access user memory like a program. */
#include "guest/arch/x86_64/percpu.h"
#include "guest/arch/x86_64/usermode.h"
#include "guest/mm/errno.h"
#include "guest/mm/mm.h"
#include "shared/layout.h"

_Static_assert(USER_FAULT_MAPERR == MM_FAULT_MAPERR, "traps.S gp_entry reports a maperr");

/* Entry offsets inside the trampoline page (trampoline.S). */
static const uint16_t entry_offset[] = {
	[USER_TOUCH_READ] = 0x00,
	[USER_TOUCH_WRITE] = 0x40,
	[USER_FILL] = 0x80,
	[USER_CHECK] = 0xc0,
};

int64_t user_access(struct mm_struct *mm, enum user_op op, uint64_t addr, uint64_t len,
		    uint8_t byte, struct user_access_info *info)
{
	uint64_t end = addr + len;
	int64_t r;

	info->addr = info->detail = 0;
	if (len == 0)
		return USER_ACCESS_OK;
	if (end < addr)
		return -EINVAL;
	switch_mm(mm);
	percpu_gs.user_mm = mm;
	r = enter_user(USER_TRAMPOLINE_VA + entry_offset[op], addr, end, byte, 0);
	/* The registers the trampoline leaves mean something only when it
	 * reports a fault or a mismatch. */
	if (r != USER_ACCESS_OK) {
		info->addr = percpu_gs.user.out0;
		info->detail = percpu_gs.user.out1;
	}
	return r;
}
