/*
 * The scenario backend on the host-compiled guest mm (scen_mm.h).  User
 * accesses are made as the CPU would: the PTE is consulted, and a fault
 * goes through handle_mm_fault until the access is allowed; the bytes live
 * in fake RAM.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "tests/unit/fake_arch.h"
#include "tests/unit/scen_mm.h"

#define MAX_HANDLES 256

struct mm_backend {
	struct scen_backend be;
	uint32_t ids[MAX_HANDLES];     /* handle -> mm id, 0 when gone */
	unsigned nhandles;
	unsigned cur;
};

static struct mm_backend *to_mb(struct scen_backend *be)
{
	return (struct mm_backend *)be;
}

static struct mm_struct *cur_mm(struct scen_backend *be)
{
	struct mm_backend *m = to_mb(be);
	struct mm_struct *mm = mm_lookup(m->ids[m->cur]);

	cr_assert_not_null(mm, "no current process");
	switch_mm(mm);
	return mm;
}

static int done(int64_t *result, int64_t r)
{
	*result = r;
	check_all();
	return 0;
}

static int b_mmap(struct scen_backend *be, uint64_t addr, uint64_t len, unsigned prot,
		  unsigned how, unsigned flags, int64_t *result)
{
	uint32_t f = (how == SCEN_MMAP_FIXED ? MM_MAP_FIXED : 0) |
		     (how == SCEN_MMAP_NOREPLACE ? MM_MAP_NOREPLACE : 0) |
		     (flags & SCEN_MAP_SHARED ? MM_MAP_SHARED : 0) |
		     (flags & SCEN_MAP_NORESERVE ? MM_MAP_NORESERVE : 0) |
		     (flags & SCEN_MAP_POPULATE ? MM_MAP_POPULATE : 0) |
		     (flags & SCEN_MAP_LOCKED ? MM_MAP_LOCKED : 0) |
		     (flags & SCEN_MAP_GROWSDOWN ? MM_MAP_GROWSDOWN : 0);

	return done(result, do_mmap(cur_mm(be), addr, len, prot, f));
}

static int b_munmap(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result)
{
	return done(result, do_munmap(cur_mm(be), addr, len));
}

static int b_mprotect(struct scen_backend *be, uint64_t addr, uint64_t len, unsigned prot,
		      int64_t *result)
{
	return done(result, do_mprotect(cur_mm(be), addr, len, prot));
}

static int b_mremap(struct scen_backend *be, uint64_t addr, uint64_t old_len, uint64_t new_len,
		    unsigned flags, uint64_t new_addr, int64_t *result)
{
	uint32_t f = (flags & SCEN_MREMAP_MAYMOVE ? MM_MREMAP_MAYMOVE : 0) |
		     (flags & SCEN_MREMAP_FIXED ? MM_MREMAP_FIXED : 0) |
		     (flags & SCEN_MREMAP_DONTUNMAP ? MM_MREMAP_DONTUNMAP : 0);

	return done(result, do_mremap(cur_mm(be), addr, old_len, new_len, f, new_addr));
}

static int b_madvise(struct scen_backend *be, uint64_t addr, uint64_t len,
		     enum scen_advice advice, int64_t *result)
{
	static const int adv[SCEN_ADV_COUNT] = {
		[SCEN_ADV_NORMAL] = MM_MADV_NORMAL, [SCEN_ADV_RANDOM] = MM_MADV_RANDOM,
		[SCEN_ADV_SEQUENTIAL] = MM_MADV_SEQUENTIAL, [SCEN_ADV_DONTNEED] = MM_MADV_DONTNEED,
		[SCEN_ADV_DONTFORK] = MM_MADV_DONTFORK, [SCEN_ADV_DOFORK] = MM_MADV_DOFORK,
		[SCEN_ADV_WIPEONFORK] = MM_MADV_WIPEONFORK,
		[SCEN_ADV_KEEPONFORK] = MM_MADV_KEEPONFORK,
		[SCEN_ADV_POPULATE_READ] = MM_MADV_POPULATE_READ,
		[SCEN_ADV_POPULATE_WRITE] = MM_MADV_POPULATE_WRITE,
	};

	return done(result, do_madvise(cur_mm(be), addr, len, adv[advice]));
}

static int b_mlock(struct scen_backend *be, uint64_t addr, uint64_t len, bool onfault,
		   int64_t *result)
{
	return done(result, do_mlock(cur_mm(be), addr, len, onfault ? MM_MLOCK_ONFAULT : 0));
}

static int b_munlock(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result)
{
	return done(result, do_munlock(cur_mm(be), addr, len));
}

/* Make the page at va accessible for a read or write as the CPU would:
 * 0 with its bytes in *data, or SCEN_FAULT_*. */
static unsigned user_page(struct mm_struct *mm, uint64_t va, bool write, uint8_t **data)
{
	for (int tries = 0; tries < 4; tries++) {
		uint64_t pte = pte_of(mm, va & PAGE_MASK);
		uint32_t ec = PF_USER | (write ? PF_WRITE : 0);
		int r;

		if ((pte & PTE_P) && (!write || (pte & PTE_W))) {
			*data = fake_ram + (pte & PTE_ADDR);
			return 0;
		}
		if (pte & PTE_P)
			ec |= PF_PROT;
		r = handle_mm_fault(mm, va, ec);
		if (r == MM_FAULT_MAPERR)
			return SCEN_FAULT_MAPERR;
		if (r == MM_FAULT_ACCERR)
			return SCEN_FAULT_ACCERR;
		if (r == MM_FAULT_SIGBUS)
			return SCEN_FAULT_SIGBUS;
		cr_assert_eq(r, MM_FAULT_RESOLVED, "handle_mm_fault: %d", r);
	}
	cr_assert_fail("access at %lx: the fault never resolved", (unsigned long)va);
	return SCEN_FAULT_MAPERR;
}

static int b_access(struct scen_backend *be, enum scen_access_op op, uint64_t addr, uint64_t len,
		    uint8_t byte, struct scen_access_result *res)
{
	struct mm_struct *mm = cur_mm(be);
	bool write = op == SCEN_ACCESS_WRITE || op == SCEN_ACCESS_FILL;
	uint64_t va = addr, end = addr + len;

	res->status = SCEN_ACC_OK;
	while (va < end) {
		uint64_t page_end = (va & PAGE_MASK) + PAGE_SIZE, stop = page_end < end ? page_end : end;
		uint8_t *d;
		unsigned f = user_page(mm, va, write, &d);

		if (f) {
			*res = (struct scen_access_result){ SCEN_ACC_FAULT, va & PAGE_MASK, f };
			break;
		}
		if (op == SCEN_ACCESS_FILL)
			memset(d + (va & ~PAGE_MASK), byte, stop - va);
		if (op == SCEN_ACCESS_CHECK)
			for (uint64_t a = va; a < stop; a++)
				if (d[a & ~PAGE_MASK] != byte) {
					*res = (struct scen_access_result){ SCEN_ACC_MISMATCH, a,
									    d[a & ~PAGE_MASK] };
					check_all();
					return 0;
				}
		va = op == SCEN_ACCESS_READ || op == SCEN_ACCESS_WRITE ? page_end : stop;
	}
	check_all();
	return 0;
}

static int b_maps(struct scen_backend *be, uint64_t lo, uint64_t hi, struct scen_map **maps,
		  size_t *n)
{
	struct mm_struct *mm = cur_mm(be);
	size_t cap = 0;

	*maps = NULL;
	*n = 0;
	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next) {
		if (v->vm_end <= lo || v->vm_start >= hi)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*maps = realloc(*maps, cap * sizeof(**maps));
			cr_assert_not_null(*maps);
		}
		(*maps)[(*n)++] = (struct scen_map){ .start = v->vm_start, .end = v->vm_end,
			.prot = (unsigned)(v->vm_flags & VM_ACCESS_FLAGS),
			.shared = (v->vm_flags & VM_SHARED) != 0 };
	}
	return 0;
}

static int b_vma_count(struct scen_backend *be, uint64_t *count)
{
	*count = mm_map_count(cur_mm(be));
	return 0;
}

static int b_pte_present(struct scen_backend *be, uint64_t addr, uint64_t npages, bool *present)
{
	struct mm_struct *mm = cur_mm(be);

	for (uint64_t i = 0; i < npages; i++)
		present[i] = (pte_of(mm, addr + i * PAGE_SIZE) & (PTE_P | PTE_PROTNONE)) != 0;
	return 0;
}

static int b_page_share(struct scen_backend *be, uint64_t addr, uint64_t npages, uint8_t *state)
{
	struct mm_struct *mm = cur_mm(be);

	for (uint64_t i = 0; i < npages; i++) {
		uint64_t e = pte_of(mm, addr + i * PAGE_SIZE), pa = e & PTE_ADDR;
		if (!(e & (PTE_P | PTE_PROTNONE)))
			state[i] = SCEN_PAGE_NONE;
		else if (pa == mm_g.zero_pa || frame_mapcount(pa) > 1)
			state[i] = SCEN_PAGE_SHARED;
		else
			state[i] = SCEN_PAGE_EXCLUSIVE;
	}
	return 0;
}

static int b_fork(struct scen_backend *be, unsigned *child, int64_t *result)
{
	struct mm_backend *m = to_mb(be);
	int id;

	cur_mm(be);
	if (m->nhandles == MAX_HANDLES)
		return done(result, -EAGAIN);
	id = mm_fork(m->ids[m->cur]);
	if (id < 0)
		return done(result, id);
	m->ids[m->nhandles] = (uint32_t)id;
	*child = m->nhandles++;
	return done(result, 0);
}

static int b_select(struct scen_backend *be, unsigned handle)
{
	struct mm_backend *m = to_mb(be);

	cr_assert(handle < m->nhandles && m->ids[handle], "select of a dead handle %u", handle);
	m->cur = handle;
	return 0;
}

static int b_exit(struct scen_backend *be, unsigned handle)
{
	struct mm_backend *m = to_mb(be);

	cr_assert(handle > 0 && handle < m->nhandles && m->ids[handle]);
	cr_assert_eq(mm_destroy(m->ids[handle]), 0);
	m->ids[handle] = 0;
	check_all();
	return 0;
}

static void b_destroy(struct scen_backend *be)
{
	struct mm_backend *m = to_mb(be);

	for (unsigned h = 0; h < m->nhandles; h++)
		if (m->ids[h])
			cr_assert_eq(mm_destroy(m->ids[h]), 0);
	check_all();
	free(m);
}

static const struct scen_backend_ops mm_ops = {
	.name = "mm_host",
	.mmap = b_mmap, .munmap = b_munmap, .mprotect = b_mprotect, .access = b_access,
	.maps = b_maps, .vma_count = b_vma_count, .pte_present = b_pte_present,
	.destroy = b_destroy, .mremap = b_mremap, .madvise = b_madvise, .mlock = b_mlock,
	.munlock = b_munlock, .fork = b_fork, .select = b_select, .exit = b_exit,
	.page_share = b_page_share,
};

struct scen_backend *scen_mm_new(void)
{
	struct mm_backend *m = calloc(1, sizeof(*m));
	struct mm_struct *mm;

	cr_assert_not_null(m);
	m->be.ops = &mm_ops;
	mm = new_mm();
	m->ids[0] = mm->id;
	m->nhandles = 1;
	return &m->be;
}
