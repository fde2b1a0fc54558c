/* What the host writes into guest RAM before the first instruction. */
#include <string.h>

#include "shared/abi.h"
#include "shared/layout.h"
#include "shared/pte.h"
#include "vmm/vm_internal.h"


static uint64_t *table(struct vm *vm, uint64_t gpa)
{
	return (uint64_t *)gmem_ptr(&vm->mem, gpa, PAGE_SIZE_4K);
}

/* boot_info, and boot page tables mapping the first 1 GiB twice: at 0 and
 * at KERNEL_VIRT_BASE (see shared/abi.h for the entry state). */
void boot_write(struct vm *vm)
{
	struct boot_info *bi = gmem_ptr(&vm->mem, BOOT_INFO_GPA, sizeof(*bi));

	if (!bi)        /* cannot happen: RAM is at least GUEST_MEM_MIN */
		return;
	memset(bi, 0, sizeof(*bi));
	bi->magic = BOOT_INFO_MAGIC;
	bi->abi_version = VMM_ABI_VERSION;
	bi->flags = BOOT_F_DISCARD;
	bi->ram_size = vm->mem.size;
	bi->kernel_start = vm->kernel_start;
	bi->kernel_end = vm->kernel_end;
	bi->nr_cpus = vm->ncpus;

	uint64_t *pml4 = table(vm, BOOT_PML4_GPA);
	uint64_t *low = table(vm, BOOT_PDPT_LOW_GPA);
	uint64_t *high = table(vm, BOOT_PDPT_HIGH_GPA);
	uint64_t *pd = table(vm, BOOT_PD_GPA);

	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i << 21) | PTE_P | PTE_W | PTE_PS;
	low[0] = BOOT_PD_GPA | PTE_P | PTE_W;
	high[(KERNEL_VIRT_BASE >> 30) & 511] = BOOT_PD_GPA | PTE_P | PTE_W;
	pml4[0] = BOOT_PDPT_LOW_GPA | PTE_P | PTE_W;
	pml4[511] = BOOT_PDPT_HIGH_GPA | PTE_P | PTE_W;
}
