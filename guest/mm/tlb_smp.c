/*
 * Several CPUs and one TLB each (docs/tlb.md): switch_mm with Linux x86's
 * lazy TLB mode and tlb_gen, the shootdown of flush_tlb_mm_range on the
 * other CPUs that may cache an mm, the flush IPI's general handler (its
 * fast path: tlb_ipi.h), and the test-only knobs that break a shootdown on
 * purpose.  The IPI itself is the architecture's (arch_send_tlb_ipi, its
 * handler guest/arch/x86_64/tlb_ipi.c).
 */
#include "guest/mm/mm.h"
#include "guest/mm/mm_tlblog.h"
#include "guest/mm/mm_trace.h"
#include "guest/mm/tlb.h"
#include "guest/mm/tlb_ipi.h"

struct tlb_cpu tlb_cpus[MM_CPUS_MAX];

/* Test-only knob (mm_inject_tlb): armed for the next shootdown, then off. */
static struct {
	int kind;                     /* MM_INJECT_TLB_*, 0: none */
	unsigned cpu;                 /* MM_INJECT_TLB_SKIP_IPI: the CPU skipped */
} knob;
uint8_t tlb_knob_armed;               /* knob.kind != 0 */

static void knob_off(void)
{
	knob.kind = 0;
	tlb_knob_armed = 0;
}

static struct mm_cpu_tlb *pub(unsigned cpu)
{
	return &mm_g.table->cpus[cpu];
}

void mm_cpu_online(unsigned cpu)
{
	this_cpu_mm()->pub = pub(cpu);
	tlb_cpus[cpu].is_lazy = 0;
	pub(cpu)->loaded_mm = 0;
	pub(cpu)->lazy = 0;
}

static inline void full_barrier(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Load mm's page tables (NULL: the kernel's) on this CPU, interrupts off. */
static void load_mm(unsigned cpu, struct mm_percpu *pc, struct mm_struct *old,
		    struct mm_struct *mm)
{
	if (old)
		__atomic_and_fetch(&old->cpu_mask, ~(1ULL << cpu), __ATOMIC_SEQ_CST);
	tlb_cpus[cpu].is_lazy = 0;
	pub(cpu)->lazy = 0;
	if (mm) {
		/* The bit before tlb_gen: a flush that misses the bit has
		 * bumped tlb_gen before, and the CR3 load covers it. */
		__atomic_or_fetch(&mm->cpu_mask, 1ULL << cpu, __ATOMIC_SEQ_CST);
		pc->loaded_gen = __atomic_load_n(&mm->tlb_gen, __ATOMIC_SEQ_CST);
	}
	pc->current_mm = mm;
	arch_load_cr3(mm ? mm->pml4_pa : mm_g.kernel_pml4_pa);
	pub(cpu)->loaded_mm = mm ? mm->id : 0;
	pub(cpu)->cr3_loads++;
	TLBLOG(TLOG_CR3_LOAD, mm ? mm->id : 0, mm ? mm->pml4_pa : mm_g.kernel_pml4_pa, 0);
}

void switch_mm(struct mm_struct *mm)
{
	unsigned cpu = smp_processor_id();
	struct mm_percpu *pc = this_cpu_mm();
	struct mm_struct *old = pc->current_mm;

	if (old != mm) {
		load_mm(cpu, pc, old, mm);
		return;
	}
	if (!mm || !tlb_cpus[cpu].is_lazy)
		return;
	/* Back from lazy mode: flushes that skipped us moved tlb_gen. */
	tlb_cpus[cpu].is_lazy = 0;
	pub(cpu)->lazy = 0;
	full_barrier();
	uint64_t gen = __atomic_load_n(&mm->tlb_gen, __ATOMIC_SEQ_CST);
	bool stale = pc->loaded_gen < gen;
	if (stale) {
		arch_flush_tlb_all();
		pc->loaded_gen = gen;
		pub(cpu)->flushes++;
	}
	TLBLOG(TLOG_LAZY_EXIT, mm->id, stale, 0);
}

void mm_lazy_enter(void)
{
	unsigned cpu = smp_processor_id();
	struct mm_struct *mm = this_cpu_mm()->current_mm;

	if (!mm || tlb_cpus[cpu].is_lazy)
		return;
	tlb_cpus[cpu].is_lazy = 1;
	pub(cpu)->lazy = 1;
	TLBLOG(TLOG_LAZY_ENTER, mm->id, 0, 0);
}

/* Flush [start, end) of this CPU's TLB: page by page up to the ceiling
 * (pages_short fewer: an injected bug), else all of it. */
static void local_flush(uint32_t mm_id, uint64_t start, uint64_t end, unsigned pages_short)
{
	unsigned cpu = smp_processor_id();

	pub(cpu)->flushes++;
	if ((end - start) >> PAGE_SHIFT > TLB_SINGLE_PAGE_FLUSH_CEILING) {
		arch_flush_tlb_all();
		TLBLOG(TLOG_FLUSH_ALL, mm_id, 0, 0);
		return;
	}
	end -= (uint64_t)pages_short << PAGE_SHIFT;
	for (uint64_t va = start; va < end; va += PAGE_SIZE)
		arch_flush_tlb_page(va);
	if (end - start == PAGE_SIZE)
		TLBLOG(TLOG_FLUSH_PAGE, mm_id, start, 0);
	else if (end > start)
		TLBLOG(TLOG_FLUSH_RANGE, mm_id, start, end);
}

void tlb_flush_local_injected(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	bool short_by_one = knob.kind == MM_INJECT_TLB_SHORT_RANGE;

	if (short_by_one)
		knob_off();
	pub(smp_processor_id())->flushes--;     /* local_flush counts it again */
	local_flush(mm->id, start, end, short_by_one);
}

/* The flush request info on this CPU (the IPI's target): Linux's
 * flush_tlb_func. */
static void flush_func(const struct tlb_flush_info *f)
{
	unsigned cpu = smp_processor_id();
	struct mm_percpu *pc = this_cpu_mm();

	if (pc->current_mm != f->mm)
		return;         /* switched away since: the CR3 load flushed it */
	if (tlb_cpus[cpu].is_lazy) {
		/* Lazy, and sent the request because page tables are freed:
		 * stop using them at once (Linux switches to init_mm). */
		load_mm(cpu, pc, f->mm, NULL);
		return;
	}
	if (f->new_gen <= pc->loaded_gen)
		return;         /* a flush already covered it */
	if (f->new_gen == pc->loaded_gen + 1) {
		local_flush(f->mm->id, f->start, f->end, 0);
	} else {
		arch_flush_tlb_all();
		pub(cpu)->flushes++;
		TLBLOG(TLOG_FLUSH_ALL, f->mm->id, 0, 0);
	}
	pc->loaded_gen = f->new_gen;
}

/* Acknowledge request f: the initiator counts its targets' acks. */
static inline void ack(struct tlb_flush_info *f)
{
	__atomic_add_fetch(&f->acks, 1, __ATOMIC_RELEASE);
}

void mm_tlb_ipi_slow(void)
{
	unsigned cpu = smp_processor_id();
	uint64_t p = __atomic_exchange_n(&tlb_cpus[cpu].pending, 0, __ATOMIC_ACQUIRE);

	while (p) {
		unsigned from = (unsigned)__builtin_ctzll(p);
		struct tlb_flush_info *f = &tlb_cpus[from].info;
		bool early = f->ack_first;

		p &= p - 1;
		pub(cpu)->ipis_recv++;
		TLBLOG(TLOG_IPI_RECV, f->mm->id, from, f->id);
		if (early) {    /* injected: acknowledge, then flush */
			struct tlb_flush_info copy = *f;
			TLBLOG(TLOG_IPI_ACK, copy.mm->id, from, copy.id);
			ack(f);
			/* ...and only after the initiator has freed: the bug shows. */
			while (!f->done && f->id == copy.id)
				arch_irq_window();
			flush_func(&copy);
			continue;
		}
		flush_func(f);
		TLBLOG(TLOG_IPI_ACK, f->mm->id, from, f->id);
		ack(f);
	}
}

/* Which of the other CPUs in mask get the request (Linux's
 * should_flush_tlb): every one not lazy; a lazy one only when page-table
 * pages are being freed (it could walk them speculatively). */
static uint64_t shootdown_targets(unsigned cpu, uint64_t mask, bool freed_tables)
{
	uint64_t targets = 0;

	for (uint64_t m = mask; m; m &= m - 1) {
		unsigned c = (unsigned)__builtin_ctzll(m);
		bool lazy = tlb_cpus[c].is_lazy;
		bool skip_lazy = knob.kind == MM_INJECT_TLB_SKIP_LAZY && lazy && freed_tables;

		if (lazy && (!freed_tables || skip_lazy)) {
			pub(cpu)->lazy_skips++;
			continue;
		}
		if (knob.kind == MM_INJECT_TLB_SKIP_IPI && knob.cpu == c)
			continue;
		targets |= 1ULL << c;
	}
	if (knob.kind == MM_INJECT_TLB_SKIP_LAZY || knob.kind == MM_INJECT_TLB_SKIP_IPI)
		knob_off();
	return targets;
}

/* The general path: the knobs and the log points.  The targets' own slow
 * path is turned on for good (tlb_cpu.slow) before they see the request. */
static __attribute__((noinline)) void shootdown_slow(struct mm_struct *mm, uint64_t start,
						     uint64_t end, uint64_t gen, bool freed_tables,
						     uint64_t others)
{
	unsigned cpu = smp_processor_id();
	struct tlb_cpu *me = &tlb_cpus[cpu];
	uint64_t targets = shootdown_targets(cpu, others, freed_tables);
	uint32_t n = 0;

	if (!targets)
		return;
	me->info = (struct tlb_flush_info){
		.mm = mm, .start = start, .end = end, .new_gen = gen,
		.full = (end - start) >> PAGE_SHIFT > TLB_SINGLE_PAGE_FLUSH_CEILING,
		.freed_tables = freed_tables, .id = ++me->next_id,
		.ack_first = knob.kind == MM_INJECT_TLB_ACK_EARLY,
	};
	if (knob.kind == MM_INJECT_TLB_ACK_EARLY)
		knob_off();
	full_barrier();
	for (uint64_t m = targets; m; m &= m - 1, n++) {
		unsigned c = (unsigned)__builtin_ctzll(m);
		tlb_cpus[c].slow = 1;
		__atomic_or_fetch(&tlb_cpus[c].pending, 1ULL << cpu, __ATOMIC_SEQ_CST);
		TLBLOG(TLOG_IPI_SEND, mm->id, c, me->info.id);
		pub(cpu)->ipis_sent++;
		arch_send_tlb_ipi(c);
	}
	/* Interrupts on while waiting: a CPU that waits for us answers. */
	while (__atomic_load_n(&me->info.acks, __ATOMIC_ACQUIRE) != n)
		arch_irq_window();
	__atomic_store_n(&me->info.done, 1, __ATOMIC_RELEASE);
}

/*
 * Every CPU of others not lazy gets the request, and a lazy one too when
 * page tables are freed (Linux's should_flush_tlb).  The request is this
 * CPU's info, filled before the first pending bit is set (the lock or
 * orders it); the wait ends when every target has added its ack.
 */
void tlb_shootdown(struct mm_struct *mm, uint64_t start, uint64_t end, uint64_t gen,
		   bool freed_tables, uint64_t others)
{
	unsigned cpu = smp_processor_id();
	struct tlb_cpu *me = &tlb_cpus[cpu];
	struct tlb_flush_info *f = &me->info;
	uint64_t bit = 1ULL << cpu;
	uint32_t n = 0, skipped = 0, t0 = arch_tsc32();

	if (__builtin_expect(tlb_knob_armed | mm_tlblog_on, 0)) {
		shootdown_slow(mm, start, end, gen, freed_tables, others);
		this_cpu_mm()->pub->shootdown_tsc = (uint32_t)(arch_tsc32() - t0);
		return;
	}
	f->mm = mm;
	f->start = start;
	f->end = end;
	f->new_gen = gen;
	f->full = (end - start) >> PAGE_SHIFT > TLB_SINGLE_PAGE_FLUSH_CEILING;
	f->freed_tables = freed_tables;
	f->acks = 0;
	for (uint64_t m = others; m; m &= m - 1) {
		unsigned c = (unsigned)__builtin_ctzll(m);
		if (tlb_cpus[c].is_lazy && !freed_tables) {
			skipped++;
			continue;
		}
		__atomic_or_fetch(&tlb_cpus[c].pending, bit, __ATOMIC_SEQ_CST);
		arch_send_tlb_ipi(c);
		n++;
	}
	struct mm_cpu_tlb *p = this_cpu_mm()->pub;
	p->ipis_sent += n;
	p->lazy_skips += skipped;
	/* Interrupts on while waiting: a CPU that waits for us answers. */
	while (__atomic_load_n(&f->acks, __ATOMIC_ACQUIRE) != n)
		arch_irq_window();
	p->shootdown_tsc = (uint32_t)(arch_tsc32() - t0);
}

bool tlb_free_early(void)
{
	bool early = knob.kind == MM_INJECT_TLB_FREE_EARLY;

	if (early)
		knob_off();
	return early;
}

int mm_inject_tlb(int kind, unsigned cpu)
{
	if (kind < MM_INJECT_TLB_SKIP_IPI || kind > MM_INJECT_TLB_SHORT_RANGE ||
	    cpu >= MM_CPUS_MAX)
		return -EINVAL;
	knob.kind = kind;
	knob.cpu = cpu;
	tlb_knob_armed = 1;
	return 0;
}
