/*
 * The scenario backend that runs operations in the guest kernel, over the
 * request channel (shared/channel.h), on an address space of its own.
 * `expect mapped/unmapped` need no request: the host reads the guest's page
 * tables from guest memory (a consistent snapshot, vmm/inspect/).
 *
 * Everything the guest answers is checked before use: an errno result is
 * used as the errno, and any other answer that cannot be right (a value out
 * of range, a bad VMA list) ends the backend with a message saying what.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "shared/channel.h"
#include "shared/layout.h"
#include "shared/mm_abi.h"
#include "shared/pte.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/snapshot.h"
#include "vmm/inspect/vmas.h"
#include "vmm/script/backend_guest_int.h"
#include "vmm/script/script.h"
#include "vmm/vm.h"

/* The scenario engine keeps its own names; they must mean the ABI's values. */
_Static_assert(SCEN_PROT_READ == PROT_READ_ABI && SCEN_PROT_WRITE == PROT_WRITE_ABI &&
	       SCEN_PROT_EXEC == PROT_EXEC_ABI, "SCEN_PROT_* are PROT_*_ABI");
_Static_assert(SCEN_PROT_READ == VM_READ && SCEN_PROT_WRITE == VM_WRITE &&
	       SCEN_PROT_EXEC == VM_EXEC, "SCEN_PROT_* are the VM_* access bits");
_Static_assert(SCEN_FAULT_MAPERR == FAULT_MAPERR && SCEN_FAULT_ACCERR == FAULT_ACCERR,
	       "SCEN_FAULT_* are FAULT_*");

#define VMA_LIST_MAX       (CHANNEL_DATA_SIZE / sizeof(struct chan_vma))
/* A VMA listing holds at most what an mm may have (one mmap may take the
 * count one past the limit) and takes the rounds that many entries need
 * (every round but the last returns VMA_LIST_MAX). */
#define MAPS_MAX_ENTRIES   (MAX_MAP_COUNT + 1)
#define MAPS_MAX_ROUNDS    ((unsigned)(MAPS_MAX_ENTRIES / VMA_LIST_MAX + 2))

static const struct scen_backend_ops guest_ops;

int guest_dead(struct guest_backend *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->be.failure, sizeof(g->be.failure), fmt, ap);
	va_end(ap);
	return -1;
}

/* Post req (op and IN fields set) on the backend's mm: 0 when the guest
 * answered (its result is in range), or -1 with be->failure set. */
int guest_request(struct guest_backend *g, struct chan_slot *req)
{
	int r;

	req->mm = g->mm;
	r = vm_request_on(g->vm, g->cpu, req, 1);
	if (r == 0)
		return 0;
	const char *why = vm_failure(g->vm);
	return guest_dead(g, "%s", why ? why : strerror(-r));
}

/* The errno of a guest result known to be in [-CHAN_ERRNO_MAX, -1]. */
static int guest_errno(int64_t result)
{
	return (int)-result;
}

/* 0 or -errno expected: anything positive is a broken answer. */
int guest_zero_or_errno(struct guest_backend *g, const char *op, const struct chan_slot *req,
			 int64_t *result)
{
	if (req->result > 0)
		return guest_dead(g, "%s answered %" PRId64 ", expected 0 or -errno", op, req->result);
	*result = req->result;
	return 0;
}

int guest_address_or_errno(struct guest_backend *g, const char *op,
			   const struct chan_slot *req, int64_t *result)
{
	/* An address must be a page of the user half. */
	if (req->result >= 0 && ((req->result & 0xfff) || (uint64_t)req->result >= TASK_SIZE))
		return guest_dead(g, "%s answered 0x%" PRIx64 ", not a user page address", op,
				  (uint64_t)req->result);
	*result = req->result;
	return 0;
}

static int guest_mmap(struct scen_backend *be, uint64_t addr, uint64_t len,
		      unsigned prot, unsigned how, unsigned flags, int64_t *result)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req = {
		.op = OP_MMAP,
		.mmap = { .addr = addr, .len = len, .prot = prot,
			  .flags = guest_mmap_flags(flags) |
				   (how == SCEN_MMAP_FIXED ? MMAP_F_FIXED :
				    how == SCEN_MMAP_NOREPLACE ? MMAP_F_NOREPLACE : 0) },
	};

	if (guest_request(g, &req))
		return -1;
	return guest_address_or_errno(g, "OP_MMAP", &req, result);
}

static int guest_munmap(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req = { .op = OP_MUNMAP, .munmap = { .addr = addr, .len = len } };

	if (guest_request(g, &req))
		return -1;
	return guest_zero_or_errno(g, "OP_MUNMAP", &req, result);
}

static int guest_mprotect(struct scen_backend *be, uint64_t addr, uint64_t len,
			  unsigned prot, int64_t *result)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req = {
		.op = OP_MPROTECT,
		.mprotect = { .addr = addr, .len = len, .prot = prot },
	};

	if (guest_request(g, &req))
		return -1;
	return guest_zero_or_errno(g, "OP_MPROTECT", &req, result);
}

/* The request of an access: OP_TOUCH, OP_FILL or OP_CHECK. */
static void access_request(enum scen_access_op op, uint64_t addr, uint64_t len, uint8_t byte,
			   struct chan_slot *req)
{
	memset(req, 0, sizeof(*req));
	switch (op) {
	case SCEN_ACCESS_READ:
	case SCEN_ACCESS_WRITE:
		req->op = OP_TOUCH;
		req->touch = (struct chan_touch){ .addr = addr, .len = len,
			.mode = op == SCEN_ACCESS_WRITE ? TOUCH_WRITE : TOUCH_READ };
		break;
	case SCEN_ACCESS_FILL:
		req->op = OP_FILL;
		req->fill = (struct chan_fill){ .addr = addr, .len = len, .byte = byte };
		break;
	default:
		req->op = OP_CHECK;
		req->check = (struct chan_check){ .addr = addr, .len = len, .byte = byte };
		break;
	}
}

static int guest_access(struct scen_backend *be, enum scen_access_op op, uint64_t addr,
			uint64_t len, uint8_t byte, struct scen_access_result *res)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req;
	struct chan_access a;

	access_request(op, addr, len, byte, &req);
	if (guest_request(g, &req))
		return -1;
	/* touch, fill and check share the layout of their OUT part. */
	a = req.op == OP_TOUCH ? req.touch.access : req.op == OP_FILL ? req.fill.access
								       : req.check.access;
	memset(res, 0, sizeof(*res));
	if (req.result < 0) {
		res->status = SCEN_ACC_ERROR;
		res->detail = (unsigned)guest_errno(req.result);
	} else if (req.result == ACCESS_FAULT) {
		if (a.fault != FAULT_MAPERR && a.fault != FAULT_ACCERR && a.fault != FAULT_SIGBUS)
			return guest_dead(g, "the guest reported a fault of the unknown kind %u", a.fault);
		res->status = SCEN_ACC_FAULT;
		res->addr = a.addr;
		res->detail = a.fault;
	} else if (req.result == ACCESS_MISMATCH) {
		if (a.found > 0xff)
			return guest_dead(g, "the guest reported a mismatch with the byte %u", a.found);
		res->status = SCEN_ACC_MISMATCH;
		res->addr = a.addr;
		res->detail = a.found;
	} else if (req.result == ACCESS_OK) {
		res->status = SCEN_ACC_OK;
	} else {
		return guest_dead(g, "the guest answered an access with the unknown result %" PRId64,
			    req.result);
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

struct map_list {
	struct scen_map *v;
	size_t n, cap;
};

/* Append e (a VMA ending above every listed one) to l: 0, or -1 with the
 * reason in g's failure. */
static int map_append(struct guest_backend *g, struct map_list *l, const struct chan_vma *e)
{
	if (l->n && e->start < l->v[l->n - 1].end)
		return guest_dead(g, "OP_VMA_LIST gave 0x%" PRIx64 "-0x%" PRIx64 " overlapping the VMA "
			    "before it", e->start, e->end);
	if (l->n == MAPS_MAX_ENTRIES)
		return guest_dead(g, "OP_VMA_LIST gave more than %u VMAs", MAPS_MAX_ENTRIES);
	if (l->n == l->cap) {
		size_t ncap = l->cap ? 2 * l->cap : 32;
		struct scen_map *nv = realloc(l->v, ncap * sizeof(*nv));

		if (!nv)
			return guest_dead(g, "out of memory");
		l->v = nv;
		l->cap = ncap;
	}
	l->v[l->n++] = (struct scen_map){ .start = e->start, .end = e->end,
					  .prot = vma_prot(e->flags),
					  .shared = (e->flags & VM_SHARED_BIT) != 0 };
	return 0;
}

/* One OP_VMA_LIST round from *from: appends what lies below hi, advances
 * *from.  1 if the listing goes on, 0 if it is complete, -1 if dead. */
static int maps_round(struct guest_backend *g, struct map_list *l, uint64_t *from, uint64_t hi)
{
	const struct chan_vma *vmas = vm_channel_data_on(g->vm, g->cpu);
	struct chan_slot req = {
		.op = OP_VMA_LIST,
		.vma_list = { .from = *from, .data_offset = 0, .max = VMA_LIST_MAX },
	};

	if (guest_request(g, &req))
		return -1;
	if (req.result < 0 || (uint64_t)req.result > VMA_LIST_MAX)
		return guest_dead(g, "OP_VMA_LIST answered %" PRId64, req.result);
	for (int64_t i = 0; i < req.result; i++) {
		struct chan_vma e;

		memcpy(&e, &vmas[i], sizeof(e));
		if (e.end <= *from || e.start >= e.end)
			return guest_dead(g, "OP_VMA_LIST from 0x%" PRIx64 " gave the bad VMA 0x%" PRIx64
				    "-0x%" PRIx64, *from, e.start, e.end);
		if (e.start >= hi)
			return 0;
		if (map_append(g, l, &e))
			return -1;
		*from = e.end;
	}
	return (uint64_t)req.result == VMA_LIST_MAX && *from < hi;
}

static int guest_maps(struct scen_backend *be, uint64_t lo, uint64_t hi,
		      struct scen_map **maps, size_t *n)
{
	struct guest_backend *g = to_guest(be);
	struct map_list l = { 0 };
	uint64_t from = lo;
	unsigned rounds = 0;
	int more;

	*maps = NULL;
	*n = 0;
	do {
		if (++rounds > MAPS_MAX_ROUNDS) {
			more = guest_dead(g, "OP_VMA_LIST took more than %u rounds", MAPS_MAX_ROUNDS);
			break;
		}
		more = maps_round(g, &l, &from, hi);
	} while (more > 0);
	if (more < 0) {
		free(l.v);
		return -1;
	}
	*maps = l.v;
	*n = l.n;
	return 0;
}

static int guest_vma_count(struct scen_backend *be, uint64_t *count)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req = { .op = OP_STATS };

	if (guest_request(g, &req))
		return -1;
	if (req.result != 0)
		return guest_dead(g, "OP_STATS answered %" PRId64, req.result);
	*count = req.stats.map_count;
	return 0;
}

/* ---- expect mapped / unmapped: the host reads the page tables ---- */

struct pte_scan {
	uint32_t mm;
	uint64_t first, end;      /* pages [first, end) */
	bool *present;
	char err[160];
};

static int scan_leaf(void *ctx, const struct ptw_leaf *l)
{
	struct pte_scan *p = ctx;
	uint64_t lo = l->va > p->first ? l->va : p->first;
	uint64_t hi = l->va + l->size < p->end ? l->va + l->size : p->end;

	/* Present, or PROT_NONE holding its frame (the visitor's protnone):
	 * mapped, as Linux's pte_present() says. */
	for (uint64_t a = lo; a < hi; a += PAGE_SIZE_4K)
		p->present[(a - p->first) / PAGE_SIZE_4K] = true;
	return 0;
}

static int scan_error(void *ctx, const struct ptw_error *e)
{
	struct pte_scan *p = ctx;

	snprintf(p->err, sizeof(p->err), "the guest's page tables are bad at 0x%" PRIx64 ": %s",
		 e->va, e->msg);
	return -EPROTO;
}

/* One read of the mm's page tables (snapshot_run repeats it until the guest
 * did not change them meanwhile). */
static int scan_once(const struct gmem *gm, void *ctx)
{
	struct pte_scan *p = ctx;
	struct ptw_visitor v = { .leaf = scan_leaf, .error = scan_error, .ctx = p,
				 .protnone = true };
	struct mm_table t;
	const struct mm_desc *d;
	int r;

	memset(p->present, 0, (p->end - p->first) / PAGE_SIZE_4K * sizeof(bool));
	p->err[0] = 0;
	if ((r = mmtab_read(gm, &t, p->err, sizeof(p->err))) != 0)
		return r;
	if (!(d = mmtab_find(&t, p->mm))) {
		snprintf(p->err, sizeof(p->err), "mm %u is not in the guest's mm table", p->mm);
		return -ESRCH;
	}
	/* Only the user half belongs to the mm: nothing above it is mapped. */
	if (p->first > USER_HALF_LAST)
		return 0;
	return ptwalk(gm, d->pml4, p->first, p->end - 1 < USER_HALF_LAST ? p->end - 1 : USER_HALF_LAST,
		      &v);
}

static int guest_pte_present(struct scen_backend *be, uint64_t addr, uint64_t npages,
			     bool *present)
{
	struct guest_backend *g = to_guest(be);
	struct gmem gm = vm_gmem(g->vm);
	struct pte_scan p = { .mm = g->mm, .first = addr, .present = present };
	int r;

	if (npages == 0)
		return 0;
	if (npages > (UINT64_MAX - addr) / PAGE_SIZE_4K)
		return guest_dead(g, "expect mapped: 0x%" PRIx64 " + %" PRIu64 " pages wraps", addr, npages);
	p.end = addr + npages * PAGE_SIZE_4K;
	r = snapshot_run(&gm, 0, scan_once, &p, NULL);
	if (r == -EBUSY)
		return guest_dead(g, "busy: the guest kept changing its page tables");
	if (r)
		return guest_dead(g, "%s", p.err[0] ? p.err : strerror(-r));
	return 0;
}

static void guest_destroy(struct scen_backend *be)
{
	struct guest_backend *g = to_guest(be);
	struct chan_slot req = { .op = OP_MM_DESTROY };

	/* Best effort: a dead guest has nothing to free. */
	if (!vm_failure(g->vm)) {
		guest_exit_others(g);
		guest_request(g, &req);
	}
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
	.mremap = guest_mremap,
	.madvise = guest_madvise,
	.mlock = guest_mlock,
	.munlock = guest_munlock,
	.fork = guest_fork,
	.select = guest_select,
	.exit = guest_exit,
	.page_share = guest_page_share,
	.set_cpu = guest_set_cpu,
};

struct scen_backend *backend_guest_new(struct vm *vm)
{
	struct guest_backend *g = calloc(1, sizeof(*g));
	struct chan_slot req = { .op = OP_MM_CREATE };

	if (!g) {
		fprintf(stderr, "vmm: out of memory\n");
		return NULL;
	}
	g->be.ops = &guest_ops;
	g->vm = vm;
	g->mm = 0;
	if (guest_request(g, &req)) {
		fprintf(stderr, "vmm: creating the scenario's address space: %s\n", g->be.failure);
		free(g);
		return NULL;
	}
	if (req.result != 0 || req.mm_create.id == 0) {
		const char *name = req.result < 0 ? scen_errno_name(guest_errno(req.result)) : NULL;

		fprintf(stderr, "vmm: the guest refused to create an address space: %s\n",
			name ? name : "bad answer");
		free(g);
		return NULL;
	}
	g->mm = g->procs[0] = req.mm_create.id;
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
