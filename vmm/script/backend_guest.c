/*
 * The scenario backend that runs operations in the guest kernel, over the
 * request channel (shared/channel.h), on an address space of its own.
 */
#include <stdlib.h>
#include <string.h>

#include "shared/channel.h"
#include "shared/mm_abi.h"
#include "shared/pte.h"
#include "vmm/script/script.h"
#include "vmm/vm.h"


#define VMA_LIST_MAX       (CHANNEL_DATA_SIZE / sizeof(struct chan_vma))

struct guest_backend {
	struct scen_backend be;           /* first: backends are cast to it */
	struct vm *vm;
	uint32_t mm;
};

static const struct scen_backend_ops guest_ops;

static struct guest_backend *to_guest(struct scen_backend *be)
{
	return (struct guest_backend *)be;
}

/* Post one request; 0, or -1 with be->failure set if the guest died. */
static int guest_request(struct guest_backend *g, struct chan_slot *req)
{
	const char *why;

	req->mm = g->mm;
	if (vm_submit(g->vm, req, 1) == 0)
		return 0;
	why = vm_failure(g->vm);
	snprintf(g->be.failure, sizeof(g->be.failure), "%s",
		 why ? why : "the guest stopped answering");
	return -1;
}

static int guest_call(struct guest_backend *g, uint16_t op, uint64_t a0, uint64_t a1,
		      uint64_t a2, uint64_t a3, struct chan_slot *req)
{
	memset(req, 0, sizeof(*req));
	req->op = op;
	req->arg[0] = a0;
	req->arg[1] = a1;
	req->arg[2] = a2;
	req->arg[3] = a3;
	return guest_request(g, req);
}

static int guest_mmap(struct scen_backend *be, uint64_t addr, uint64_t len,
		      unsigned prot, unsigned how, int64_t *result)
{
	struct chan_slot req;
	uint64_t flags = how == SCEN_MMAP_FIXED ? MMAP_F_FIXED :
			 how == SCEN_MMAP_NOREPLACE ? MMAP_F_NOREPLACE : 0;

	if (guest_call(to_guest(be), OP_MMAP, addr, len, prot, flags, &req))
		return -1;
	*result = req.result;
	return 0;
}

static int guest_munmap(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result)
{
	struct chan_slot req;

	if (guest_call(to_guest(be), OP_MUNMAP, addr, len, 0, 0, &req))
		return -1;
	*result = req.result;
	return 0;
}

static int guest_mprotect(struct scen_backend *be, uint64_t addr, uint64_t len,
			  unsigned prot, int64_t *result)
{
	struct chan_slot req;

	if (guest_call(to_guest(be), OP_MPROTECT, addr, len, prot, 0, &req))
		return -1;
	*result = req.result;
	return 0;
}

static int guest_access(struct scen_backend *be, enum scen_access_op op, uint64_t addr,
			uint64_t len, uint8_t byte, struct scen_access_result *res)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req;
	int r;

	switch (op) {
	case SCEN_ACCESS_READ:
	case SCEN_ACCESS_WRITE:
		r = guest_call(g, OP_TOUCH, addr, len,
			       op == SCEN_ACCESS_WRITE ? TOUCH_WRITE : TOUCH_READ, 0, &req);
		break;
	case SCEN_ACCESS_FILL:
		r = guest_call(g, OP_FILL, addr, len, byte, 0, &req);
		break;
	default:
		r = guest_call(g, OP_CHECK, addr, len, byte, 0, &req);
		break;
	}
	if (r)
		return -1;
	memset(res, 0, sizeof(*res));
	if (req.result < 0) {
		res->status = SCEN_ACC_ERROR;
		res->detail = (unsigned)-req.result;
	} else if (req.result == ACCESS_FAULT) {
		res->status = SCEN_ACC_FAULT;
		res->addr = req.out[0];
		res->detail = req.out[1] == FAULT_ACCERR ? SCEN_FAULT_ACCERR : SCEN_FAULT_MAPERR;
	} else if (req.result == ACCESS_MISMATCH) {
		res->status = SCEN_ACC_MISMATCH;
		res->addr = req.out[0];
		res->detail = (unsigned)(req.out[1] & 0xff);
	} else if (req.result == ACCESS_OK) {
		res->status = SCEN_ACC_OK;
	} else {
		snprintf(be->failure, sizeof(be->failure),
			 "the guest answered an access with the unknown result %lld",
			 (long long)req.result);
		return -1;
	}
	return 0;
}

static unsigned vma_prot(uint32_t flags)
{
	return (flags & VM_READ ? SCEN_PROT_READ : 0) |
	       (flags & VM_WRITE ? SCEN_PROT_WRITE : 0) |
	       (flags & VM_EXEC ? SCEN_PROT_EXEC : 0);
}

/* VM_SHARED is Linux's 0x8 (not in shared/mm_abi.h: every VMA here is private). */
#define VM_SHARED_BIT 0x8u

static int guest_maps(struct scen_backend *be, uint64_t lo, uint64_t hi,
		      struct scen_map **maps, size_t *n)
{
	struct guest_backend *g = to_guest(be);
	const struct chan_vma *vmas = vm_channel_data(g->vm);
	struct scen_map *v = NULL;
	size_t cnt = 0, cap = 0;
	uint64_t from = lo;
	struct chan_slot req;

	*maps = NULL;
	*n = 0;
	for (;;) {
		int64_t got;
		bool more = true;

		if (guest_call(g, OP_VMA_LIST, from, 0, VMA_LIST_MAX, 0, &req))
			goto dead;
		got = req.result;
		if (got < 0 || (uint64_t)got > VMA_LIST_MAX) {
			snprintf(be->failure, sizeof(be->failure),
				 "OP_VMA_LIST answered %lld", (long long)got);
			goto dead;
		}
		if (got == 0)
			break;
		for (int64_t i = 0; i < got; i++) {
			struct chan_vma e;

			memcpy(&e, &vmas[i], sizeof(e));
			if (e.end <= from || e.start >= e.end) {
				snprintf(be->failure, sizeof(be->failure),
					 "OP_VMA_LIST from 0x%llx gave the bad VMA 0x%llx-0x%llx",
					 (unsigned long long)from, (unsigned long long)e.start,
					 (unsigned long long)e.end);
				goto dead;
			}
			if (e.start >= hi) {
				more = false;
				break;
			}
			if (cnt == cap) {
				size_t ncap = cap ? 2 * cap : 32;
				struct scen_map *nv = realloc(v, ncap * sizeof(*nv));

				if (!nv) {
					snprintf(be->failure, sizeof(be->failure), "out of memory");
					goto dead;
				}
				v = nv;
				cap = ncap;
			}
			v[cnt].start = e.start;
			v[cnt].end = e.end;
			v[cnt].prot = vma_prot(e.flags);
			v[cnt].shared = (e.flags & VM_SHARED_BIT) != 0;
			cnt++;
			from = e.end;
		}
		if (!more || (uint64_t)got < VMA_LIST_MAX || from >= hi)
			break;
	}
	*maps = v;
	*n = cnt;
	return 0;
dead:
	free(v);
	return -1;
}

static int guest_vma_count(struct scen_backend *be, uint64_t *count)
{
	struct chan_slot req;

	if (guest_call(to_guest(be), OP_STATS, 0, 0, 0, 0, &req))
		return -1;
	if (req.result < 0) {
		snprintf(be->failure, sizeof(be->failure), "OP_STATS failed: %lld",
			 (long long)req.result);
		return -1;
	}
	*count = req.out[0];
	return 0;
}

static int guest_pte_present(struct scen_backend *be, uint64_t addr, uint64_t npages,
			     bool *present)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot reqs[CHANNEL_SLOTS];

	for (uint64_t done = 0; done < npages;) {
		unsigned n = npages - done < CHANNEL_SLOTS ? (unsigned)(npages - done) : CHANNEL_SLOTS;

		memset(reqs, 0, n * sizeof(reqs[0]));
		for (unsigned i = 0; i < n; i++) {
			reqs[i].op = OP_PTE;
			reqs[i].mm = g->mm;
			reqs[i].arg[0] = addr + (done + i) * 0x1000ULL;
		}
		if (vm_submit(g->vm, reqs, n)) {
			const char *why = vm_failure(g->vm);

			snprintf(be->failure, sizeof(be->failure), "%s",
				 why ? why : "the guest stopped answering");
			return -1;
		}
		for (unsigned i = 0; i < n; i++)
			present[done + i] = reqs[i].result == 0 &&
					    (reqs[i].out[0] & (PTE_P | PTE_PROTNONE));
		done += n;
	}
	return 0;
}

static void guest_destroy(struct scen_backend *be)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req;

	/* Best effort: a dead guest has nothing to free. */
	if (!vm_failure(g->vm))
		guest_call(g, OP_MM_DESTROY, 0, 0, 0, 0, &req);
	free(g);
}

static const struct scen_backend_ops guest_ops = {
	.name = "guest",
	.mmap = guest_mmap,
	.munmap = guest_munmap,
	.mprotect = guest_mprotect,
	.access = guest_access,
	.maps = guest_maps,
	.vma_count = guest_vma_count,
	.pte_present = guest_pte_present,
	.destroy = guest_destroy,
};

struct scen_backend *backend_guest_new(struct vm *vm)
{
	struct guest_backend *g = calloc(1, sizeof(*g));
	struct chan_slot req;

	if (!g) {
		fprintf(stderr, "vmm: out of memory\n");
		return NULL;
	}
	g->be.ops = &guest_ops;
	g->vm = vm;
	g->mm = 0;
	if (guest_call(g, OP_MM_CREATE, 0, 0, 0, 0, &req)) {
		fprintf(stderr, "vmm: creating the scenario's address space: %s\n", g->be.failure);
		free(g);
		return NULL;
	}
	if (req.result <= 0) {
		const char *name = req.result < 0 ? scen_errno_name((int)-req.result) : NULL;

		fprintf(stderr, "vmm: the guest refused to create an address space: %s\n",
			name ? name : "bad answer");
		free(g);
		return NULL;
	}
	g->mm = (uint32_t)req.result;
	return &g->be;
}

uint32_t backend_guest_mm(struct scen_backend *be)
{
	return be && be->ops == &guest_ops ? to_guest(be)->mm : 0;
}

void backend_guest_set_mm(struct scen_backend *be, uint32_t mm)
{
	if (be && be->ops == &guest_ops)
		to_guest(be)->mm = mm;
}
