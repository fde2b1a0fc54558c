/* A store to guest-physical MMIO_GPA, which no memory slot backs (RAM is
 * smaller; the boot map identity-maps the first 1 GiB): KVM_EXIT_MMIO. */
#include "tests/guests/tg.h"

#define MMIO_GPA 0x30000000ULL

void tg_main(const struct boot_info *bi)
{
	if (bi->ram_size > MMIO_GPA) {
		tg_print("mmio: RAM covers the test address, run with less RAM\n");
		tg_exit(1);
	}
	tg_print("mmio: store to 0x30000000\n");
	*(volatile uint32_t *)MMIO_GPA = 0xdeadbeef;
	tg_print("mmio: still alive?\n");
}
