/*
 * Frames.  Nothing here ever zeroes memory in the guest: frames come out of
 * a pool known to read zero (never used since boot, emptied page tables, or
 * discarded by the host), and frames freed with data go to a dirty list that
 * is handed to the host (HC_DISCARD, madvise(MADV_DONTNEED) there) once it
 * holds ARCH_DISCARD_MAX frames or the zero pool runs dry.
 *
 * The zero pool is the bump range [bump_pfn, end_pfn) of frames never used
 * since boot plus a stack of frame addresses; a discarded batch moves onto
 * the stack with one copy.
 *
 * frames.lock guards the pools, the dirty list, the counters in the mm
 * table and the type of a frame as it is handed out or given back
 * (docs/locking.md).
 */
#include "guest/mm/frame.h"
#include "guest/mm/mm_tlblog.h"

struct frame_state frames;

/* Fill p[0, n) with v using a doubling copy: a handful of `rep movs` instead
 * of a store loop over every frame. */
static void fill_pages(struct abi_page *p, uint64_t n, struct abi_page v)
{
	uint64_t done = 1;

	if (n == 0)
		return;
	p[0] = v;
	while (done < n) {
		uint64_t chunk = done < n - done ? done : n - done;
		memcpy(p + done, p, chunk * sizeof(*p));
		done += chunk;
	}
}

void frame_init(uint64_t free_start, uint64_t ram_size)
{
	struct mm_table *t = mm_g.table;
	uint64_t nr = ram_size >> PAGE_SHIFT;
	uint64_t first = PAGE_ALIGN(free_start) >> PAGE_SHIFT;
	uint64_t meta;

	if (first >= nr)
		panic("frame_init: free_start 0x%lx beyond RAM 0x%lx", (unsigned long)free_start,
		      (unsigned long)ram_size);
	meta = first << PAGE_SHIFT;
	mm_g.pages = mm_va(meta);
	meta += PAGE_ALIGN(nr * sizeof(struct abi_page));
	mm_g.pt_used = mm_va(meta);
	meta += PAGE_ALIGN(nr * sizeof(uint16_t));
	frames.zero_stack = mm_va(meta);
	meta += PAGE_ALIGN((nr - first) * sizeof(uint64_t));
	frames.dirty = mm_va(meta);
	meta += PAGE_SIZE;
	if ((meta >> PAGE_SHIFT) + 16 > nr)
		panic("frame_init: %lu KiB of RAM leaves no frames", (unsigned long)(ram_size >> 10));

	frames.base_pfn = meta >> PAGE_SHIFT;
	frames.end_pfn = nr;
	frames.bump_pfn = frames.base_pfn;
	frames.zero_top = 0;
	frames.ndirty = 0;
	/* Host area, kernel image and this metadata: not the allocator's.  The
	 * managed frames' entries read zero already: PAGE_T_FREE, refcount 0. */
	_Static_assert(PAGE_T_FREE == 0, "free frames need no initialisation");
	fill_pages(mm_g.pages, frames.base_pfn,
		   (struct abi_page){ .refcount = 1, .type = PAGE_T_RESERVED });

	t->frames_total = nr - frames.base_pfn;
	t->frames_free = t->frames_total;
	t->frames_zero = t->frames_total;
	t->pages = (uint64_t)(uintptr_t)mm_g.pages;
}

void frame_discard_dirty(void)
{
	unsigned n = frames.ndirty;

	if (n == 0)
		return;
	arch_discard_frames(frames.dirty, n);
	frames.discards++;
	memcpy(frames.zero_stack + frames.zero_top, frames.dirty, n * sizeof(uint64_t));
	frames.zero_top += n;
	frames.ndirty = 0;
	mm_g.table->frames_zero += n;
}

uint64_t frame_alloc_slow(uint32_t type)
{
	if (frames.zero_top || frames.bump_pfn < frames.end_pfn)
		return frame_alloc_locked(type);
	if (!frames.ndirty)
		return 0;
	frame_discard_dirty();
	return frame_alloc_locked(type);
}

uint64_t frame_alloc_contig(uint64_t n, uint32_t type)
{
	uint64_t pfn;

	frame_lock();
	pfn = frames.bump_pfn;
	if (n == 0 || n > frames.end_pfn - pfn) {
		frame_unlock();
		return 0;
	}
	frames.bump_pfn += n;
	fill_pages(mm_g.pages + pfn, n, (struct abi_page){ .refcount = 1, .type = type });
	mm_g.table->frames_free -= n;
	mm_g.table->frames_zero -= n;
	frame_unlock();
	return pfn << PAGE_SHIFT;
}

/* Mark pa free; panics on a frame that is not the allocator's or already free. */
static void frame_mark_free(uint64_t pa)
{
	uint64_t pfn = pa >> PAGE_SHIFT;

	if (pfn < frames.base_pfn || pfn >= frames.end_pfn || (pa & ~PAGE_MASK) ||
	    mm_g.pages[pfn].type == PAGE_T_FREE)
		panic("frame_mark_free: bad frame 0x%lx", (unsigned long)pa);
	mm_g.pages[pfn] = (struct abi_page){ .refcount = 0, .type = PAGE_T_FREE };
	mm_g.table->frames_free++;
}

void frame_free_zero_locked(uint64_t pa)
{
	frame_mark_free(pa);
	frames.zero_stack[frames.zero_top++] = pa;
	mm_g.table->frames_zero++;
}

void frame_free_zero(uint64_t pa)
{
	frame_lock();
	frame_free_zero_locked(pa);
	frame_unlock();
}

void frame_free_dirty(uint64_t pa)
{
	frame_lock();
	TLBLOG(TLOG_FRAME_FREE, 0, pa, 0);
	frame_mark_free(pa);
	frames.dirty[frames.ndirty++] = pa;
	if (frames.ndirty == ARCH_DISCARD_MAX)
		frame_discard_dirty();
	frame_unlock();
}

unsigned frame_free_unmapped(const uint64_t *pas, unsigned n)
{
	struct abi_page *pages = mm_g.pages;
	uint64_t base = frames.base_pfn, count = frames.end_pfn - base;
	uint64_t zero_pa = mm_g.zero_pa;
	unsigned zeros = 0, kept = 0, i = 0;

	while (i < n) {
		/* As many as fit before the dirty list must be discarded. */
		unsigned room = ARCH_DISCARD_MAX - frames.ndirty;
		unsigned stop = n - i < room ? n : i + room;
		const uint64_t *p = pas + i, *end = pas + stop;
		uint64_t *dirty = frames.dirty + frames.ndirty;

		for (; p < end; p++) {
			uint64_t pa = *p, pfn = pa >> PAGE_SHIFT;
			if (pfn - base < count && pages[pfn].type == PAGE_T_SHMEM) {
				/* The object still holds it. */
				__atomic_fetch_sub(&pages[pfn].refcount, 1, __ATOMIC_RELEASE);
				kept++;
				continue;
			}
			if (pfn - base >= count || pages[pfn].type != PAGE_T_USER) {
				if (pa != zero_pa)
					panic("frame_free_unmapped: frame 0x%lx is not a user frame",
					      (unsigned long)pa);
				zeros++;
				continue;
			}
			if (__atomic_sub_fetch(&pages[pfn].refcount, 1, __ATOMIC_ACQ_REL)) {
				/* Still mapped elsewhere (COW-shared after fork; another
				 * mm's fault or unmap may drop it at the same time: the
				 * CPU that takes it to zero frees it). */
				kept++;
				continue;
			}
			TLBLOG(TLOG_FRAME_FREE, 0, pa, 0);
			pages[pfn] = (struct abi_page){ .refcount = 0, .type = PAGE_T_FREE };
			*dirty++ = pa;
		}
		i = stop;
		frames.ndirty = (unsigned)(dirty - frames.dirty);
		if (frames.ndirty == ARCH_DISCARD_MAX)
			frame_discard_dirty();
	}
	mm_g.table->frames_free += n - zeros - kept;
	return zeros;
}
