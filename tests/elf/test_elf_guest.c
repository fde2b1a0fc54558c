/* The real guest kernel, built by this tree, passes the loader. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "shared/abi.h"
#include "shared/layout.h"
#include "vmm/elf_load.h"

Test(elf_guest, real_guest_loads)
{
	const char *bin = getenv("VMM_BIN");
	if (!bin)
		cr_skip("VMM_BIN is not set (run through ctest)");
	char path[4096];
	snprintf(path, sizeof(path), "%s/guest.elf", bin);
	if (access(path, F_OK) != 0)
		cr_skip("%s does not exist yet", path);

	uint8_t *ram = calloc(1, GUEST_MEM_DEFAULT);
	cr_assert_not_null(ram);
	struct elf_image img;
	char err[512] = "";
	int rc = elf_load(path, ram, GUEST_MEM_DEFAULT, &img, err, sizeof(err));
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_eq(img.abi_version, VMM_ABI_VERSION);
	cr_assert_geq(img.kernel_start, HOST_RESERVED_END);
	cr_assert_gt(img.kernel_end, img.kernel_start);
	cr_assert_leq(img.kernel_end, GUEST_MEM_DEFAULT);
	cr_assert(img.entry >= KERNEL_VIRT_BASE + img.kernel_start ||
		  (img.entry >= img.kernel_start && img.entry < img.kernel_end),
		  "entry %#llx", (unsigned long long)img.entry);
	free(ram);
}
