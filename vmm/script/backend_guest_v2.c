/*
 * The guest backend's version-2 operations: mmap flags, mremap, madvise,
 * mlock and munlock, one request each (shared/channel.h).  Processes, CPUs
 * and page sharing are not in the guest yet: their ops stay NULL, so the
 * engine prints ENOSYS (docs/scenarios.md).
 */
#include <errno.h>
#include <stdbool.h>

#include "shared/channel.h"
#include "vmm/script/backend_guest_int.h"

uint32_t guest_mmap_flags(unsigned flags)
{
	return (flags & SCEN_MAP_SHARED ? MMAP_F_SHARED : 0) |
	       (flags & SCEN_MAP_NORESERVE ? MMAP_F_NORESERVE : 0) |
	       (flags & SCEN_MAP_POPULATE ? MMAP_F_POPULATE : 0) |
	       (flags & SCEN_MAP_LOCKED ? MMAP_F_LOCKED : 0) |
	       (flags & SCEN_MAP_GROWSDOWN ? MMAP_F_GROWSDOWN : 0);
}

int guest_mremap(struct scen_backend *be, uint64_t addr, uint64_t old_len, uint64_t new_len,
		 unsigned flags, uint64_t new_addr, int64_t *result)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req = {
		.op = OP_MREMAP,
		.mremap = {
			.addr = addr, .old_len = old_len, .new_len = new_len,
			.new_addr = flags & SCEN_MREMAP_FIXED ? new_addr : 0,
			.flags = (flags & SCEN_MREMAP_MAYMOVE ? MREMAP_F_MAYMOVE : 0) |
				 (flags & SCEN_MREMAP_FIXED ? MREMAP_F_FIXED : 0) |
				 (flags & SCEN_MREMAP_DONTUNMAP ? MREMAP_F_DONTUNMAP : 0),
		},
	};

	if (guest_request(g, &req))
		return -1;
	return guest_address_or_errno(g, "OP_MREMAP", &req, result);
}

/* MADV_*_ABI for each advice of the language, in enum scen_advice order. */
static const uint32_t advice_abi[SCEN_ADV_COUNT] = {
	[SCEN_ADV_NORMAL] = MADV_NORMAL_ABI,
	[SCEN_ADV_RANDOM] = MADV_RANDOM_ABI,
	[SCEN_ADV_SEQUENTIAL] = MADV_SEQUENTIAL_ABI,
	[SCEN_ADV_DONTNEED] = MADV_DONTNEED_ABI,
	[SCEN_ADV_DONTFORK] = MADV_DONTFORK_ABI,
	[SCEN_ADV_DOFORK] = MADV_DOFORK_ABI,
	[SCEN_ADV_WIPEONFORK] = MADV_WIPEONFORK_ABI,
	[SCEN_ADV_KEEPONFORK] = MADV_KEEPONFORK_ABI,
	[SCEN_ADV_POPULATE_READ] = MADV_POPULATE_READ_ABI,
	[SCEN_ADV_POPULATE_WRITE] = MADV_POPULATE_WRITE_ABI,
};

int guest_madvise(struct scen_backend *be, uint64_t addr, uint64_t len,
		  enum scen_advice advice, int64_t *result)
{
	struct guest_backend *g = to_guest(be);

	if ((unsigned)advice >= SCEN_ADV_COUNT) {
		*result = -EINVAL;
		return 0;
	}
	struct chan_slot req = {
		.op = OP_MADVISE,
		.madvise = { .addr = addr, .len = len, .advice = advice_abi[advice] },
	};
	if (guest_request(g, &req))
		return -1;
	return guest_zero_or_errno(g, "OP_MADVISE", &req, result);
}

int guest_mlock(struct scen_backend *be, uint64_t addr, uint64_t len, bool onfault,
		int64_t *result)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req = {
		.op = OP_MLOCK,
		.mlock = { .addr = addr, .len = len, .flags = onfault ? MLOCK_F_ONFAULT : 0 },
	};

	if (guest_request(g, &req))
		return -1;
	return guest_zero_or_errno(g, "OP_MLOCK", &req, result);
}

int guest_munlock(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req = { .op = OP_MUNLOCK, .munlock = { .addr = addr, .len = len } };

	if (guest_request(g, &req))
		return -1;
	return guest_zero_or_errno(g, "OP_MUNLOCK", &req, result);
}
