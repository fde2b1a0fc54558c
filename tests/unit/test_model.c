/*
 * Random mmap / munmap / mprotect / touch sequences on two address spaces,
 * compared page by page with a plain model (mapped? prot? no page, the
 * zero page or a frame holding a known byte?), with every invariant
 * checked after every step.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tests/unit/fake_arch.h"

#define WINDOW 384

enum page_state { P_NONE, P_ZERO, P_FRAME };

struct model_page {
	bool mapped;
	uint32_t prot;
	enum page_state state;
	uint8_t byte;
};

struct model {
	struct mm_struct *mm;
	struct model_page p[WINDOW];
};

TestSuite(model, .init = fake_setup);

static uint64_t rnd(uint64_t n)
{
	return (uint64_t)random() % n;
}

static uint64_t va(uint64_t page)
{
	return BASE + page * PG;
}

static void model_mmap(struct model *m, uint64_t a, uint64_t n, uint32_t prot)
{
	cr_assert_eq(map_fixed(m->mm, va(a), n * PG, prot), (long)va(a));
	for (uint64_t i = a; i < a + n; i++)
		m->p[i] = (struct model_page){ .mapped = true, .prot = prot, .state = P_NONE };
}

static void model_munmap(struct model *m, uint64_t a, uint64_t n)
{
	cr_assert_eq(do_munmap(m->mm, va(a), n * PG), 0);
	for (uint64_t i = a; i < a + n; i++)
		m->p[i] = (struct model_page){ 0 };
}

static void model_mprotect(struct model *m, uint64_t a, uint64_t n, uint32_t prot)
{
	int want = 0;
	uint64_t i;

	if (!m->p[a].mapped) {
		want = -ENOMEM;
	} else {
		for (i = a; i < a + n && m->p[i].mapped; i++)
			m->p[i].prot = prot;
		if (i < a + n)
			want = -ENOMEM;
	}
	cr_assert_eq(do_mprotect(m->mm, va(a), n * PG, prot), want, "mprotect %lx+%lx",
		     (unsigned long)a, (unsigned long)n);
}

static void model_touch(struct model *m, uint64_t a, bool write)
{
	struct model_page *p = &m->p[a];
	int want = 0, got;

	if (!p->mapped)
		want = MM_FAULT_MAPERR;
	else if (write ? !(p->prot & MM_PROT_WRITE) : !p->prot)
		want = MM_FAULT_ACCERR;
	got = touch(m->mm, va(a), write);
	cr_assert_eq(got, want, "touch %lx %s", (unsigned long)a, write ? "write" : "read");
	if (want)
		return;
	if (write) {
		uint64_t pa = pte_of(m->mm, va(a)) & PTE_ADDR;
		p->state = P_FRAME;
		p->byte = (uint8_t)(1 + rnd(255));
		fake_ram[pa + (a % 4096)] = p->byte;
	} else if (p->state == P_NONE) {
		p->state = P_ZERO;
	}
}

static void model_compare(struct model *m)
{
	for (uint64_t i = 0; i < WINDOW; i++) {
		struct model_page *p = &m->p[i];
		struct vm_area_struct *v = vma_at(m->mm, va(i));
		uint64_t pte = pte_of(m->mm, va(i)), pa = pte & PTE_ADDR;

		cr_assert_eq(v != NULL, p->mapped, "page %lx mapped", (unsigned long)i);
		if (v)
			cr_assert_eq(v->vm_flags & VM_ACCESS_FLAGS, p->prot, "page %lx prot", (unsigned long)i);
		switch (p->state) {
		case P_NONE:
			cr_assert_eq(pte, 0, "page %lx should have no PTE", (unsigned long)i);
			break;
		case P_ZERO:
			cr_assert_eq(pa, mm_g.zero_pa, "page %lx should map the zero page", (unsigned long)i);
			break;
		case P_FRAME:
			cr_assert(pte && pa != mm_g.zero_pa, "page %lx should have a frame", (unsigned long)i);
			cr_assert_eq(fake_ram[pa + (i % 4096)], p->byte, "page %lx lost its data",
				     (unsigned long)i);
			break;
		}
	}
}

static void random_step(struct model *m)
{
	static const uint32_t prots[] = { NONE, RO, RW, MM_PROT_WRITE, RO | MM_PROT_EXEC };
	uint64_t a = rnd(WINDOW), n = 1 + rnd(rnd(4) ? 8 : 64);
	uint32_t prot = prots[rnd(5)];

	if (a + n > WINDOW)
		n = WINDOW - a;
	switch (rnd(8)) {
	case 0:
	case 1:
		model_mmap(m, a, n, prot);
		break;
	case 2:
		model_munmap(m, a, n);
		break;
	case 3:
		model_mprotect(m, a, n, prot);
		break;
	default:
		for (uint64_t i = 0; i < n; i++)
			model_touch(m, a + i, rnd(2));
	}
}

Test(model, random_operations_match_the_model)
{
	static struct model m[2];

	srandom(7);
	m[0].mm = new_mm();
	m[1].mm = new_mm();
	for (int step = 0; step < 4000; step++) {
		struct model *cur = &m[rnd(2)];
		switch_mm(cur->mm);
		random_step(cur);
		model_compare(cur);
		if (step % 4 == 0)
			check_all();
	}
	check_all();
	cr_assert_eq(mm_destroy(m[0].mm->id), 0);
	cr_assert_eq(mm_destroy(m[1].mm->id), 0);
	cr_assert_eq(frames_used(), 1);
	check_all();
}
