/*
 * mremap of anonymous private memory, as Linux 6.18's mm/mremap.c (every
 * rule below was checked on the host kernel with the unit tests' oracle,
 * tests/unit/oracle_host.c):
 *
 *   lengths are page-rounded first (a length that wraps becomes 0);
 *   EINVAL: unknown flags, unaligned addr, new_len 0 or > TASK_SIZE; with
 *     fixed or dontunmap: new range past TASK_SIZE, unaligned new_addr, no
 *     maymove, dontunmap with old_len != new_len, new range overlapping the
 *     old one; then ENOMEM when map_count + 2 >= MAX_MAP_COUNT - 3;
 *   fixed with old_len == new_len moves every VMA of the range (gaps kept,
 *     a hole at the start: EFAULT);
 *   EFAULT: no VMA contains addr; when the call maps anything new, the
 *     range (after a shrink) passing the VMA's end; EINVAL for old_len 0;
 *   same length: nothing (no check of the range); shrink: munmap of the
 *     tail (it may cross VMAs); grow: in place when the range ends at the
 *     VMA's end and the space after is free (merging with the next VMA),
 *     else a move with maymove, else ENOMEM;
 *   a locked VMA that grows is populated.
 */
#include "guest/mm/mm.h"
#include "guest/mm/mremap.h"
#include "guest/mm/munmap.h"
#include "guest/mm/populate.h"
#include "guest/mm/vma.h"

#define MREMAP_KNOWN (MM_MREMAP_MAYMOVE | MM_MREMAP_FIXED | MM_MREMAP_DONTUNMAP)

struct vm_area_struct *vma_lookup(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *vma = find_vma(mm, addr);

	return vma && vma->vm_start <= addr ? vma : NULL;
}

static bool implies_new_addr(uint32_t flags)
{
	return flags & (MM_MREMAP_FIXED | MM_MREMAP_DONTUNMAP);
}

/* The checks made before any VMA is looked at (Linux's check_mremap_params). */
static int check_mremap_params(struct mm_struct *mm, uint64_t addr, uint64_t old_len,
			       uint64_t new_len, uint32_t flags, uint64_t new_addr)
{
	if ((flags & ~MREMAP_KNOWN) || (addr & ~PAGE_MASK))
		return -EINVAL;
	if (!new_len || new_len > TASK_SIZE)
		return -EINVAL;
	if (!implies_new_addr(flags))
		return 0;
	if (new_addr > TASK_SIZE - new_len || (new_addr & ~PAGE_MASK))
		return -EINVAL;
	if (!(flags & MM_MREMAP_MAYMOVE))
		return -EINVAL;
	if ((flags & MM_MREMAP_DONTUNMAP) && old_len != new_len)
		return -EINVAL;
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return -EINVAL;
	/* Both ranges may split a VMA in three before the move (Linux's margin). */
	if (mm->map_count + 2 >= MAX_MAP_COUNT - 3)
		return -ENOMEM;
	return 0;
}

/* The checks on the VMA (Linux's check_prep_vma). */
static int check_prep_vma(struct vm_area_struct *vma, uint64_t addr, uint64_t old_len,
			  uint64_t new_len, uint32_t flags)
{
	uint64_t len = new_len < old_len ? new_len : old_len;

	if (!vma)
		return -EFAULT;
	if (new_len <= old_len && !implies_new_addr(flags))
		return 0;               /* maps nothing new: no more checks */
	if (!old_len)
		return -EINVAL;         /* "duplicating" a private mapping */
	if (len > vma->vm_end - addr)
		return -EFAULT;         /* the range passes the VMA's end */
	return 0;
}

/* Could vma grow by delta in place: free space after it, below TASK_SIZE. */
static bool vma_expandable(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t delta)
{
	uint64_t end = vma->vm_end + delta, len;

	if (end < vma->vm_end || find_vma_intersection(mm, vma->vm_end, end))
		return false;
	len = end - vma->vm_start;
	return len <= TASK_SIZE && vma->vm_start <= TASK_SIZE - len;
}

/* A free range of len bytes chosen by the kernel (top-down), or -ENOMEM. */
static long new_area(struct mm_struct *mm, uint64_t len)
{
	struct vm_area_struct *next;

	return unmapped_area_topdown(mm, len, MMAP_MIN_ADDR, MMAP_BASE, &next);
}

/* Grow [addr, addr + old_len) of vma to new_len: in place, else moved. */
static long expand_vma(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr,
		       uint64_t old_len, uint64_t new_len, uint32_t flags)
{
	uint64_t delta = new_len - old_len;
	long new_addr;

	if (vma->vm_end - addr == old_len && vma_expandable(mm, vma, delta)) {
		/* Linux's vma_merge_extend: the extension merges into vma (and
		 * the next VMA if it now touches and is compatible). */
		if (!vma_merge_copied_range(mm, vma, vma->vm_next, vma->vm_end, vma->vm_end + delta,
					    vma->vm_pgoff + vma_pages(vma), vma))
			panic("expand_vma: %lx-%lx did not extend", (unsigned long)vma->vm_start,
			      (unsigned long)vma->vm_end);
		return (long)addr;
	}
	if (!(flags & MM_MREMAP_MAYMOVE))
		return -ENOMEM;
	new_addr = new_area(mm, new_len);
	if (new_addr < 0)
		return new_addr;
	return move_vma(mm, vma, addr, old_len, (uint64_t)new_addr, new_len, flags);
}

/* Resize in place (or move if it must and may): no new address was given. */
static long mremap_at(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr,
		      uint64_t old_len, uint64_t new_len, uint32_t flags)
{
	if (new_len == old_len)
		return (long)addr;
	if (new_len < old_len) {
		int err = do_munmap(mm, addr + new_len, old_len - new_len);
		return err ? err : (long)addr;
	}
	return expand_vma(mm, vma, addr, old_len, new_len, flags);
}

/* Move to new_addr (fixed: its old contents unmapped first) or, with
 * dontunmap alone, to an address the kernel chooses; shrink first. */
static long mremap_to(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t addr,
		      uint64_t old_len, uint64_t new_len, uint32_t flags, uint64_t new_addr)
{
	struct vm_area_struct *prev, *next;
	long r;

	if (flags & MM_MREMAP_FIXED) {
		int err = munmap_range(mm, new_addr, new_addr + new_len, &prev, &next);
		if (err)
			return err;
		if (!(vma = vma_lookup(mm, addr)))
			return -EFAULT;
	}
	if (new_len < old_len) {
		int err = do_munmap(mm, addr + new_len, old_len - new_len);
		if (err)
			return err;
		if (!(vma = vma_lookup(mm, addr)))
			return -EFAULT;
		old_len = new_len;
	}
	if (!(flags & MM_MREMAP_FIXED)) {
		r = new_area(mm, new_len);
		if (r < 0)
			return r;
		new_addr = (uint64_t)r;
	} else if (new_addr < MMAP_MIN_ADDR) {
		return -EPERM;          /* as do_mmap: the unprivileged rule */
	}
	return move_vma(mm, vma, addr, old_len, new_addr, new_len, flags);
}

/* fixed with old_len == new_len: every VMA of [addr, addr + len) moves,
 * the gaps between them kept (Linux 6.17's remap_move). */
static long remap_move(struct mm_struct *mm, uint64_t addr, uint64_t len, uint32_t flags,
		       uint64_t new_addr)
{
	uint64_t end = addr + len, target = new_addr, last_end = 0;
	struct vm_area_struct *vma = find_vma(mm, addr);
	long res = -EFAULT;
	bool seen = false;

	while (vma && vma->vm_start < end) {
		uint64_t a = vma->vm_start > addr ? vma->vm_start : addr;
		uint64_t l = (vma->vm_end < end ? vma->vm_end : end) - a;
		uint64_t offset = seen ? vma->vm_start - last_end : 0;
		long r;

		if (!seen && addr < vma->vm_start)
			return -EFAULT;         /* a hole at the start */
		last_end = vma->vm_end;
		r = mremap_to(mm, vma, a, l, l, flags, target + offset);
		if (r < 0)
			return r;
		if (!seen)
			res = r;
		seen = true;
		target = (uint64_t)r + l;
		/* Go on past the VMA as it was (dontunmap keeps it where it is,
		 * and the copy may have merged into it). */
		vma = last_end < end ? find_vma(mm, last_end) : NULL;
	}
	return res;
}

long do_mremap(struct mm_struct *mm, uint64_t addr, uint64_t old_len, uint64_t new_len,
	       uint32_t flags, uint64_t new_addr)
{
	struct vm_area_struct *vma;
	bool populate;
	long r;

	old_len = PAGE_ALIGN(old_len);
	new_len = PAGE_ALIGN(new_len);
	r = check_mremap_params(mm, addr, old_len, new_len, flags, new_addr);
	if (r)
		return r;
	if ((flags & MM_MREMAP_FIXED) && old_len == new_len)
		return remap_move(mm, addr, old_len, flags, new_addr);

	vma = vma_lookup(mm, addr);
	r = check_prep_vma(vma, addr, old_len, new_len, flags);
	if (r)
		return r;
	populate = (vma->vm_flags & VM_LOCKED) && new_len > old_len;
	if (implies_new_addr(flags))
		r = mremap_to(mm, vma, addr, old_len, new_len, flags, new_addr);
	else
		r = mremap_at(mm, vma, addr, old_len, new_len, flags);
	/* A locked mapping keeps its pages in memory: fault in the growth. */
	if (r >= 0 && populate)
		mm_populate(mm, (uint64_t)r + old_len, (uint64_t)r + new_len, true);
	return r;
}
