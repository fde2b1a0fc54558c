/*
 * fork, copy-on-write and exit on the guest mm, with exact counts: frame
 * reference (map) counts, rss, page-table entries, anon_vma chains, and
 * the order of unmap, flush and free.  What Linux makes of the same
 * operations (transcripts, merges) is checked by the scenario tests
 * (test_scen_corpus.c, test_scen_random.c); these pin down the guest's own
 * bookkeeping.
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"

TestSuite(fork, .init = fake_setup);

static struct mm_struct *fork_of(struct mm_struct *mm)
{
	int id = mm_fork(mm->id);

	cr_assert_gt(id, 0, "mm_fork: %d", id);
	return mm_lookup((uint32_t)id);
}

static uint64_t frame_of(struct mm_struct *mm, uint64_t addr)
{
	return pte_of(mm, addr) & PTE_ADDR;
}

static void write_pages(struct mm_struct *mm, uint64_t addr, unsigned n)
{
	switch_mm(mm);
	for (unsigned i = 0; i < n; i++)
		cr_assert_eq(touch(mm, addr + i * PG, true), MM_FAULT_RESOLVED);
}

Test(fork, shares_private_pages_read_only_with_exact_counts)
{
	struct mm_struct *p = new_mm(), *c;

	map_fixed(p, BASE, 4 * PG, RW);
	write_pages(p, BASE, 4);
	map_fixed(p, BASE + 16 * PG, 2 * PG, RW);     /* never written: no anon_vma */
	cr_assert(pte_of(p, BASE) & PTE_W);
	c = fork_of(p);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t a = BASE + i * PG, pa = frame_of(p, a);
		cr_assert_eq(frame_of(c, a), pa, "the child maps the parent's frame");
		cr_assert_eq(mm_g.pages[pa >> 12].refcount, 2);
		cr_assert_not(pte_of(p, a) & PTE_W, "parent's entry write-protected");
		cr_assert_not(pte_of(c, a) & PTE_W, "child's entry write-protected");
	}
	cr_assert_eq(c->rss_pages, 4);
	cr_assert_eq(p->rss_pages, 4);
	cr_assert_eq(pte_of(c, BASE + 16 * PG), 0, "no anon_vma: no entries copied");
	cr_assert_eq(c->map_count, p->map_count);
	cr_assert_eq(c->desc->parent, p->id, "the child publishes its parent");
	cr_assert_eq(p->desc->parent, 0);
	check_all();
}

Test(fork, write_copies_a_shared_page_and_reuses_the_last_mapping)
{
	struct mm_struct *p = new_mm(), *c;
	uint64_t pa, copy, used;

	map_fixed(p, BASE, 2 * PG, RW);
	write_pages(p, BASE, 2);
	memset(fake_ram + frame_of(p, BASE), 0x5a, PG);
	pa = frame_of(p, BASE);
	c = fork_of(p);
	used = frames_used();
	write_pages(c, BASE, 1);                            /* do_wp_page: copy */
	copy = frame_of(c, BASE);
	cr_assert_neq(copy, pa);
	cr_assert_eq(frames_used(), used + 1);
	cr_assert_eq(fake_ram[copy + 100], 0x5a, "the copy has the data");
	cr_assert_eq(mm_g.pages[pa >> 12].refcount, 1);
	cr_assert_eq(mm_g.pages[copy >> 12].refcount, 1);
	cr_assert(pte_of(c, BASE) & PTE_W);
	cr_assert_not(pte_of(p, BASE) & PTE_W, "the parent's entry waits for its own fault");
	write_pages(p, BASE, 1);                            /* the only mapping left: reuse */
	cr_assert_eq(frame_of(p, BASE), pa);
	cr_assert(pte_of(p, BASE) & PTE_W);
	cr_assert_eq(frames_used(), used + 1);
	check_all();
}

Test(fork, zero_page_entries_are_shared_and_never_written)
{
	struct mm_struct *p = new_mm(), *c;
	uint32_t zref;

	map_fixed(p, BASE, 2 * PG, RW);
	write_pages(p, BASE + PG, 1);                       /* gives the VMA its anon_vma */
	cr_assert_eq(touch(p, BASE, false), MM_FAULT_RESOLVED);
	zref = mm_g.pages[mm_g.zero_pa >> 12].refcount;
	c = fork_of(p);
	cr_assert_eq(frame_of(c, BASE), mm_g.zero_pa);
	cr_assert_eq(mm_g.pages[mm_g.zero_pa >> 12].refcount, zref + 1);
	cr_assert_eq(c->zero_ptes, 1);
	write_pages(c, BASE, 1);
	cr_assert_neq(frame_of(c, BASE), mm_g.zero_pa);
	cr_assert_eq(mm_g.pages[mm_g.zero_pa >> 12].refcount, zref);
	check_all();
}

static uint64_t watched;
static unsigned flushes_while_held;

static void still_held(void)
{
	if (mm_g.pages[watched >> 12].type == PAGE_T_USER)
		flushes_while_held++;
}

Test(fork, munmap_keeps_pages_another_mm_maps_and_frees_the_last_after_the_flush)
{
	struct mm_struct *p = new_mm(), *c;
	uint64_t used;

	map_fixed(p, BASE, 2 * PG, RW);
	write_pages(p, BASE, 2);
	watched = frame_of(p, BASE);
	c = fork_of(p);
	switch_mm(c);
	used = frames_used();
	cr_assert_eq(do_munmap(c, BASE, 2 * PG), 0);
	cr_assert_eq(mm_g.pages[watched >> 12].type, PAGE_T_USER, "still mapped by the parent");
	cr_assert_eq(mm_g.pages[watched >> 12].refcount, 1);
	cr_assert_eq(c->rss_pages, 0);
	cr_assert_geq(used - frames_used(), 1, "only the child's page table goes");
	switch_mm(p);
	flushes_while_held = 0;
	fake.on_flush = still_held;
	cr_assert_eq(do_munmap(p, BASE, 2 * PG), 0);
	fake.on_flush = NULL;
	cr_assert_gt(flushes_while_held, 0, "the frame was freed before the flush");
	cr_assert_eq(mm_g.pages[watched >> 12].type, PAGE_T_FREE);
	check_all();
}

Test(fork, exit_of_every_process_leaks_nothing)
{
	uint64_t used = frames_used();
	struct mm_struct *p = new_mm(), *c, *g;
	uint32_t pid, cid, gid;

	map_fixed(p, BASE, 8 * PG, RW);
	write_pages(p, BASE, 8);
	c = fork_of(p);
	write_pages(c, BASE, 3);
	g = fork_of(c);
	write_pages(g, BASE + 4 * PG, 2);
	pid = p->id;
	cid = c->id;
	gid = g->id;
	switch_mm(NULL);
	cr_assert_eq(mm_destroy(cid), 0);                    /* the middle one first */
	check_all();
	cr_assert_eq(mm_destroy(pid), 0);
	check_all();
	cr_assert_eq(mm_destroy(gid), 0);
	check_all();
	cr_assert_eq(frames_used(), used, "frames leaked: %lu before, %lu after",
		     (unsigned long)used, (unsigned long)frames_used());
}

Test(fork, anon_vma_chains_as_anon_vma_fork_builds_them)
{
	struct mm_struct *p = new_mm(), *c, *g;
	struct vm_area_struct *pv, *cv, *gv;

	map_fixed(p, BASE, 2 * PG, RW);
	write_pages(p, BASE, 1);
	pv = vma_at(p, BASE);
	cr_assert_eq(anon_chain_length(pv), 1);
	cr_assert_eq(pv->anon_vma->num_children, 1, "a root is its own parent");
	c = fork_of(p);
	cv = vma_at(c, BASE);
	cr_assert_neq(cv->anon_vma, pv->anon_vma, "a child VMA gets its own anon_vma");
	cr_assert_eq(cv->anon_vma->parent, pv->anon_vma);
	cr_assert_eq(anon_chain_length(cv), 2);
	cr_assert(vma_had_uncowed_parents(cv));
	cr_assert_not(vma_had_uncowed_parents(pv));
	cr_assert_eq(pv->anon_vma->num_children, 2);
	g = fork_of(c);
	gv = vma_at(g, BASE);
	cr_assert_eq(anon_chain_length(gv), 3);
	cr_assert_eq(gv->anon_vma->parent, cv->anon_vma);
	/* The middle process exits: its anon_vma stays (its child chains it),
	 * with no VMA of its own and one child... */
	switch_mm(NULL);
	cr_assert_eq(mm_destroy(c->id), 0);
	/* ...so a fork of the grandchild reuses it (anon_vma_clone). */
	{
		struct anon_vma *mid = gv->anon_chain->next->anon_vma;
		struct mm_struct *gg = fork_of(g);
		struct vm_area_struct *ggv = vma_at(gg, BASE);
		cr_assert_eq(mid->num_active_vmas, 1);
		cr_assert_eq(ggv->anon_vma, mid, "reused the exited process's anon_vma");
		cr_assert_eq(anon_chain_length(ggv), 3);
	}
	check_all();
}

Test(fork, dontcopy_and_wipeonfork)
{
	struct mm_struct *p = new_mm(), *c;

	map_fixed(p, BASE, 3 * PG, RW);
	write_pages(p, BASE, 3);
	cr_assert_eq(do_madvise(p, BASE, PG, MM_MADV_DONTFORK), 0);
	cr_assert_eq(do_madvise(p, BASE + 2 * PG, PG, MM_MADV_WIPEONFORK), 0);
	c = fork_of(p);
	cr_assert_null(find_vma_intersection(c, BASE, BASE + PG), "dontfork: absent");
	cr_assert_not_null(vma_at(c, BASE + 2 * PG));
	cr_assert_null(vma_at(c, BASE + 2 * PG)->anon_vma, "wipeonfork: empty");
	cr_assert_eq(pte_of(c, BASE + 2 * PG), 0);
	cr_assert_eq(frame_of(c, BASE + PG), frame_of(p, BASE + PG));
	cr_assert(pte_of(p, BASE + 2 * PG) & PTE_W, "the parent keeps its wipeonfork page writable");
	check_all();
}

Test(fork, mprotect_keeps_cow_pages_read_only)
{
	struct mm_struct *p = new_mm();

	map_fixed(p, BASE, PG, RW);
	write_pages(p, BASE, 1);
	fork_of(p);
	switch_mm(p);
	cr_assert_eq(do_mprotect(p, BASE, PG, RO), 0);
	cr_assert_eq(do_mprotect(p, BASE, PG, RW), 0);
	cr_assert_not(pte_of(p, BASE) & PTE_W, "a page shared after fork stays read-only");
	check_all();
}

Test(fork, shared_memory_is_not_copied_and_lives_while_mapped)
{
	struct mm_struct *p = new_mm(), *c;
	uint64_t pa, used;

	cr_assert_eq(do_mmap(p, BASE, 2 * PG, RW, FIX | MM_MAP_SHARED), (long)BASE);
	write_pages(p, BASE, 1);
	pa = frame_of(p, BASE);
	cr_assert_eq(mm_g.pages[pa >> 12].type, PAGE_T_SHMEM);
	cr_assert_eq(mm_g.pages[pa >> 12].refcount, 2, "one PTE plus the object");
	c = fork_of(p);
	cr_assert_eq(pte_of(c, BASE), 0, "shared: no entries copied");
	switch_mm(c);
	cr_assert_eq(touch(c, BASE + PG, false), MM_FAULT_RESOLVED);
	cr_assert_eq(frame_of(c, BASE), pa, "fault-around mapped the object's page");
	cr_assert_eq(mm_g.pages[pa >> 12].refcount, 3);
	switch_mm(p);
	cr_assert_eq(do_munmap(p, BASE, 2 * PG), 0);
	cr_assert_eq(mm_g.pages[pa >> 12].refcount, 2);
	used = frames_used();
	switch_mm(NULL);
	cr_assert_eq(mm_destroy(c->id), 0);
	cr_assert_eq(mm_g.pages[pa >> 12].type, PAGE_T_FREE, "the last mapping freed the object");
	cr_assert_lt(frames_used(), used);
	check_all();
}

Test(fork, page_share_states)
{
	struct mm_struct *p = new_mm(), *c;
	uint8_t st[4];

	map_fixed(p, BASE, 3 * PG, RW);
	write_pages(p, BASE, 2);
	cr_assert_eq(touch(p, BASE + 2 * PG, false), MM_FAULT_RESOLVED);   /* the zero page */
	c = fork_of(p);
	write_pages(c, BASE + PG, 1);                          /* the child's own copy */
	cr_assert_eq(mm_page_share(p, BASE, 4, st), 0);
	cr_assert_eq(st[0], MM_PAGE_SHARED);
	cr_assert_eq(st[1], MM_PAGE_EXCLUSIVE);
	cr_assert_eq(st[2], MM_PAGE_SHARED, "the zero page counts as shared");
	cr_assert_eq(st[3], MM_PAGE_NONE);
	/* Beyond TASK_SIZE nothing is mapped: no walk of the kernel half. */
	cr_assert_eq(mm_page_share(p, 0x800000000000ULL - PG, 2, st), 0);
	cr_assert_eq(st[0], MM_PAGE_NONE);
	cr_assert_eq(st[1], MM_PAGE_NONE);
	cr_assert_eq(mm_page_share(p, BASE + 1, 1, st), -EINVAL);
	check_all();
}
