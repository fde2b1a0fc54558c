/*
 * The request decoder: the one place that reads the channel's typed
 * requests (shared/channel.h), turns each into a memory-manager call and
 * writes its OUT fields, converting between the ABI's values and the mm's
 * own.  Every field is the host's word: ids, addresses and lengths are
 * checked by the functions they go to, and a bad request gets an error,
 * never a panic.
 */
#include <stdint.h>

#include "guest/arch/x86_64/usermode.h"
#include "guest/kernel/channel.h"
#include "guest/kernel/trace.h"
#include "guest/mm/errno.h"
#include "guest/mm/locks.h"
#include "guest/mm/mm.h"
#include "guest/mm/mm_trace.h"
#include "shared/layout.h"

/* Values that pass between the ABI and the mm (or the ring-3 runner) as
 * they are: two names, one value. */
_Static_assert(MM_PROT_NONE == PROT_NONE_ABI && MM_PROT_READ == PROT_READ_ABI &&
	       MM_PROT_WRITE == PROT_WRITE_ABI && MM_PROT_EXEC == PROT_EXEC_ABI, "PROT_*");
_Static_assert(MM_MAP_FIXED == MMAP_F_FIXED && MM_MAP_NOREPLACE == MMAP_F_NOREPLACE &&
	       MM_MAP_NORESERVE == MMAP_F_NORESERVE && MM_MAP_POPULATE == MMAP_F_POPULATE &&
	       MM_MAP_LOCKED == MMAP_F_LOCKED && MM_MAP_GROWSDOWN == MMAP_F_GROWSDOWN, "MMAP_F_*");
_Static_assert(MM_MREMAP_MAYMOVE == MREMAP_F_MAYMOVE && MM_MREMAP_FIXED == MREMAP_F_FIXED &&
	       MM_MREMAP_DONTUNMAP == MREMAP_F_DONTUNMAP, "MREMAP_F_*");
_Static_assert(MM_MADV_NORMAL == MADV_NORMAL_ABI && MM_MADV_RANDOM == MADV_RANDOM_ABI &&
	       MM_MADV_SEQUENTIAL == MADV_SEQUENTIAL_ABI && MM_MADV_WILLNEED == MADV_WILLNEED_ABI &&
	       MM_MADV_DONTNEED == MADV_DONTNEED_ABI && MM_MADV_DONTFORK == MADV_DONTFORK_ABI &&
	       MM_MADV_DOFORK == MADV_DOFORK_ABI && MM_MADV_WIPEONFORK == MADV_WIPEONFORK_ABI &&
	       MM_MADV_KEEPONFORK == MADV_KEEPONFORK_ABI &&
	       MM_MADV_POPULATE_READ == MADV_POPULATE_READ_ABI &&
	       MM_MADV_POPULATE_WRITE == MADV_POPULATE_WRITE_ABI, "MADV_*");
_Static_assert(MM_MLOCK_ONFAULT == MLOCK_F_ONFAULT, "MLOCK_F_*");
_Static_assert(MM_FAULT_MAPERR == FAULT_MAPERR && MM_FAULT_ACCERR == FAULT_ACCERR &&
	       MM_FAULT_SIGBUS == FAULT_SIGBUS, "FAULT_*");
_Static_assert(MM_MAP_SHARED == MMAP_F_SHARED, "MMAP_F_SHARED");
_Static_assert(MM_PAGE_NONE == PAGE_SHARE_NONE && MM_PAGE_EXCLUSIVE == PAGE_SHARE_EXCLUSIVE &&
	       MM_PAGE_SHARED == PAGE_SHARE_SHARED, "PAGE_SHARE_*");
_Static_assert(USER_ACCESS_OK == ACCESS_OK && USER_ACCESS_FAULT == ACCESS_FAULT &&
	       USER_ACCESS_MISMATCH == ACCESS_MISMATCH, "ACCESS_*");
_Static_assert(MM_INJECT_STRAY_PTE == INJECT_STRAY_PTE &&
	       MM_INJECT_WRITABLE_ZERO == INJECT_WRITABLE_ZERO &&
	       MM_INJECT_REFCOUNT == INJECT_REFCOUNT &&
	       MM_INJECT_TLB_SKIP_IPI == INJECT_TLB_SKIP_IPI &&
	       MM_INJECT_TLB_ACK_EARLY == INJECT_TLB_ACK_EARLY &&
	       MM_INJECT_TLB_FREE_EARLY == INJECT_TLB_FREE_EARLY &&
	       MM_INJECT_TLB_SKIP_LAZY == INJECT_TLB_SKIP_LAZY &&
	       MM_INJECT_TLB_SHORT_RANGE == INJECT_TLB_SHORT_RANGE &&
	       MM_INJECT_HOLD_MMAP_LOCK == INJECT_HOLD_MMAP_LOCK &&
	       MM_INJECT_RELEASE_HOLD == INJECT_RELEASE_HOLD, "INJECT_*");

static int64_t req_mmap(struct chan_slot *s, struct mm_struct *mm)
{
	return do_mmap(mm, s->mmap.addr, s->mmap.len, s->mmap.prot, s->mmap.flags);
}

/* fork: the child is a new mm (published by mm_fork) inside this request's bracket;
 * the parent's mmap_lock is held for writing (the request's), the child's by mm_fork. */
static __attribute__((noinline)) int64_t req_mm_fork(struct chan_slot *s, struct mm_struct *mm)
{
	int id = mm_fork(mm_id(mm));

	s->mm_fork.id = id > 0 ? (uint32_t)id : 0;
	s->mm_fork.pad = 0;
	return id > 0 ? 0 : id;
}

static int64_t req_mremap(struct chan_slot *s, struct mm_struct *mm)
{
	struct chan_mremap *r = &s->mremap;

	return do_mremap(mm, r->addr, r->old_len, r->new_len, r->flags, r->new_addr);
}

static int64_t req_madvise(struct chan_slot *s, struct mm_struct *mm)
{
	uint32_t advice = s->madvise.advice;

	/* Every advice the mm knows is small; a huge value must not turn negative. */
	if (advice > MADV_POPULATE_WRITE_ABI)
		return -EINVAL;
	return do_madvise(mm, s->madvise.addr, s->madvise.len, (int)advice);
}

static int64_t req_mlock(struct chan_slot *s, struct mm_struct *mm)
{
	return do_mlock(mm, s->mlock.addr, s->mlock.len, s->mlock.flags);
}

static int64_t req_munlock(struct chan_slot *s, struct mm_struct *mm)
{
	return do_munlock(mm, s->munlock.addr, s->munlock.len);
}

static int64_t req_munmap(struct chan_slot *s, struct mm_struct *mm)
{
	return do_munmap(mm, s->munmap.addr, s->munmap.len);
}

static int64_t req_mprotect(struct chan_slot *s, struct mm_struct *mm)
{
	return do_mprotect(mm, s->mprotect.addr, s->mprotect.len, s->mprotect.prot);
}

/* Run op in ring 3 and report what it found in out.  Out of line, as the
 * other requests with locals: the common path keeps few registers. */
static __attribute__((noinline)) int64_t user_run(struct mm_struct *mm, enum user_op op,
						   uint64_t addr, uint64_t len, uint8_t byte,
						   struct chan_access *out)
{
	struct user_access_info info;
	int64_t r = user_access(mm, op, addr, len, byte, &info);

	out->addr = info.addr;
	out->fault = r == ACCESS_FAULT ? (uint32_t)info.detail : 0;
	out->found = r == ACCESS_MISMATCH ? (uint32_t)info.detail : 0;
	return r;
}

/* touch/fill/check with an argument out of range: nothing ran. */
static int64_t access_refused(struct chan_access *out)
{
	out->addr = 0;
	out->fault = out->found = 0;
	return -EINVAL;
}

static int64_t req_touch(struct chan_slot *s, struct mm_struct *mm)
{
	struct chan_touch *t = &s->touch;
	uint32_t mode = t->mode;

	if (mode > TOUCH_WRITE)
		return access_refused(&t->access);
	return user_run(mm, mode == TOUCH_WRITE ? USER_TOUCH_WRITE : USER_TOUCH_READ, t->addr,
			t->len, 0, &t->access);
}

static int64_t req_fill(struct chan_slot *s, struct mm_struct *mm)
{
	struct chan_fill *f = &s->fill;
	uint32_t byte = f->byte;

	if (byte > 0xff)
		return access_refused(&f->access);
	return user_run(mm, USER_FILL, f->addr, f->len, (uint8_t)byte, &f->access);
}

static int64_t req_check(struct chan_slot *s, struct mm_struct *mm)
{
	struct chan_check *c = &s->check;
	uint32_t byte = c->byte;

	if (byte > 0xff)
		return access_refused(&c->access);
	return user_run(mm, USER_CHECK, c->addr, c->len, (uint8_t)byte, &c->access);
}

/* count struct chan_vma entries at offset in the data area, or NULL if
 * they do not fit there. */
static struct chan_vma *data_area(uint32_t offset, uint32_t count)
{
	if (offset > CHANNEL_DATA_SIZE || offset % 8 ||
	    count > (CHANNEL_DATA_SIZE - offset) / sizeof(struct chan_vma))
		return NULL;
	return (struct chan_vma *)((char *)channel_data(smp_processor_id()) + offset);
}

static void put_vma(void *ctx, unsigned i, const struct mm_vma_info *v)
{
	struct chan_vma *out = ctx;

	out[i] = (struct chan_vma){
		.start = v->start,
		.end = v->end,
		.pgoff = v->pgoff,
		.flags = (uint32_t)v->flags,
		.anon = v->anon,
	};
}

static __attribute__((noinline)) int64_t req_vma_list(struct chan_slot *s, struct mm_struct *mm)
{
	struct chan_vma_list *l = &s->vma_list;
	uint32_t max = l->max;
	struct chan_vma *out = data_area(l->data_offset, max);

	l->map_count = mm_map_count(mm);
	if (!out)
		return -EINVAL;
	return mm_vma_list(mm, l->from, max, put_vma, out);
}

static __attribute__((noinline)) int64_t req_pte(struct chan_slot *s, struct mm_struct *mm)
{
	uint64_t pte;
	int level;
	int r = mm_pte_lookup(mm, s->pte.addr, &pte, &level);

	s->pte.pte = pte;
	s->pte.level = (uint32_t)level;
	s->pte.pad = 0;
	return r;
}

static __attribute__((noinline)) int64_t req_page_share(struct chan_slot *s,
							  struct mm_struct *mm)
{
	struct chan_page_share *p = &s->page_share;
	uint64_t n = p->npages;
	uint8_t *out;

	if (p->data_offset > CHANNEL_DATA_SIZE || n > CHANNEL_DATA_SIZE - p->data_offset)
		return -EINVAL;
	out = (uint8_t *)channel_data(smp_processor_id()) + p->data_offset;
	return mm_page_share(mm, p->addr, n, out);
}

static int64_t req_stats(struct chan_slot *s, struct mm_struct *mm)
{
	s->stats.map_count = mm_map_count(mm);
	return 0;
}

static int64_t req_inject(struct chan_slot *s, struct mm_struct *mm)
{
	uint32_t kind = s->inject.kind;
	uint64_t addr = s->inject.addr;

	if (kind >= MM_INJECT_TLB_SKIP_IPI && kind <= MM_INJECT_TLB_SHORT_RANGE)
		return mm_inject_tlb((int)kind, kind == MM_INJECT_TLB_SKIP_IPI ?
				     (addr < MM_CPUS_MAX ? (unsigned)addr : MM_CPUS_MAX) : 0);
	if (kind > MM_INJECT_RELEASE_HOLD)
		return -EINVAL;
	return mm_inject(mm, (int)kind, addr);
}

/* A request on an existing mm: its result; it writes its OUT fields.  A
 * switch, not a table of pointers: the small functions above inline into
 * it, which saves a call per request in emulated ring 0. */
static inline int64_t mm_request(uint32_t op, struct chan_slot *s, struct mm_struct *mm)
{
	switch (op) {
	case OP_MMAP:
		return req_mmap(s, mm);
	case OP_MUNMAP:
		return req_munmap(s, mm);
	case OP_MPROTECT:
		return req_mprotect(s, mm);
	case OP_TOUCH:
		return req_touch(s, mm);
	case OP_FILL:
		return req_fill(s, mm);
	case OP_CHECK:
		return req_check(s, mm);
	case OP_VMA_LIST:
		return req_vma_list(s, mm);
	case OP_PTE:
		return req_pte(s, mm);
	case OP_STATS:
		return req_stats(s, mm);
	case OP_INJECT:
		return req_inject(s, mm);
	case OP_MREMAP:
		return req_mremap(s, mm);
	case OP_MADVISE:
		return req_madvise(s, mm);
	case OP_MLOCK:
		return req_mlock(s, mm);
	case OP_MUNLOCK:
		return req_munlock(s, mm);
	case OP_MM_FORK:
		return req_mm_fork(s, mm);
	case OP_PAGE_SHARE:
		return req_page_share(s, mm);
	}
	/* request_handle() sends only the ops above: no range check. */
	__builtin_unreachable();
}

static void req_mm_create(struct chan_slot *s)
{
	int id;

	mm_seq_begin();
	id = mm_create();
	mm_count_request();
	mm_seq_end();
	s->mm_create.id = id > 0 ? (uint32_t)id : 0;
	s->mm_create.pad = 0;
	s->result = id > 0 ? 0 : id;
}

/* The requests that are not on an existing mm, or that end it.  Each takes
 * the locks it needs (mm_create: the mm table's; mm_destroy: the mm's
 * mmap_lock for writing). */
static __attribute__((noinline)) void other_request(struct chan_slot *s, uint32_t op)
{
	if (op == OP_NOP) {
		s->result = 0;
	} else if (op == OP_MM_CREATE) {
		req_mm_create(s);
	} else if (op != OP_MM_DESTROY) {
		s->result = -ENOSYS;
	} else {
		mm_seq_begin();
		s->result = mm_destroy(s->mm);
		mm_count_request();
		mm_seq_end();
	}
}

/*
 * touch, fill and check: the mm is looked up and loaded under its mmap_lock
 * for reading (and its page_table_lock: a fault's COW on another CPU logs a
 * PTE clear and flushes under it, and this CPU's lazy-mode exit must come
 * before or after all of that, docs/locking.md).  Ring 3 then runs without
 * any lock and with interrupts on (a flush IPI reaches it); each page fault
 * takes the mmap_lock for reading (mm_user_fault).  The mm cannot go
 * meanwhile: mm_destroy refuses an active mm.
 */
static __attribute__((noinline)) void access_request(struct chan_slot *s, uint32_t op)
{
	struct mm_struct *mm = mm_get(s->mm, false);

	if (!mm) {
		s->result = -ESRCH;
		return;
	}
	spin_lock(&mm->page_table_lock);
	switch_mm(mm);
	spin_unlock(&mm->page_table_lock);
	__atomic_fetch_add(&mm->active, 1, __ATOMIC_RELAXED);
	mmap_unlock_read(&mm->mmap_lock);
	trace_sync_switch();
	TRACE(TEV_REQ_ENTER, op | (uint64_t)s->mm << 16, s->raw[0], s->raw[1], s->raw[2], s->raw[3]);
	int64_t r = mm_request(op, s, mm);
	TRACE(TEV_REQ_EXIT, op, r);
	mm_lazy_enter();
	/* Its faults published what they changed; from here on the mm may go. */
	__atomic_fetch_sub(&mm->active, 1, __ATOMIC_RELEASE);
	s->result = r;
	mm_seq_begin();
	mm_count_request();
	mm_seq_end();
}

void request_handle(struct chan_slot *s)
{
	uint32_t op = s->op;
	struct mm_struct *mm;

	/* The common case first, in few instructions: an op on an mm. */
	if (op - OP_MMAP >= OP_NR - OP_MMAP) {
		other_request(s, op);
		return;
	}
	if (op - OP_TOUCH <= OP_CHECK - OP_TOUCH) {
		access_request(s, op);
		return;
	}
	/* Every other op on an mm holds its mmap_lock for writing. */
	mm = mm_request_begin(s->mm);
	if (!mm) {
		s->result = -ESRCH;
		return;
	}
	switch_mm(mm);
	trace_sync_switch();
	TRACE(TEV_REQ_ENTER, op | (uint64_t)s->mm << 16, s->raw[0], s->raw[1], s->raw[2], s->raw[3]);
	s->result = mm_request(op, s, mm);
	TRACE(TEV_REQ_EXIT, op, s->result);
	mm_lazy_enter();
	mm_request_end(mm);
}
