/*
 * Address spaces: boot of the memory manager, mm creation and exit_mmap,
 * the id -> mm table, switch_mm, and the request bracket that keeps the
 * published mm table consistent (seqcount) and publishes an mm's counters.
 *
 * An mm id encodes its slot in mm_table.mms[] ((id - 1) % MM_MAX) plus a
 * generation, so lookup is O(1) and a destroyed id is not handed out again
 * soon.
 */
#include "guest/mm/mm.h"
#include "guest/mm/frame.h"
#include "guest/mm/mm_tlblog.h"
#include "guest/mm/pgtable.h"
#include "guest/mm/slab.h"
#include "guest/mm/tlb.h"
#include "guest/mm/vma.h"

_Static_assert((MM_MAX & (MM_MAX - 1)) == 0, "MM_MAX must be a power of two");

struct mm_globals mm_g;
static struct kmem_cache mm_cachep;
static struct mm_struct *mm_slots[MM_MAX];
static uint32_t mm_generation[MM_MAX];

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

	kmem_cache_init(&mm_cachep, "mm_struct", sizeof(struct mm_struct));
	vma_caches_init();

	t->version = MM_TABLE_VERSION;
	__atomic_store_n(&t->magic, MM_TABLE_MAGIC, __ATOMIC_RELEASE);
}

int mm_create(void)
{
	struct mm_struct *mm;
	uint64_t pml4;
	unsigned slot;

	for (slot = 0; slot < MM_MAX && mm_slots[slot]; slot++)
		;
	if (slot == MM_MAX)
		return -ENOMEM;
	mm = kmem_cache_alloc(&mm_cachep);
	if (!mm)
		return -ENOMEM;
	pml4 = frame_alloc(PAGE_T_PGTABLE);
	if (!pml4) {
		kmem_cache_free(&mm_cachep, mm);
		return -ENOMEM;
	}
	mm->pml4_pa = pml4;
	mm->pml4 = mm_va(pml4);
	for (unsigned i = 0; i < mm_g.nkernel_slots; i++)
		mm->pml4[mm_g.kernel_slots[i]] = mm_g.kernel_pml4[mm_g.kernel_slots[i]];
	vma_tree_init(mm);
	mm->map_count = mm->rss_pages = mm->zero_ptes = mm->pt_pages = 0;
	mm->cpu_mask = 0;
	mm->slot = slot;
	/* ids stay positive ints: wrap the generation well before 2^31. */
	mm->id = slot + 1 + MM_MAX * (mm_generation[slot]++ & 0xffffff);
	mm->desc = &mm_g.table->mms[slot];
	memset(mm->desc, 0, sizeof(*mm->desc));
	mm->desc->pml4 = pml4;
	mm->desc->id = mm->id;
	mm_slots[slot] = mm;
	return (int)mm->id;
}

struct mm_struct *mm_lookup(uint32_t id)
{
	/* No id is 0: id 0 lands on a slot whose mm has another id. */
	struct mm_struct *mm = mm_slots[(id - 1) & (MM_MAX - 1)];

	return mm && mm->id == id ? mm : NULL;
}

void switch_mm(struct mm_struct *mm)
{
	unsigned cpu = smp_processor_id();
	struct mm_percpu *pc = this_cpu_mm();
	struct mm_struct *old = pc->current_mm;

	if (old == mm)
		return;
	if (old)
		old->cpu_mask &= ~(1ULL << cpu);   /* no PCID: the CR3 load flushes it */
	if (mm)
		mm->cpu_mask |= 1ULL << cpu;
	pc->current_mm = mm;
	arch_load_cr3(mm ? mm->pml4_pa : mm_g.kernel_pml4_pa);
	TLBLOG(TLOG_CR3_LOAD, mm ? mm->id : 0, 0, 0);
}

int mm_destroy(uint32_t id)
{
	struct mm_struct *mm = mm_lookup(id);
	struct vm_area_struct *vma, *next;
	struct mmu_gather *tlb;

	if (!mm)
		return -ESRCH;
	/* Nothing may run on these tables any more: leave them first. */
	if (this_cpu_mm()->current_mm == mm)
		switch_mm(NULL);
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
	frame_free_zero(mm->pml4_pa);

	memset(mm->desc, 0, sizeof(*mm->desc));
	mm_slots[mm->slot] = NULL;
	kmem_cache_free(&mm_cachep, mm);
	return 0;
}

/* seq++ as one locked add: a full barrier, so the host sees seq odd
 * before any change (begin) and every change before seq even (end). */
static inline void seq_bump(struct mm_table *t)
{
	__atomic_fetch_add(&t->seq, 1, __ATOMIC_SEQ_CST);
}

void mm_seq_begin(void)
{
	seq_bump(mm_g.table);
}

void mm_seq_end(void)
{
	seq_bump(mm_g.table);
}

struct mm_struct *mm_request_begin(uint32_t id)
{
	struct mm_struct *mm = mm_lookup(id);

	if (mm)
		seq_bump(mm_g.table);
	return mm;
}

/* The counters change on every path of the mm; they reach the host once
 * per request, here, where the host cannot be looking (seq is odd). */
void mm_publish(const struct mm_struct *mm)
{
	struct mm_desc *d = mm->desc;

	d->vma_head = (uint64_t)(uintptr_t)mm->mmap;
	d->map_count = mm->map_count;
	d->rss_pages = mm->rss_pages;
	d->zero_ptes = mm->zero_ptes;
	d->pt_pages = mm->pt_pages;
}

void mm_request_end(struct mm_struct *mm)
{
	struct mm_table *t = mm_g.table;

	mm_publish(mm);
	t->requests++;
	seq_bump(t);
}

void mm_request_end_destroyed(void)
{
	struct mm_table *t = mm_g.table;

	t->requests++;
	seq_bump(t);
}
