/*
 * The guest backend's version-2 operations: mmap flags, mremap, madvise,
 * mlock and munlock, processes (fork, select, exit) and page sharing, one
 * request each (shared/channel.h).  A process is a guest mm: handle h is
 * procs[h]; fork is OP_MM_FORK on the selected mm, exit OP_MM_DESTROY.
 * `cpu N` moves the requests to the guest's CPU N mod its count (each CPU has
 * its own ring and data window).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "vmm/vm.h"

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

int guest_fork(struct scen_backend *be, unsigned *child, int64_t *result)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req = { .op = OP_MM_FORK };
	unsigned h;

	for (h = 1; h < GUEST_PROCS_MAX && g->procs[h]; h++)
		;
	if (h == GUEST_PROCS_MAX) {
		*result = -EAGAIN;        /* fork(2) at the process limit */
		return 0;
	}
	if (guest_request(g, &req))
		return -1;
	if (guest_zero_or_errno(g, "OP_MM_FORK", &req, result))
		return -1;
	if (*result == 0) {
		if (req.mm_fork.id == 0)
			return guest_dead(g, "OP_MM_FORK succeeded without a child id");
		g->procs[h] = req.mm_fork.id;
		*child = h;
	}
	return 0;
}

int guest_select(struct scen_backend *be, unsigned handle)
{
	struct guest_backend *g = to_guest(be);

	if (handle >= GUEST_PROCS_MAX || !g->procs[handle])
		return guest_dead(g, "select of the unknown process handle %u", handle);
	g->mm = g->procs[handle];
	return 0;
}

int guest_exit(struct scen_backend *be, unsigned handle)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req = { .op = OP_MM_DESTROY };
	int64_t result;

	if (handle == 0 || handle >= GUEST_PROCS_MAX || !g->procs[handle])
		return guest_dead(g, "exit of the unknown process handle %u", handle);
	g->mm = g->procs[handle];
	if (guest_request(g, &req) || guest_zero_or_errno(g, "OP_MM_DESTROY", &req, &result))
		return -1;
	if (result)
		return guest_dead(g, "OP_MM_DESTROY of a live process answered %" PRId64, result);
	g->procs[handle] = 0;
	g->mm = 0;
	return 0;
}

void guest_exit_others(struct guest_backend *g)
{
	uint32_t keep = g->mm;

	for (unsigned h = 0; h < GUEST_PROCS_MAX; h++) {
		struct chan_slot req = { .op = OP_MM_DESTROY };
		if (!g->procs[h] || g->procs[h] == keep)
			continue;
		g->mm = g->procs[h];
		if (guest_request(g, &req))
			break;
		g->procs[h] = 0;
	}
	g->mm = keep;
}

int guest_page_share(struct scen_backend *be, uint64_t addr, uint64_t npages, uint8_t *state)
{
	struct guest_backend *g = to_guest(be);
	const uint8_t *data = vm_channel_data_on(g->vm, g->cpu);

	while (npages) {
		uint64_t n = npages < CHANNEL_DATA_SIZE ? npages : CHANNEL_DATA_SIZE;
		struct chan_slot req = {
			.op = OP_PAGE_SHARE,
			.page_share = { .addr = addr, .npages = n, .data_offset = 0 },
		};
		int64_t result;

		if (guest_request(g, &req) || guest_zero_or_errno(g, "OP_PAGE_SHARE", &req, &result))
			return -1;
		if (result)
			return guest_dead(g, "OP_PAGE_SHARE refused 0x%" PRIx64 ": %" PRId64, addr, result);
		for (uint64_t i = 0; i < n; i++) {
			uint8_t v = data[i];
			if (v > PAGE_SHARE_SHARED)
				return guest_dead(g, "OP_PAGE_SHARE gave the unknown state %u", v);
			state[i] = v == PAGE_SHARE_NONE ? SCEN_PAGE_NONE :
				   v == PAGE_SHARE_EXCLUSIVE ? SCEN_PAGE_EXCLUSIVE : SCEN_PAGE_SHARED;
		}
		state += n;
		npages -= n;
		addr += n * 4096;
	}
	return 0;
}

int guest_set_cpu(struct scen_backend *be, unsigned cpu)
{
	struct guest_backend *g = to_guest(be);

	g->cpu = cpu % vm_nr_cpus(g->vm);
	return 0;
}
