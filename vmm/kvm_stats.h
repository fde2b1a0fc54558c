/* Reading one counter of a KVM binary stats fd (KVM_GET_STATS_FD). */
#ifndef VMM_KVM_STATS_H
#define VMM_KVM_STATS_H

#include <stdint.h>

/* Open the stats fd of a VM or vCPU fd and find the counter called name.
 * On success *fd and *offset are set (offset of its value in the fd);
 * otherwise they stay -1.  Returns 0 or -1. */
int kvm_stats_open(int kvm_object_fd, const char *name, int *fd, int64_t *offset);

/* The counter's current value, or -1. */
int64_t kvm_stats_read(int fd, int64_t offset);

#endif
