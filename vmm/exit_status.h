/*
 * Exit statuses of the vmm program.  Only its main chooses them, from the
 * -errno values and results of the layers below (vm_create: vmm/vm.h).
 */
#ifndef VMM_EXIT_STATUS_H
#define VMM_EXIT_STATUS_H

#define VMM_EXIT_OK           0
#define VMM_EXIT_FAIL         1   /* an expectation failed / error outside the guest */
#define VMM_EXIT_INPUT        2   /* bad input: options, script, guest ELF */
#define VMM_EXIT_GUEST        3   /* the guest crashed or stopped answering */

#endif
