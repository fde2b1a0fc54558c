/*
 * Address spaces and published state: ids, switch_mm, exit_mmap returning
 * every frame, the frame pool and discard batching, the VMA list and PTE
 * requests, fault injection, the seqcount.
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"

TestSuite(mm, .init = fake_setup);

Test(mm, boot_state_is_published)
{
	struct mm_table *t = mm_g.table;

	cr_assert_eq((void *)t, (void *)(fake_ram + MM_TABLE_GPA));
	cr_assert_eq(t->magic, MM_TABLE_MAGIC);
	cr_assert_eq(t->version, MM_TABLE_VERSION);
	cr_assert_eq(t->frames_total, (FAKE_RAM_SIZE >> 12) - frames.base_pfn);
	cr_assert_eq(t->frames_free, t->frames_total - 1);       /* the zero page */
	cr_assert_eq(t->frames_zero, t->frames_free);
	cr_assert_eq(t->pages, (uint64_t)(uintptr_t)mm_g.pages);
	cr_assert_eq(mm_g.pages[t->zero_page >> 12].type, PAGE_T_ZERO);
	cr_assert_eq(mm_g.pages[0].type, PAGE_T_RESERVED);
	cr_assert_eq(mm_g.pages[0].refcount, 1);
	/* Metadata costs little: 18 bytes per frame (page, pt_used, zero stack). */
	cr_assert_lt(frames.base_pfn - (FAKE_FREE_START >> 12), (FAKE_RAM_SIZE >> 12) * 18 / 4096 + 8);
	check_all();
}

Test(mm, ids_lookup_and_limits)
{
	int ids[MM_MAX], id;

	for (int i = 0; i < MM_MAX; i++) {
		ids[i] = mm_create();
		cr_assert_eq(ids[i], i + 1);
		cr_assert_eq(mm_g.table->mms[i].id, (uint32_t)ids[i]);
	}
	cr_assert_eq(mm_create(), -ENOMEM);
	cr_assert_eq(mm_destroy(5), 0);
	cr_assert_null(mm_lookup(5));
	cr_assert_eq(mm_destroy(5), -ESRCH);
	cr_assert_eq(mm_destroy(0), -ESRCH);
	cr_assert_eq(mm_destroy(12345), -ESRCH);
	id = mm_create();
	cr_assert_eq(id, 5 + MM_MAX);                  /* same slot, new id */
	cr_assert_null(mm_lookup(5));
	cr_assert_not_null(mm_lookup((uint32_t)id));
	cr_assert_eq(mm_g.table->mms[4].id, (uint32_t)id);
	check_all();
}

Test(mm, new_mm_copies_the_kernel_half)
{
	struct mm_struct *mm = new_mm();
	const uint64_t *k = (const uint64_t *)(fake_ram + FAKE_KPML4_GPA);

	for (int i = 0; i < 512; i++)
		cr_assert_eq(mm->pml4[i], i >= 256 ? k[i] : 0);
	cr_assert_eq(mm->desc->pml4, mm->pml4_pa);
	cr_assert_eq(mm->pt_pages, 0);
}

Test(mm, switch_mm_tracks_the_cpu)
{
	struct mm_struct *a = new_mm(), *b;
	unsigned long loads;

	cr_assert_eq(fake.cr3, a->pml4_pa);
	cr_assert_eq(a->cpu_mask, 1);
	loads = fake.cr3_loads;
	switch_mm(a);
	cr_assert_eq(fake.cr3_loads, loads);           /* already current */
	b = new_mm();
	cr_assert_eq(fake.cr3, b->pml4_pa);
	cr_assert_eq(a->cpu_mask, 0);
	cr_assert_eq(b->cpu_mask, 1);
	/* Destroying the loaded mm falls back to the kernel's PML4 first. */
	cr_assert_eq(mm_destroy(b->id), 0);
	cr_assert_eq(fake.cr3, FAKE_KPML4_GPA);
	cr_assert_null(this_cpu_mm()->current_mm);
	switch_mm(a);
	cr_assert_eq(fake.cr3, a->pml4_pa);
}

Test(mm, destroy_returns_every_frame)
{
	struct mm_struct *mms[3];
	uint64_t free0 = mm_g.table->frames_free;

	for (int m = 0; m < 3; m++) {
		struct mm_struct *mm = mms[m] = new_mm();
		for (int i = 0; i < 40; i++) {
			uint64_t a = BASE + ((uint64_t)i << 24) + (uint64_t)m * PG * 8;
			map_fixed(mm, a, 8 * PG, i % 3 ? RW : RO);
			for (int p = 0; p < 8; p += 1 + m)
				touch(mm, a + p * PG, i % 3 != 0);
		}
		do_mprotect(mm, BASE + (5ULL << 24), 4 * PG, NONE);
		do_munmap(mm, BASE + (7ULL << 24) + PG, PG);
		mm_inject(mm, MM_INJECT_STRAY_PTE, BASE + (50ULL << 24));
	}
	cr_assert_lt(mm_g.table->frames_free + 400, free0);
	for (int m = 0; m < 3; m++)
		cr_assert_eq(mm_destroy(mms[m]->id), 0);
	cr_assert_eq(mm_g.table->frames_free, free0);
	cr_assert_eq(mm_g.pages[mm_g.zero_pa >> 12].refcount, 0);
	for (int i = 0; i < MM_MAX; i++)
		cr_assert_eq(mm_g.table->mms[i].id, 0);
	check_all();
}

Test(mm, dirty_frames_are_discarded_in_batches)
{
	struct mm_struct *mm = new_mm();
	uint64_t zero_before;

	map_fixed(mm, BASE, 600 * PG, RW);
	for (int i = 0; i < 600; i++) {
		touch(mm, BASE + i * PG, true);
		fake_ram[pte_of(mm, BASE + i * PG) & PTE_ADDR] = 0xaa;   /* user data */
	}
	fake_reset_counts();
	do_munmap(mm, BASE, 600 * PG);
	cr_assert_eq(fake.discards, 1);
	cr_assert_eq(fake.discarded, ARCH_DISCARD_MAX);
	cr_assert_gt(frames.ndirty, 0);
	check_all();             /* also: every zero-pool frame reads zero */
	/* When the zero pool runs dry, the dirty frames are discarded first. */
	zero_before = mm_g.table->frames_zero;
	map_fixed(mm, BASE, (zero_before + 1) * PG, RW);
	for (uint64_t i = 0; i + 16 < zero_before; i++)
		cr_assert_eq(touch(mm, BASE + i * PG, true), 0);
	cr_assert_eq(fake.discards, 2);
	check_all();
}

/* mm_vma_list's callback: store the i-th VMA into the array ctx. */
static void put_info(void *ctx, unsigned i, const struct mm_vma_info *info)
{
	((struct mm_vma_info *)ctx)[i] = *info;
}

Test(mm, vma_list_and_pte_lookup)
{
	struct mm_struct *mm = new_mm();
	struct mm_vma_info out[4];
	uint64_t pte;
	int level;

	map_fixed(mm, BASE, 2 * PG, RW);
	map_fixed(mm, BASE + 4 * PG, PG, RO);
	map_fixed(mm, BASE + 8 * PG, PG, NONE);
	touch(mm, BASE, true);
	cr_assert_eq(mm_vma_list(mm, 0, 4, put_info, out), 3);
	cr_assert_eq(mm_map_count(mm), 3);
	cr_assert_eq(out[0].start, BASE);
	cr_assert_eq(out[0].end, BASE + 2 * PG);
	cr_assert_eq(out[0].pgoff, BASE >> 12);
	cr_assert_eq(out[0].flags, VM_READ | VM_WRITE | VM_MAY_ALL | VM_ACCOUNT);
	cr_assert_eq(out[0].anon, 1);
	cr_assert_eq(out[1].anon, 0);
	cr_assert_eq(mm_vma_list(mm, BASE + 2 * PG, 4, put_info, out), 2);
	cr_assert_eq(out[0].start, BASE + 4 * PG);
	cr_assert_eq(mm_vma_list(mm, BASE + 4 * PG + 1, 1, put_info, out), 1);
	cr_assert_eq(out[0].start, BASE + 4 * PG);
	cr_assert_eq(mm_vma_list(mm, ~0ULL, 0, put_info, out), 0);
	cr_assert_eq(mm_map_count(mm), 3);

	cr_assert_eq(mm_pte_lookup(mm, BASE, &pte, &level), 0);
	cr_assert_eq(level, 1);
	cr_assert(pte & PTE_W);
	cr_assert_eq(mm_pte_lookup(mm, BASE + PG, &pte, &level), 0);
	cr_assert_eq(pte, 0);
	cr_assert_eq(mm_pte_lookup(mm, 0xffffffffff600000ULL, &pte, &level), 0);
	cr_assert_eq(pte, 0);
}

Test(mm, inject_breaks_what_it_says)
{
	struct mm_struct *mm = new_mm();
	uint64_t pte;
	int level;

	map_fixed(mm, BASE, 2 * PG, RW);
	touch(mm, BASE, false);
	cr_assert_eq(mm_inject(mm, MM_INJECT_STRAY_PTE, BASE), -EINVAL);          /* inside a VMA */
	cr_assert_eq(mm_inject(mm, MM_INJECT_STRAY_PTE, TASK_SIZE), -EINVAL);
	cr_assert_eq(mm_inject(mm, MM_INJECT_STRAY_PTE, BASE + 2 * PG), 0);
	mm_pte_lookup(mm, BASE + 2 * PG, &pte, &level);
	cr_assert_eq(pte & PTE_ADDR, mm_g.zero_pa);
	cr_assert(pte & PTE_P);
	cr_assert_eq(mm->zero_ptes, 2);
	cr_assert_eq(mm_inject(mm, MM_INJECT_WRITABLE_ZERO, BASE + PG), -EINVAL);  /* no PTE */
	cr_assert_eq(mm_inject(mm, MM_INJECT_WRITABLE_ZERO, BASE), 0);
	cr_assert(pte_of(mm, BASE) & PTE_W);
	cr_assert_eq(mm_inject(mm, 99, BASE), -EINVAL);
	/* munmap of the VMA keeps the table holding the stray entry... */
	cr_assert_eq(do_munmap(mm, BASE, 2 * PG), 0);
	cr_assert_neq(pte_of(mm, BASE + 2 * PG), 0);
	/* ...and exit_mmap takes it all. */
	cr_assert_eq(mm_destroy(mm->id), 0);
	cr_assert_eq(mm_g.pages[mm_g.zero_pa >> 12].refcount, 0);
	check_all();
}

Test(mm, seqcount_and_requests)
{
	uint32_t s = mm_g.table->seq;
	struct mm_struct *mm;

	cr_assert_eq(s & MM_SEQ_WRITERS, 0);
	mm_seq_begin();
	cr_assert_eq(mm_g.table->seq, s + 1);
	mm_seq_end();
	cr_assert_eq(mm_g.table->seq, s + 0x100, "the generation moves, no writer left");
	s = mm_g.table->seq;
	/* Two CPUs inside at once: busy until both have ended. */
	mm_seq_begin();
	mm_seq_begin();
	cr_assert_eq(mm_g.table->seq & MM_SEQ_WRITERS, 2);
	mm_seq_end();
	cr_assert_eq(mm_g.table->seq & MM_SEQ_WRITERS, 1);
	mm_seq_end();
	cr_assert_eq(mm_g.table->seq, s + 0x200);
	s = mm_g.table->seq;
	cr_assert_eq(mm_g.table->requests, 0);
	/* A request on an mm that does not exist leaves everything alone. */
	cr_assert_null(mm_request_begin(12345));
	cr_assert_eq(mm_g.table->seq, s);
	mm = new_mm();
	cr_assert_eq(mm_request_begin(mm->id), mm);
	cr_assert_eq(mm_g.table->seq, s + 1);
	cr_assert_eq(mm->mmap_lock, MMAP_LOCK_WRITER, "held for writing during the request");
	mm_request_end(mm);
	cr_assert_eq(mm_g.table->seq, s + 0x100);
	cr_assert_eq(mm->mmap_lock, 0);
	cr_assert_eq(mm_g.table->requests, 1);
}

/* An id's slot is looked up under its mmap_lock: a destroyed id is gone,
 * and its slot's struct serves the next mm with another id. */
Test(mm, lookup_under_the_lock)
{
	struct mm_struct *mm = new_mm();
	uint32_t id = mm->id;

	cr_assert_eq(mm_get(id, false), mm);
	cr_assert_eq(mm->mmap_lock, MMAP_LOCK_READER);
	mmap_unlock_read(&mm->mmap_lock);
	cr_assert_eq(mm_destroy(id), 0);
	cr_assert_null(mm_get(id, true));
	cr_assert_eq(mm->mmap_lock, 0, "a failed lookup holds nothing");
	int id2 = mm_create();
	cr_assert_gt(id2, 0);
	cr_assert_neq((uint32_t)id2, id);
	cr_assert_null(mm_lookup(id));
	cr_assert_null(mm_get(id, false));
	cr_assert_eq(mm_destroy((uint32_t)id2), 0);
}

/* The counters reach the mm table only at the end of a request, all at once. */
Test(mm, counters_published_at_request_end)
{
	struct mm_struct *mm = new_mm();
	const struct mm_desc *d = mm->desc;

	cr_assert_eq(mm_request_begin(mm->id), mm);
	map_fixed(mm, BASE, 4 * PG, RW);
	touch(mm, BASE, true);
	touch(mm, BASE + PG, false);
	cr_assert_eq(d->map_count, 0);
	cr_assert_eq(d->vma_head, 0);
	cr_assert_eq(d->rss_pages, 0);
	mm_request_end(mm);
	cr_assert_eq(d->map_count, 1);
	cr_assert_eq(d->vma_head, (uint64_t)(uintptr_t)mm->mmap);
	cr_assert_eq(d->rss_pages, 1);
	cr_assert_eq(d->zero_ptes, 1);
	cr_assert_eq(d->pt_pages, 3);
	check_all();
}

Test(mm, slab_returns_empty_pages)
{
	struct mm_struct *mm = new_mm();
	uint64_t used = frames_used();

	/* Enough VMAs for several slab pages, then none. */
	for (int i = 0; i < 500; i++)
		map_fixed(mm, BASE + 2 * i * PG, PG, RO);
	cr_assert_gt(frames_used(), used + 10);
	do_munmap(mm, BASE, 1000 * PG);
	cr_assert_eq(frames_used(), used);
	check_all();
}
