/*
 * The words of the trace: each step's name as the munmap figure names it
 * (do_munmap, find_vma_prev, split_vma, detach_vmas_to_be_unmapped,
 * unmap_region, remove_vma_list) and one line saying what it did and why,
 * from the record's arguments (shared/trace.h).  The arguments are the
 * guest's word: they are printed, never used to index anything.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "shared/channel.h"
#include "vmm/trace/trace.h"

#define X "0x%" PRIx64

static const char *const req_names[OP_NR] = {
	[OP_MMAP] = "do_mmap", [OP_MUNMAP] = "do_munmap", [OP_MPROTECT] = "do_mprotect",
	[OP_TOUCH] = "touch", [OP_FILL] = "fill", [OP_CHECK] = "check",
	[OP_VMA_LIST] = "vma_list", [OP_PTE] = "pte", [OP_STATS] = "stats",
	[OP_INJECT] = "inject", [OP_MREMAP] = "do_mremap", [OP_MADVISE] = "do_madvise",
	[OP_MLOCK] = "do_mlock", [OP_MUNLOCK] = "do_munlock",
};

static const char *const step_names[TEV_NR] = {
	[TEV_FIND_VMA_PREV] = "find_vma_prev", [TEV_SPLIT_VMA] = "split_vma",
	[TEV_DETACH] = "detach_vmas_to_be_unmapped", [TEV_UNMAP_REGION_ENTER] = "unmap_region",
	[TEV_UNMAP_REGION_EXIT] = "unmap_region", [TEV_ZAP_PTES] = "zap_pte_range",
	[TEV_FREE_PGTABLE] = "free_pgtables", [TEV_TLB_FLUSH] = "flush_tlb_mm_range",
	[TEV_FREE_GATHERED] = "tlb_finish_mmu", [TEV_REMOVE_VMA_LIST] = "remove_vma_list",
	[TEV_VMA_MERGE] = "vma_merge", [TEV_VMA_LINK] = "vma_link",
	[TEV_VMA_FLAGS] = "vma_modify_flags", [TEV_CHANGE_PROT] = "change_protection",
	[TEV_FAULT_ENTER] = "handle_mm_fault", [TEV_FAULT_EXIT] = "handle_mm_fault",
	[TEV_FAULT_RESOLVE] = "do_anonymous_page", [TEV_MOVE_VMA] = "move_vma",
	[TEV_POPULATE] = "populate_vma_page_range",
};

int trace_event_nesting(uint16_t ev)
{
	switch (ev) {
	case TEV_REQ_ENTER: case TEV_UNMAP_REGION_ENTER: case TEV_FAULT_ENTER:
		return 1;
	case TEV_REQ_EXIT: case TEV_UNMAP_REGION_EXIT: case TEV_FAULT_EXIT:
		return -1;
	default:
		return 0;
	}
}

static const char *req_name(uint64_t op)
{
	return op < OP_NR && req_names[op] ? req_names[op] : "request";
}

const char *trace_event_name(const struct trace_fmt *st, const struct trace_event *e)
{
	(void)st;
	if (e->ev == TEV_REQ_ENTER)
		return req_name(e->a[0] & 0xffff);
	if (e->ev == TEV_REQ_EXIT)
		return req_name(e->a[0]);
	if (e->ev == TEV_FAULT_RESOLVE && e->a[0] == TRACE_FAULT_FIX)
		return "fix_existing_pte";
	if (e->ev == TEV_FAULT_RESOLVE && e->a[0] == TRACE_FAULT_COW)
		return "do_wp_page";
	return e->ev < TEV_NR && step_names[e->ev] ? step_names[e->ev] : "step";
}

/* A little appender: printf at *off into buf, never past len. */
struct out {
	char *buf;
	size_t len, off;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->off >= o->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->off, o->len - o->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->off += (size_t)n;
}

static void put_range(struct out *o, uint64_t start, uint64_t end)
{
	put(o, X "-" X, start, end);
}

static void put_result(struct out *o, uint64_t op, int64_t r)
{
	const char *name = r < 0 && r >= -CHAN_ERRNO_MAX ? strerrorname_np((int)-r) : NULL;

	if (name)
		put(o, "-%s", name);
	else if ((op == OP_MMAP || op == OP_MREMAP) && r > 0)
		put(o, X, (uint64_t)r);
	else
		put(o, "%" PRId64, r);
}

static void put_prot(struct out *o, uint64_t p)
{
	put(o, "%c%c%c", p & PROT_READ_ABI ? 'r' : '-', p & PROT_WRITE_ABI ? 'w' : '-',
	    p & PROT_EXEC_ABI ? 'x' : '-');
}

static void req_enter(struct out *o, const struct trace_event *e)
{
	uint64_t op = e->a[0] & 0xffff;
	const uint64_t *w = &e->a[1];

	put(o, "%s(", req_name(op));
	switch (op) {
	case OP_MMAP:
		put(o, "addr=" X ", len=" X ", prot=", w[0], w[1]);
		put_prot(o, w[2] & 0xffffffff);
		put(o, ", flags=" X ")", w[2] >> 32);
		break;
	case OP_MPROTECT:
		put(o, "start=" X ", len=" X ", prot=", w[0], w[1]);
		put_prot(o, w[2] & 0xffffffff);
		put(o, ")");
		break;
	case OP_TOUCH:
		put(o, "addr=" X ", len=" X ", %s)", w[0], w[1], (w[2] & 0xffffffff) ? "write" : "read");
		break;
	case OP_MREMAP:
		put(o, "addr=" X ", old_len=" X ", new_len=" X ", new_addr=" X ")", w[0], w[1], w[2], w[3]);
		break;
	case OP_MADVISE:
	case OP_MLOCK:
		put(o, "start=" X ", len=" X ", %s=%" PRIu64 ")", w[0], w[1],
		    op == OP_MADVISE ? "advice" : "flags", w[2] & 0xffffffff);
		break;
	default:
		put(o, "start=" X ", len=" X ")", w[0], w[1]);
	}
	put(o, " {   /* mm %" PRIu64 " */", (e->a[0] >> 16) & 0xffffffff);
}

static const char *why_text(uint64_t why)
{
	static const char *const names[] = { "none there", "not adjacent", "flags differ",
		"pgoff not continuous", "anon_vma differs", "change does not reach that edge",
		"prev and next anon_vmas differ: prev wins" };

	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
		if (why & (1u << i))
			return names[i];
	return "?";
}

static void merge(struct out *o, const uint64_t *a)
{
	static const char *const kind[] = { "none", "prev", "next", "both" };

	put(o, "vma_merge(");
	put_range(o, a[1], a[2]);
	put(o, ") -> %s", kind[a[0] & 3]);
	if (a[3])
		put(o, "; not prev: %s", why_text(a[3]));
	if (a[4])
		put(o, "; not next: %s", why_text(a[4]));
}

/* free_pgtables' floor/ceiling rule, as the guest applies it. */
static void pgtable(struct out *o, const uint64_t *a)
{
	static const char *const level[] = { "?", "PT", "PD", "PDPT" };
	unsigned lv = a[0] < 4 ? (unsigned)a[0] : 0;
	uint64_t span = lv ? 1ULL << (12 + 9 * lv) : 0, base = a[1], end = base + span;

	put(o, "free_pgtables: %s ", level[lv]);
	put_range(o, base, end);
	if (base < a[2])
		put(o, " kept: starts below floor " X " (prev VMA's end)", a[2]);
	else if (end > a[3] || end < base)
		put(o, " kept: ends above ceiling " X " (next VMA's start)", a[3]);
	else if (a[4])
		put(o, " kept: %" PRIu64 " entries still used", a[4]);
	else
		put(o, " freed: empty, inside [floor " X ", ceiling " X ")", a[2], a[3]);
}

static void flush(struct out *o, const uint64_t *a)
{
	uint64_t pages = (a[1] - a[0]) >> 12, self = a[3] < 64 ? 1ULL << a[3] : 0;
	uint64_t others = a[2] & ~self;

	put(o, "flush_tlb_mm_range(");
	put_range(o, a[0], a[1]);
	if (!(a[2] & self))
		put(o, ") -> mm not loaded on CPU %" PRIu64 ": no local flush", a[3]);
	else if (pages > a[4])
		put(o, ") -> full flush on CPU %" PRIu64 " (%" PRIu64 " pages > %" PRIu64 ")", a[3],
		    pages, a[4]);
	else
		put(o, ") -> invlpg x %" PRIu64 " on CPU %" PRIu64, pages, a[3]);
	if (!others) {
		put(o, "; no IPI (no other CPU has the mm)");
		return;
	}
	put(o, "; IPI to CPU");
	for (unsigned c = 0; c < 64; c++)
		if (others & (1ULL << c))
			put(o, " %u", c);
}

static void fault_text(struct out *o, const uint64_t *a, bool enter)
{
	static const char *const res[] = { "resolved", "SEGV_MAPERR", "SEGV_ACCERR" };
	static const char *const kind[] = { "?", "zero page mapped read-only",
		"new frame", "copy-on-write: page copied or reused", "PTE already there: fixed up" };

	if (enter) {
		put(o, "handle_mm_fault(addr=" X ", %s%s) {", a[0], a[1] & 2 ? "write" : "read",
		    a[1] & 1 ? ", protection" : "");
		return;
	}
	put(o, "%s(" X ") -> %s " X, a[0] == TRACE_FAULT_FIX ? "fix_existing_pte" :
	    a[0] == TRACE_FAULT_COW ? "do_wp_page" : "do_anonymous_page", a[1],
	    kind[a[0] < 5 ? a[0] : 0], a[2]);
	(void)res;
}

/* split_vma's side: the request's start is the front split, its end the rear. */
static const char *split_side(const struct trace_fmt *st, const struct trace_event *e)
{
	unsigned c = e->cpu;

	if (st->req_end[c] > st->req_start[c] && e->a[0] == st->req_start[c])
		return "front, ";
	if (st->req_end[c] > st->req_start[c] && e->a[0] == st->req_end[c])
		return "rear, ";
	return "";
}

/* find_vma_prev and split_vma. */
static void vma_step(struct out *o, const struct trace_fmt *st, const struct trace_event *e)
{
	const uint64_t *a = e->a;

	switch (e->ev) {
	case TEV_FIND_VMA_PREV:
		put(o, "find_vma_prev(" X ") -> vma ", a[0]);
		if (a[1] || a[2]) put_range(o, a[1], a[2]); else put(o, "none");
		put(o, ", prev ");
		if (a[3] || a[4]) put_range(o, a[3], a[4]); else put(o, "none");
		break;
	case TEV_SPLIT_VMA:
		put(o, "split_vma(%sat " X ") -> ", split_side(st, e), a[0]);
		put_range(o, a[1], a[0]);
		put(o, " + ");
		put_range(o, a[0], a[2]);
		put(o, " (VMAs %" PRIu64 " -> %" PRIu64 ")", a[3], a[3] + 1);
		break;
	}
}

static void body(struct out *o, const struct trace_fmt *st, const struct trace_event *e)
{
	const uint64_t *a = e->a;

	switch (e->ev) {
	case TEV_REQ_ENTER: req_enter(o, e); break;
	case TEV_REQ_EXIT: put(o, "} = "); put_result(o, a[0], (int64_t)a[1]); break;
	case TEV_FIND_VMA_PREV: case TEV_SPLIT_VMA: vma_step(o, st, e); break;
	case TEV_DETACH:
		put(o, "detach_vmas_to_be_unmapped(");
		put_range(o, a[0], a[1]);
		put(o, ") -> %" PRIu64 " VMA%s out of tree and list, map_count %" PRIu64 ", %s",
		    a[2], a[2] == 1 ? "" : "s", a[3],
		    a[4] ? "mmap_cache invalidated" : "mmap_cache untouched (not one of them)");
		break;
	case TEV_UNMAP_REGION_ENTER:
		put(o, "unmap_region(");
		put_range(o, a[0], a[1]);
		put(o, ", floor=" X ", ceiling=" X ") {", a[2], a[3]);
		break;
	case TEV_UNMAP_REGION_EXIT: case TEV_FAULT_EXIT:
		put(o, "}");
		if (e->ev == TEV_FAULT_EXIT)
			put(o, " = %s", (int64_t)a[0] == 0 ? "resolved" : (int64_t)a[0] == 1 ?
			    "SEGV_MAPERR" : (int64_t)a[0] == 2 ? "SEGV_ACCERR" : "-ENOMEM");
		break;
	case TEV_ZAP_PTES:
		put(o, "zap_pte_range(");
		put_range(o, a[0], a[1]);
		put(o, ") -> %" PRIu64 " PTE%s cleared (page table at " X ")", a[2],
		    a[2] == 1 ? "" : "s", a[3]);
		break;
	case TEV_FREE_PGTABLE: pgtable(o, a); break;
	case TEV_TLB_FLUSH: flush(o, a); break;
	case TEV_FREE_GATHERED:
		put(o, "tlb_finish_mmu -> %" PRIu64 " frame%s freed after the flush, %" PRIu64
		    " zero-page PTE%s dropped, %" PRIu64 " page-table page%s freed", a[0] - a[1],
		    a[0] - a[1] == 1 ? "" : "s", a[1], a[1] == 1 ? "" : "s", a[2], a[2] == 1 ? "" : "s");
		break;
	case TEV_REMOVE_VMA_LIST:
		put(o, "remove_vma_list -> %" PRIu64 " VMA%s freed", a[0], a[0] == 1 ? "" : "s");
		if (a[0]) { put(o, " ("); put_range(o, a[1], a[2]); put(o, ")"); }
		break;
	case TEV_VMA_MERGE: merge(o, a); break;
	case TEV_VMA_LINK:
		put(o, "vma_link(");
		put_range(o, a[0], a[1]);
		put(o, ") -> new VMA, flags " X, a[2]);
		break;
	case TEV_VMA_FLAGS:
		put(o, "vma_modify_flags(");
		put_range(o, a[0], a[1]);
		put(o, ") -> flags " X " -> " X, a[2], a[3]);
		break;
	case TEV_CHANGE_PROT:
		put(o, "change_protection(");
		put_range(o, a[0], a[1]);
		put(o, ") -> flags " X, a[2]);
		break;
	case TEV_FAULT_ENTER: fault_text(o, a, true); break;
	case TEV_FAULT_RESOLVE: fault_text(o, a, false); break;
	case TEV_MOVE_VMA:
		put(o, "move_vma(" X ", len " X " -> " X ", len " X ")", a[0], a[1], a[2], a[3]);
		break;
	case TEV_POPULATE:
		put(o, "populate_vma_page_range(");
		put_range(o, a[0], a[1]);
		put(o, ", %s)", a[2] ? "write" : "read");
		break;
	default:
		put(o, "event %u", e->ev);
	}
}

void trace_text_body(const struct trace_fmt *st, const struct trace_event *e, char *buf,
		     size_t len)
{
	struct out o = { buf, len, 0 };

	if (len)
		buf[0] = '\0';
	body(&o, st, e);
}
