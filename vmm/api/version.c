/*
 * The library's own source: its version.  Everything else of libvmm-mm
 * comes from the vmm_api layer and the layers below (vmm/CMakeLists.txt).
 */
#include "vmm-mm/vmm.h"

const char *vmm_version(void)
{
	return VMM_MM_VERSION;
}
