/*
 * Fake architecture for the memory manager's unit tests (fake RAM, recorded
 * CR3 loads, TLB flushes and discards) and small helpers the tests share.
 */
#include <criterion/criterion.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "tests/unit/fake_arch.h"

struct fake_arch fake;
uint8_t *fake_ram;
static struct mm_percpu fake_cpu;
unsigned mm_host_cpu;           /* always 0: one fake CPU */

struct mm_percpu *this_cpu_mm(void)
{
	return &fake_cpu;
}

void *phys_to_virt(uint64_t pa)
{
	return fake_ram + pa;
}

uint64_t virt_to_phys(const void *va)
{
	const uint8_t *p = va;

	if (p < fake_ram || p >= fake_ram + FAKE_RAM_SIZE)
		cr_assert_fail("virt_to_phys: %p outside fake RAM", va);
	return (uint64_t)(p - fake_ram);
}

void arch_load_cr3(uint64_t pml4_pa)
{
	fake.cr3 = pml4_pa;
	fake.cr3_loads++;
}

void arch_flush_tlb_page(uint64_t va)
{
	fake.flush_pages++;
	fake.last_flush_va = va;
	if (fake.on_flush)
		fake.on_flush();
}

void arch_flush_tlb_all(void)
{
	fake.flush_all++;
	if (fake.on_flush)
		fake.on_flush();
}

/* One fake CPU: no mm is ever loaded on another, so nothing is sent. */
void arch_send_tlb_ipi(unsigned cpu)
{
	cr_assert_fail("arch_send_tlb_ipi(%u) with one CPU", cpu);
}

/* Only lock waits call it (tests/unit/test_locks.c: threads share the one
 * fake CPU): let the holder run. */
void arch_irq_window(void)
{
	sched_yield();
}

uint32_t arch_tsc32(void)
{
	return 0;
}

void arch_discard_frames(const uint64_t *pas, unsigned n)
{
	if (n == 0 || n > ARCH_DISCARD_MAX)
		cr_assert_fail("arch_discard_frames: %u frames", n);
	(void)virt_to_phys(pas);
	for (unsigned i = 0; i < n; i++) {
		uint64_t pa = pas[i];
		if ((pa & 0xfff) || pa < FAKE_FREE_START || pa >= FAKE_RAM_SIZE)
			cr_assert_fail("arch_discard_frames: bad frame %#lx", (unsigned long)pa);
		if (mm_g.pages[pa >> 12].type != PAGE_T_FREE)
			cr_assert_fail("arch_discard_frames: frame %#lx in use", (unsigned long)pa);
		memset(fake_ram + pa, 0, 4096);
	}
	fake.discards++;
	fake.discarded += n;
}

void panic(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cr_assert_fail("panic: %s", buf);
	abort();
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(stderr, fmt, ap);
	va_end(ap);
	return n;
}

void fake_reset_counts(void)
{
	fake.flush_pages = fake.flush_all = fake.discards = fake.discarded = 0;
	fake.cr3_loads = 0;
}

void fake_setup(void)
{
	uint64_t *kpml4;

	/* Called again for a fresh start (test_scen_random, per seed): the
	 * old RAM goes, or every seed's pages would stay mapped (and be
	 * copied by every later fork). */
	if (fake_ram)
		munmap(fake_ram, FAKE_RAM_SIZE);
	fake_ram = mmap(NULL, FAKE_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	cr_assert(fake_ram != MAP_FAILED);
	memset(&fake, 0, sizeof fake);
	memset(&fake_cpu, 0, sizeof fake_cpu);
	/* A master PML4 with two kernel-half entries (direct map, kernel image). */
	kpml4 = (uint64_t *)(fake_ram + FAKE_KPML4_GPA);
	kpml4[273] = 0x3000 | PTE_P | PTE_W;
	kpml4[511] = 0x4000 | PTE_P | PTE_W;
	mm_init(FAKE_FREE_START, FAKE_RAM_SIZE, kpml4);
}

struct mm_struct *new_mm(void)
{
	int id = mm_create();
	struct mm_struct *mm;

	cr_assert_gt(id, 0);
	mm = mm_lookup((uint32_t)id);
	cr_assert_not_null(mm);
	switch_mm(mm);
	return mm;
}

long map_fixed(struct mm_struct *mm, uint64_t addr, uint64_t len, uint32_t prot)
{
	return do_mmap(mm, addr, len, prot, MM_MAP_FIXED);
}

int touch(struct mm_struct *mm, uint64_t addr, bool write)
{
	uint64_t pte = pte_of(mm, addr);
	uint32_t ec = PF_USER | (write ? PF_WRITE : 0);

	/* The error code the CPU would give: P set when a present PTE refused. */
	if (pte & PTE_P) {
		if (!write || (pte & PTE_W))
			return 0;       /* the access would just succeed */
		ec |= PF_PROT;
	}
	return handle_mm_fault(mm, addr, ec);
}

uint64_t pte_of(struct mm_struct *mm, uint64_t addr)
{
	uint64_t pte;
	int level;

	mm_pte_lookup(mm, addr, &pte, &level);
	return pte;
}

int vma_count(struct mm_struct *mm)
{
	int n = 0;

	for (struct vm_area_struct *v = mm->mmap; v; v = v->vm_next)
		n++;
	return n;
}

struct vm_area_struct *vma_at(struct mm_struct *mm, uint64_t addr)
{
	struct vm_area_struct *v = find_vma(mm, addr);

	return v && v->vm_start <= addr ? v : NULL;
}

const char *maps_string(struct mm_struct *mm)
{
	static char buf[8192];
	size_t n = 0;

	buf[0] = 0;
	for (struct vm_area_struct *v = mm->mmap; v && n < sizeof buf - 100; v = v->vm_next)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%lx-%lx %c%c%c%s%s%s\n",
				      (unsigned long)((v->vm_start - BASE) / PG),
				      (unsigned long)((v->vm_end - BASE) / PG),
				      v->vm_flags & VM_READ ? 'r' : '-', v->vm_flags & VM_WRITE ? 'w' : '-',
				      v->vm_flags & VM_EXEC ? 'x' : '-',
				      v->vm_flags & VM_ACCOUNT ? " ac" : "", v->anon_vma ? " anon" : "",
				      v->vm_pgoff == v->vm_start >> 12 ? "" : " MOVEDPGOFF");
	return buf;
}

uint64_t frames_used(void)
{
	return mm_g.table->frames_total - mm_g.table->frames_free;
}
