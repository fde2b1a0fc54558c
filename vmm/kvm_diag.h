/*
 * Why /dev/kvm cannot be used, and what to do about it: the messages vmm
 * and the library give when opening the device fails (the same diagnosis
 * tools/kvm-check.sh gives the scripts).
 */
#ifndef VMM_KVM_DIAG_H
#define VMM_KVM_DIAG_H

#include <stddef.h>

#define KVM_DEVICE            "/dev/kvm"

/*
 * Explain open(dev)'s failure with errno e: lines separated by '\n' (no
 * final newline) into buf, the first "cannot open DEV: STRERROR", then the
 * cause and the remedy: the KVM module (a missing device, or a device
 * node that no module serves: ENODEV/ENXIO), permissions and the kvm group
 * (EACCES), a plain file in place of the device; for the two module cases,
 * a kernel that is itself a guest without nested virtualization is
 * recognised in kernel_log (the kernel's messages, as dmesg prints them;
 * NULL if unknown) by a kvm line saying "not binding", which is quoted.  Reads nothing but dev's status (stat); for tests, dev and
 * kernel_log may be anything.
 */
void kvm_explain(const char *dev, int e, const char *kernel_log, char *buf, size_t len);

/*
 * kvm_explain for KVM_DEVICE with the running kernel's log (read with
 * klogctl when allowed).  Returns -e.
 */
int kvm_diagnose(int e, char *buf, size_t len);

#endif
