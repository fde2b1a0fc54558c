/*
 * Address spaces: boot of the memory manager, mm creation and exit_mmap,
 * the id -> mm table, and the request bracket that keeps the
 * published mm table consistent (seqcount) and publishes an mm's counters.
 *
 * An mm id encodes its slot in mm_table.mms[] ((id - 1) % MM_MAX) plus a
 * generation, so lookup is O(1) and a destroyed id is not handed out again
 * soon.  The mm structs are a static array indexed by slot (never freed):
 * lookup takes the slot's mmap_lock and then compares the id, so a lookup
 * racing an exit finds the id gone, never a freed struct.  mm_table_lock
 * guards which slots are taken and their generations (docs/locking.md).
 */
#include "guest/mm/mm.h"
#include "guest/mm/frame.h"
#include "guest/mm/mm_tlblog.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/tlb.h"
#include "guest/mm/vma.h"

_Static_assert((MM_MAX & (MM_MAX - 1)) == 0, "MM_MAX must be a power of two");

struct mm_globals mm_g;
static struct mm_struct mm_structs[MM_MAX];

/* The id a free slot holds: one whose own slot is the next one, so that no
 * lookup landing on this slot matches it (and none needs a test for 0). */
static inline uint32_t free_id(unsigned slot)
{
	return ((slot + 1) & (MM_MAX - 1)) + 1;
}
static uint32_t mm_generation[MM_MAX];
static spinlock_t mm_table_lock;

void mm_init(uint64_t free_start, uint64_t ram_size, const uint64_t *kernel_pml4)
{
	struct mm_table *t;

	mm_g.dm_base = (uint64_t)(uintptr_t)phys_to_virt(0);
	mm_g.table = t = mm_va(MM_TABLE_GPA);
	memset(t, 0, sizeof(*t));
	mm_g.kernel_pml4 = kernel_pml4;
	mm_g.kernel_pml4_pa = virt_to_phys(kernel_pml4);
	/* Remember the kernel half's live slots: new mms copy just those. */
	mm_g.nkernel_slots = 0;
	for (unsigned i = PTRS_PER_TABLE / 2; i < PTRS_PER_TABLE; i++)
		if (kernel_pml4[i])
			mm_g.kernel_slots[mm_g.nkernel_slots++] = (uint16_t)i;

	frame_init(free_start, ram_size);
	mm_g.zero_pa = frame_alloc(PAGE_T_ZERO);
	if (!mm_g.zero_pa)
		panic("mm_init: no frame for the zero page");
	frame_page(mm_g.zero_pa)->refcount = 0;   /* counts the PTEs that map it */
	t->zero_page = mm_g.zero_pa;

	vma_caches_init();
	for (unsigned slot = 0; slot < MM_MAX; slot++)
		mm_structs[slot].id = free_id(slot);

	t->version = MM_TABLE_VERSION;
	mm_cpu_online(smp_processor_id());      /* the boot CPU */
	__atomic_store_n(&t->magic, MM_TABLE_MAGIC, __ATOMIC_RELEASE);
}

/* A free slot taken and the id its next mm gets, or NULL (all MM_MAX in use). */
static struct mm_struct *slot_take(uint32_t *id)
{
	struct mm_struct *mm = NULL;

	spin_lock(&mm_table_lock);
	for (unsigned slot = 0; slot < MM_MAX; slot++) {
		if (!mm_structs[slot].used) {
			mm = &mm_structs[slot];
			mm->used = 1;
			mm->slot = slot;
			/* ids stay positive ints: wrap the generation well before 2^31. */
			*id = slot + 1 + MM_MAX * (mm_generation[slot]++ & 0xffffff);
			break;
		}
	}
	spin_unlock(&mm_table_lock);
	return mm;
}

static void slot_give_back(struct mm_struct *mm)
{
	spin_lock(&mm_table_lock);
	mm->used = 0;
	spin_unlock(&mm_table_lock);
}

struct mm_struct *mm_create_locked(void)
{
	uint32_t id = 0;
	struct mm_struct *mm = slot_take(&id);
	uint64_t pml4;

	if (!mm)
		return NULL;
	/* A CPU that looked up the slot's previous id may hold the lock for a
	 * moment (it then finds its id gone: the slot's free id until the end). */
	mmap_lock_write(&mm->mmap_lock);
	pml4 = frame_alloc(PAGE_T_PGTABLE);
	if (!pml4) {
		mmap_unlock_write(&mm->mmap_lock);
		slot_give_back(mm);
		return NULL;
	}
	mm->pml4_pa = pml4;
	mm->pml4 = mm_va(pml4);
	for (unsigned i = 0; i < mm_g.nkernel_slots; i++)
		mm->pml4[mm_g.kernel_slots[i]] = mm_g.kernel_pml4[mm_g.kernel_slots[i]];
	vma_tree_init(mm);
	mm->map_count = mm->rss_pages = mm->zero_ptes = mm->pt_pages = 0;
	mm->cpu_mask = 0;
	mm->tlb_gen = 0;
	mm->active = 0;
	mm->desc = &mm_g.table->mms[mm->slot];
	memset(mm->desc, 0, sizeof(*mm->desc));
	mm->desc->pml4 = pml4;
	mm->desc->id = id;
	mm->id = id;
	return mm;
}

int mm_create(void)
{
	struct mm_struct *mm = mm_create_locked();
	int id;

	if (!mm)
		return -ENOMEM;
	id = (int)mm->id;
	mmap_unlock_write(&mm->mmap_lock);
	return id;
}

/* The slot of id. */
static inline struct mm_struct *slot_of(uint32_t id)
{
	return &mm_structs[(id - 1) & (MM_MAX - 1)];
}

struct mm_struct *mm_lookup(uint32_t id)
{
	struct mm_struct *mm = slot_of(id);

	return mm->id == id ? mm : NULL;
}

/* No such mm: give back the lock mm_get took. */
static __attribute__((noinline)) struct mm_struct *get_missed(struct mm_struct *mm, bool write)
{
	if (write)
		mmap_unlock_write(&mm->mmap_lock);
	else
		mmap_unlock_read(&mm->mmap_lock);
	return NULL;
}

struct mm_struct *mm_get(uint32_t id, bool write)
{
	struct mm_struct *mm = slot_of(id);

	if (write)
		mmap_lock_write(&mm->mmap_lock);
	else
		mmap_lock_read(&mm->mmap_lock);
	if (__builtin_expect(mm->id != id, 0))
		return get_missed(mm, write);
	return mm;
}

int mm_exit_locked(struct mm_struct *mm)
{
	struct vm_area_struct *vma, *next;
	struct mmu_gather *tlb;

	if (__atomic_load_n(&mm->active, __ATOMIC_ACQUIRE))
		return -EBUSY;  /* ring 3 runs on it on another CPU */
	/* Nothing may run on these tables any more: leave them first, and
	 * make the CPUs that keep them loaded lazily leave them too. */
	if (this_cpu_mm()->current_mm == mm)
		switch_mm(NULL);
	if (mm->cpu_mask)
		tlb_leave_mm(mm);
	if (mm->cpu_mask)
		panic("mm_destroy: mm %u still live on CPUs %lx", mm->id, (unsigned long)mm->cpu_mask);

	/* exit_mmap: every page, every table, every VMA. */
	tlb = tlb_gather_mmu(mm);
	zap_page_range(mm, tlb, 0, USER_PGTABLES_CEILING, 0, USER_PGTABLES_CEILING);
	tlb_finish_mmu(tlb);
	for (vma = mm->mmap; vma; vma = next) {
		next = vma->vm_next;
		vma_free(vma);
	}
	if (mm_g.pt_used[mm->pml4_pa >> PAGE_SHIFT] || mm->rss_pages || mm->zero_ptes ||
	    mm->pt_pages)
		panic("mm_destroy: mm %u not empty after exit_mmap", mm->id);
	for (unsigned i = 0; i < mm_g.nkernel_slots; i++)
		mm->pml4[mm_g.kernel_slots[i]] = 0;
	TLBLOG(TLOG_PT_FREE, mm->id, mm->pml4_pa, 0);
	frame_free_zero(mm->pml4_pa);

	memset(mm->desc, 0, sizeof(*mm->desc));
	mm->id = free_id(mm->slot);
	mmap_unlock_write(&mm->mmap_lock);
	slot_give_back(mm);
	return 0;
}

int mm_destroy(uint32_t id)
{
	struct mm_struct *mm = mm_get(id, true);
	int r;

	if (!mm)
		return -ESRCH;
	r = mm_exit_locked(mm);
	if (r)
		mmap_unlock_write(&mm->mmap_lock);
	return r;
}

/* One locked add each (a full barrier): the host sees the writer counted
 * before any change (begin) and every change before the generation moves
 * (end).  shared/mm_abi.h: several CPUs may be inside at once. */
static inline void seq_begin(struct mm_table *t)
{
	__atomic_fetch_add(&t->seq, 1, __ATOMIC_SEQ_CST);
}

static inline void seq_end(struct mm_table *t)
{
	__atomic_fetch_add(&t->seq, MM_SEQ_END, __ATOMIC_SEQ_CST);
}

void mm_seq_begin(void)
{
	seq_begin(mm_g.table);
}

void mm_seq_end(void)
{
	seq_end(mm_g.table);
}

/* mm_request_begin() once the lock was found taken: wait for it. */
static __attribute__((noinline)) struct mm_struct *request_begin_wait(struct mm_struct *mm,
								      uint32_t id)
{
	mmap_write_lock_slow(&mm->mmap_lock);
	if (mm->id != id)
		return get_missed(mm, true);
	seq_begin(mm_g.table);
	return mm;
}

/* Every request on an mm starts here: kept to a few instructions (the
 * lock's one cmpxchg; the waits and misses are tail calls). */
struct mm_struct *mm_request_begin(uint32_t id)
{
	struct mm_struct *mm = slot_of(id);
	uint32_t free = 0;

	if (__builtin_expect(!__atomic_compare_exchange_n(&mm->mmap_lock, &free, MMAP_LOCK_WRITER,
							  false, __ATOMIC_ACQUIRE,
							  __ATOMIC_RELAXED), 0))
		return request_begin_wait(mm, id);
	if (__builtin_expect(mm->id != id, 0))
		return get_missed(mm, true);
	seq_begin(mm_g.table);
	return mm;
}

/* The counters change on every path of the mm; they reach the host once
 * per request, here, where the host cannot be looking (a writer is
 * counted in seq).  The caller holds mm's mmap_lock for writing, or for
 * reading and its page_table_lock. */
void mm_publish(const struct mm_struct *mm)
{
	struct mm_desc *d = mm->desc;

	d->vma_head = (uint64_t)(uintptr_t)mm->mmap;
	d->map_count = mm->map_count;
	d->rss_pages = mm->rss_pages;
	d->zero_ptes = mm->zero_ptes;
	d->pt_pages = mm->pt_pages;
}

void mm_count_request(void)
{
	__atomic_fetch_add(&mm_g.table->requests, 1, __ATOMIC_RELAXED);
}

void mm_request_end(struct mm_struct *mm)
{
	struct mm_table *t = mm_g.table;

	mm_publish(mm);
	mm_count_request();
	seq_end(t);
	mmap_unlock_write(&mm->mmap_lock);
}
