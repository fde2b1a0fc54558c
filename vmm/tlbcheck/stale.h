/*
 * The bounded set of what CPUs may still cache after the guest changed its
 * page tables (model.c): possibly-stale leaf translations (cpu, mm, va ->
 * frame) and possibly-cached page-table pages (cpu, mm, span -> table).
 * A fixed pool of `cap` entries, allocated once; found by CPU (a list), by
 * (cpu, kind, level, address) for flushes and by physical address for
 * frees, each in O(1) plus the entries it removes or returns.
 */
#ifndef VMM_TLBCHECK_STALE_H
#define VMM_TLBCHECK_STALE_H

#include <stdint.h>

#include "vmm/tlbcheck/tlbcheck.h"

#define STALE_NIL   UINT32_MAX

enum stale_kind { STALE_LEAF = 0, STALE_TABLE = 1 };

struct stale_ent {
	uint64_t va;              /* leaf: the page; table: the start of its span */
	uint64_t phys;            /* leaf: the frame; table: the table page */
	uint64_t seq;             /* the PTE clear or unlink event */
	uint64_t freed_seq;       /* leaf: its frame freed meanwhile (0: not) */
	uint32_t mm;
	uint16_t cpu;             /* the CPU that may hold it */
	uint16_t by_cpu;          /* the CPU that logged the clear or unlink */
	uint8_t kind, level;      /* enum stale_kind; table: 1 PT, 2 PD, 3 PDPT */
	uint8_t in_phys;          /* on its physical-address chain */
	uint8_t used;
	uint32_t cpu_prev, cpu_next, key_prev, key_next, phys_prev, phys_next;
};

struct stale_set {
	struct stale_ent *e;
	uint32_t cap, used, free_head;
	uint32_t mask;                    /* buckets - 1 */
	uint32_t *key_b, *phys_b[2];      /* bucket heads; phys by kind */
	uint32_t cpu_head[TLBCHECK_CPUS];
	uint32_t cpu_n[TLBCHECK_CPUS];
};

/* 0, or -ENOMEM. */
int stale_init(struct stale_set *s, uint32_t cap);
void stale_fini(struct stale_set *s);

/* Add a copy of *ent (kind, cpu, mm, va, phys, seq, by_cpu, level set): 0,
 * 0 if the same entry is held already, -ENOSPC if the set is full. */
int stale_add(struct stale_set *s, const struct stale_ent *ent);

/* Drop every entry of cpu (a CR3 load, a full flush). */
void stale_drop_cpu(struct stale_set *s, unsigned cpu);

/* Drop cpu's leaves in the n pages from first (page-aligned) and its tables
 * whose span meets one of them. */
void stale_flush_pages(struct stale_set *s, unsigned cpu, uint64_t first, uint64_t n);

/* The same for an invlpg at start, start + 4K, ... below end. */
void stale_flush(struct stale_set *s, unsigned cpu, uint64_t start, uint64_t end);

/* The first entry of kind on phys's chain, then the next: index or STALE_NIL. */
uint32_t stale_phys_first(const struct stale_set *s, unsigned kind, uint64_t phys);
uint32_t stale_phys_next(const struct stale_set *s, uint32_t i);

/* Take entry i off its physical-address chain (it stays held). */
void stale_phys_forget(struct stale_set *s, uint32_t i);

/* Bytes spanned by a table of level (1..3). */
static inline uint64_t stale_span(unsigned level)
{
	return 1ULL << (12 + 9 * level);
}

#endif
