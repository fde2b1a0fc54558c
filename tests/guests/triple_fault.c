/* Load an IDT with limit 0, then raise #UD: #UD -> #GP -> #DF -> triple
 * fault, which KVM reports as KVM_EXIT_SHUTDOWN. */
#include "tests/guests/tg.h"

static const struct {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed)) empty_idt = { 0, 0 };

void tg_main(const struct boot_info *bi)
{
	(void)bi;
	tg_print("triple_fault: empty IDT, then ud2\n");
	asm volatile("lidt %0; ud2" : : "m"(empty_idt));
}
