/*
 * Trace points of the memory manager (shared/trace.h, docs/trace.md).
 *
 * A step calls TRACE(ev, args...): while tracing is off that is one test
 * of a byte flag (cmpb + jne: the record is built out of line, and the
 * arguments are evaluated only when it is on).  The helpers below compute
 * what a step explains (why a merge did not happen, what a chain holds)
 * only when it is on, out of line.
 *
 * Builds: the guest (guest/kernel/trace.c records into the per-CPU ring);
 * the host unit tests' mm_host (MM_HOST_TEST: no trace, the calls vanish);
 * MM_HOST_TEST with MM_TRACE_HOST (tests/trace: a recording implementation).
 */
#ifndef GUEST_MM_MM_TRACE_H
#define GUEST_MM_MM_TRACE_H

#include "guest/mm/mm_types.h"
#include "shared/trace.h"

#if defined(MM_HOST_TEST) && !defined(MM_TRACE_HOST)
#define mm_trace_on 0
static inline void trace_emit(uint32_t ev, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
			      uint64_t a4)
{
	(void)ev, (void)a0, (void)a1, (void)a2, (void)a3, (void)a4;
}
#else
/* Copied from the trace control page at the start of every request. */
extern uint8_t mm_trace_on;
/* Record one step on this CPU (out of line, cold). */
void trace_emit(uint32_t ev, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4)
	__attribute__((cold));
#endif

#if defined(__x86_64__) && !defined(__SSE__)
#define TRACE_ARG6(f, a0, a1, a2, a3, a4, a5, ...) \
	TRACE_INVOKE((f), (uint64_t)(a0), (uint64_t)(a1), (uint64_t)(a2), (uint64_t)(a3), \
		     (uint64_t)(a4), (uint64_t)(a5))
/*
 * Code without SSE (the guest; the benchmark): the call goes through
 * trace_thunk (guest/kernel/trace.c), which takes the function and its six
 * arguments from the stack and keeps every register.  So the code around
 * a trace point keeps its registers too: a leaf stays a leaf, nothing is
 * spilled for the cold path, and the hot path pays the flag test alone.
 * (No red zone there: the pushes are safe.)
 */
#define TRACE_INVOKE(f, a0, a1, a2, a3, a4, a5) \
	asm volatile inline("push %6\n\tpush %5\n\tpush %4\n\tpush %3\n\tpush %2\n\tpush %1\n\t" \
		     "push %0\n\tcall trace_thunk\n\tadd $56, %%rsp" \
		     : : "re"((uint64_t)(f)), "re"(a0), "re"(a1), "re"(a2), "re"(a3), "re"(a4), "re"(a5) \
		     : "memory", "cc")
/* The thunk, for one file of the program to define with asm(TRACE_THUNK_ASM). */
#define TRACE_THUNK_ASM \
	".text\n.globl trace_thunk\n.type trace_thunk, @function\ntrace_thunk:\n" \
	"\tpush %rax\n\tpush %rcx\n\tpush %rdx\n\tpush %rsi\n\tpush %rdi\n" \
	"\tpush %r8\n\tpush %r9\n\tpush %r10\n\tpush %r11\n" \
	"\tmov 88(%rsp), %rdi\n\tmov 96(%rsp), %rsi\n\tmov 104(%rsp), %rdx\n" \
	"\tmov 112(%rsp), %rcx\n\tmov 120(%rsp), %r8\n\tmov 128(%rsp), %r9\n" \
	"\tmov 80(%rsp), %rax\n\tpush %rbp\n\tmov %rsp, %rbp\n\tand $-16, %rsp\n" \
	"\tcall *%rax\n\tmov %rbp, %rsp\n\tpop %rbp\n" \
	"\tpop %r11\n\tpop %r10\n\tpop %r9\n\tpop %r8\n\tpop %rdi\n\tpop %rsi\n" \
	"\tpop %rdx\n\tpop %rcx\n\tpop %rax\n\tret\n.size trace_thunk, .-trace_thunk\n"
/* TRACE(ev, up to 5 arguments): record step ev when tracing is on. */
#define TRACE(...) TRACE_FN(trace_emit, __VA_ARGS__)
/* TRACE_FN(fn, up to 6 arguments): call fn (one of the helpers below, or
 * trace_emit) when tracing is on.  Integer and pointer arguments only. */
#define TRACE_FN(...) do { \
		if (__builtin_expect(mm_trace_on, 0)) \
			TRACE_ARG6(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0); \
	} while (0)
#else
/* Elsewhere (the unit tests' host build): plain calls. */
#define TRACE_A5(ev, a0, a1, a2, a3, a4, ...) \
	trace_emit((ev), (uint64_t)(a0), (uint64_t)(a1), (uint64_t)(a2), (uint64_t)(a3), \
		   (uint64_t)(a4))
#define TRACE(...) do { \
		if (__builtin_expect(mm_trace_on, 0)) \
			TRACE_A5(__VA_ARGS__, 0, 0, 0, 0, 0); \
	} while (0)
#define TRACE_FN(f, ...) do { \
		if (__builtin_expect(mm_trace_on, 0)) \
			f(__VA_ARGS__); \
	} while (0)
#endif

#define TRACE_COLD static __attribute__((cold, noinline, unused))

/* VMAs in the chain first .. last (vm_next), and whether mm's lookup
 * cache points at one of them. */
TRACE_COLD void mm_trace_detach(struct mm_struct *mm, struct vm_area_struct *first,
				struct vm_area_struct *last)
{
	uint64_t n = 0, cached = 0;

	for (struct vm_area_struct *v = first; v; v = v == last ? NULL : v->vm_next) {
		n++;
		cached |= mm->mmap_cache == v;
	}
	trace_emit(TEV_DETACH, first->vm_start, last->vm_end, n, mm->map_count - n, cached);
}

TRACE_COLD void mm_trace_remove_list(struct vm_area_struct *vma)
{
	uint64_t n = 0, start = vma ? vma->vm_start : 0, end = 0;

	for (; vma; vma = vma->vm_next, n++)
		end = vma->vm_end;
	trace_emit(TEV_REMOVE_VMA_LIST, n, start, end, 0, 0);
}

TRACE_COLD void mm_trace_find_vma_prev(uint64_t addr, const struct vm_area_struct *vma,
				       const struct vm_area_struct *prev)
{
	trace_emit(TEV_FIND_VMA_PREV, addr, vma ? vma->vm_start : 0, vma ? vma->vm_end : 0,
		   prev ? prev->vm_start : 0, prev ? prev->vm_end : 0);
}

/* Leaves among n gathered frames that were the zero page. */
TRACE_COLD void mm_trace_free_gathered(const uint64_t *batch, unsigned n, uint64_t zero_pa,
				       unsigned tables)
{
	uint64_t zeros = 0;

	for (unsigned i = 0; i < n; i++)
		zeros += batch[i] == zero_pa;
	trace_emit(TEV_FREE_GATHERED, n, zeros, tables, 0, 0);
}

/* Why a neighbour v (prev when is_prev) of [start, end) with flags, pgoff
 * and anon did not merge: TRACE_WHY_* bits (0: it could). */
TRACE_COLD unsigned mm_trace_why(const struct vm_area_struct *v, bool is_prev, uint64_t start,
				 uint64_t end, uint64_t flags, uint64_t pgoff,
				 const struct anon_vma *anon)
{
	unsigned why = 0;

	if (!v)
		return TRACE_WHY_NONE;
	if (is_prev ? v->vm_end != start : v->vm_start != end)
		why |= TRACE_WHY_GAP;
	if (v->vm_flags != flags)
		why |= TRACE_WHY_FLAGS;
	if (is_prev ? v->vm_pgoff + ((v->vm_end - v->vm_start) >> PAGE_SHIFT) != pgoff
		    : v->vm_pgoff != pgoff + ((end - start) >> PAGE_SHIFT))
		why |= TRACE_WHY_PGOFF;
	if (anon && v->anon_vma && anon != v->anon_vma)
		why |= TRACE_WHY_ANON;
	return why;
}

/* A merge decision for [start, end): left/right as taken; edges -1 for a
 * new range, else (a change of an existing range) 1 if it reaches the left
 * edge, 2 the right one. */
struct mm_trace_merge {
	const struct vm_area_struct *prev, *next;
	uint64_t start, end, flags, pgoff;
	const struct anon_vma *anon;
	bool left, right;
	int edges;
};

TRACE_COLD void mm_trace_merge(const struct mm_trace_merge *m)
{
	const struct vm_area_struct *prev = m->prev, *next = m->next;
	uint64_t start = m->start, end = m->end, flags = m->flags, pgoff = m->pgoff;
	const struct anon_vma *anon = m->anon;
	bool left = m->left, right = m->right;
	int edges = m->edges;
	unsigned wp = 0, wn = 0;

	if (!left) {
		wp = edges >= 0 && !(edges & 1) ? TRACE_WHY_EDGE :
		     mm_trace_why(prev, true, start, end, flags, pgoff, anon);
	}
	if (!right) {
		wn = edges >= 0 && !(edges & 2) ? TRACE_WHY_EDGE :
		     mm_trace_why(next, false, start, end, flags, pgoff, anon);
		if (!wn && left)
			wn = TRACE_WHY_PREV_NEXT;
	}
	trace_emit(TEV_VMA_MERGE, (left ? TRACE_MERGE_PREV : 0) | (right ? TRACE_MERGE_NEXT : 0),
		   start, end, wp, wn);
}

#endif
