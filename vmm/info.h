/* vmm --info: what /dev/kvm offers on this machine. */
#ifndef VMM_INFO_H
#define VMM_INFO_H

#include <stdio.h>

/* Print the KVM backend, capabilities and the measured cost of one exit to
 * user space.  Returns 0, or -errno if /dev/kvm cannot be opened (reason
 * printed on stderr). */
int info_print(FILE *out);

#endif
