/* KVM binary statistics: header, descriptors, then data (Documentation/virt/kvm/api.rst). */
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/kvm_stats.h"

int kvm_stats_open(int kvm_object_fd, const char *name, int *fd, int64_t *offset)
{
	struct kvm_stats_header h;

	*fd = -1;
	*offset = -1;
	int sfd = ioctl(kvm_object_fd, KVM_GET_STATS_FD, NULL);
	if (sfd < 0)
		return -1;
	if (pread(sfd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || h.num_desc > 4096 ||
	    h.name_size > 1024) {
		close(sfd);
		return -1;
	}
	size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	char *d = malloc(dsize);
	if (!d) {
		close(sfd);
		return -1;
	}
	for (uint32_t i = 0; i < h.num_desc; i++) {
		if (pread(sfd, d, dsize, h.desc_offset + i * dsize) != (ssize_t)dsize)
			break;
		struct kvm_stats_desc *desc = (struct kvm_stats_desc *)d;
		desc->name[h.name_size - 1] = 0;
		if (strcmp(desc->name, name) == 0) {
			*offset = h.data_offset + desc->offset;
			*fd = sfd;
			free(d);
			return 0;
		}
	}
	free(d);
	close(sfd);
	return -1;
}

int64_t kvm_stats_read(int fd, int64_t offset)
{
	uint64_t v;

	if (fd < 0 || offset < 0 || pread(fd, &v, sizeof(v), offset) != (ssize_t)sizeof(v))
		return -1;
	return (int64_t)v;
}
