/*
 * Where the installed pieces of vmm-mm live: the guest kernel (guest.elf)
 * and linux-runner's child program.  A program or library finds them
 * relative to itself first, so that an installation works wherever its
 * prefix was moved (a `cmake --install --prefix DIR`, a .deb), and the build
 * tree works without installing (the guest sits next to vmm in build/bin):
 *
 *   1. the environment variable (VMM_GUEST, LINUX_RUNNER_CHILD), if set;
 *   2. the directory of the running executable (the build tree);
 *   3. the install layout relative to that executable (bin/../share/vmm-mm);
 *   4. the install layout relative to the object holding this code (the
 *      shared library libvmm-mm: lib/../share/vmm-mm);
 *   5. the directory compiled in at configure time (CMAKE_INSTALL_PREFIX).
 *
 * No KVM, no guest: linux-runner links it too.
 */
#ifndef VMM_PATHS_H
#define VMM_PATHS_H

#include <stddef.h>

enum vmm_path_kind {
	VMM_PATH_DATA,            /* share/vmm-mm: guest.elf */
	VMM_PATH_LIBEXEC,         /* libexec/vmm-mm: linux-runner-child */
};

/*
 * Find file (a bare name) of kind: 0 and its path in buf, or -ENOENT with
 * the places looked at, separated by ", ", in tried (may be NULL).  When
 * env names a set environment variable, its value is the only candidate
 * (an explicit choice is never second-guessed).  -ENAMETOOLONG if a
 * candidate does not fit in buf.
 */
int vmm_path_find(enum vmm_path_kind kind, const char *file, const char *env,
		  char *buf, size_t len, char *tried, size_t triedlen);

/* The guest kernel vmm boots when none is named: vmm_path_find for
 * guest.elf with $VMM_GUEST. */
int vmm_path_default_guest(char *buf, size_t len, char *tried, size_t triedlen);

/* The compiled-in installed path of the default guest (for messages). */
const char *vmm_path_installed_guest(void);

#endif
