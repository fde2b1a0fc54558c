/*
 * The stale set (stale.h): one pool allocated up front, three kinds of
 * doubly linked chains through it (per CPU, per lookup key, per physical
 * address), so that a flush or a free costs what it finds, and the host's
 * memory does not depend on what the guest logs.
 */
#include <errno.h>
#include <stdlib.h>

#include "vmm/tlbcheck/stale.h"

static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint32_t key_hash(const struct stale_set *s, unsigned cpu, unsigned kind, unsigned level,
			 uint64_t va)
{
	return (uint32_t)mix(va ^ (uint64_t)cpu << 48 ^ (uint64_t)(kind * 4 + level) << 56) & s->mask;
}

static uint32_t phys_hash(const struct stale_set *s, uint64_t phys)
{
	return (uint32_t)mix(phys) & s->mask;
}

int stale_init(struct stale_set *s, uint32_t cap)
{
	uint32_t buckets = 1;

	*s = (struct stale_set){ .cap = cap, .free_head = STALE_NIL };
	if (cap == 0 || cap > (1u << 24))
		return -EINVAL;
	while (buckets < cap)
		buckets <<= 1;
	s->mask = buckets - 1;
	s->e = calloc(cap, sizeof *s->e);
	s->key_b = malloc(buckets * sizeof(uint32_t));
	s->phys_b[0] = malloc(buckets * sizeof(uint32_t));
	s->phys_b[1] = malloc(buckets * sizeof(uint32_t));
	if (!s->e || !s->key_b || !s->phys_b[0] || !s->phys_b[1]) {
		stale_fini(s);
		return -ENOMEM;
	}
	for (uint32_t b = 0; b < buckets; b++)
		s->key_b[b] = s->phys_b[0][b] = s->phys_b[1][b] = STALE_NIL;
	for (uint32_t i = 0; i < cap; i++)
		s->e[i].cpu_next = i + 1 < cap ? i + 1 : STALE_NIL;   /* the free list */
	s->free_head = 0;
	for (unsigned c = 0; c < TLBCHECK_CPUS; c++)
		s->cpu_head[c] = STALE_NIL;
	return 0;
}

void stale_fini(struct stale_set *s)
{
	free(s->e);
	free(s->key_b);
	free(s->phys_b[0]);
	free(s->phys_b[1]);
	*s = (struct stale_set){ 0 };
}

/* Link i at the head of the chain *head through its prev/next fields. */
#define LINK(s, head, i, prev, next)                                  \
	do {                                                          \
		(s)->e[i].prev = STALE_NIL;                           \
		(s)->e[i].next = *(head);                             \
		if (*(head) != STALE_NIL)                             \
			(s)->e[*(head)].prev = (i);                   \
		*(head) = (i);                                        \
	} while (0)

#define UNLINK(s, head, i, prev, next)                                \
	do {                                                          \
		uint32_t p_ = (s)->e[i].prev, n_ = (s)->e[i].next;    \
		if (p_ != STALE_NIL)                                  \
			(s)->e[p_].next = n_;                         \
		else                                                  \
			*(head) = n_;                                 \
		if (n_ != STALE_NIL)                                  \
			(s)->e[n_].prev = p_;                         \
	} while (0)

int stale_add(struct stale_set *s, const struct stale_ent *ent)
{
	uint32_t i = s->free_head;
	struct stale_ent *e;

	if (i == STALE_NIL)
		return -ENOSPC;
	e = &s->e[i];
	s->free_head = e->cpu_next;
	*e = *ent;
	e->used = 1;
	e->in_phys = 1;
	LINK(s, &s->cpu_head[e->cpu], i, cpu_prev, cpu_next);
	LINK(s, &s->key_b[key_hash(s, e->cpu, e->kind, e->level, e->va)], i, key_prev, key_next);
	LINK(s, &s->phys_b[e->kind][phys_hash(s, e->phys)], i, phys_prev, phys_next);
	s->used++;
	s->cpu_n[e->cpu]++;
	return 0;
}

void stale_phys_forget(struct stale_set *s, uint32_t i)
{
	struct stale_ent *e = &s->e[i];

	if (!e->in_phys)
		return;
	UNLINK(s, &s->phys_b[e->kind][phys_hash(s, e->phys)], i, phys_prev, phys_next);
	e->in_phys = 0;
}

static void stale_remove(struct stale_set *s, uint32_t i)
{
	struct stale_ent *e = &s->e[i];

	stale_phys_forget(s, i);
	UNLINK(s, &s->cpu_head[e->cpu], i, cpu_prev, cpu_next);
	UNLINK(s, &s->key_b[key_hash(s, e->cpu, e->kind, e->level, e->va)], i, key_prev, key_next);
	s->cpu_n[e->cpu]--;
	s->used--;
	e->used = 0;
	e->cpu_next = s->free_head;
	s->free_head = i;
}

void stale_drop_cpu(struct stale_set *s, unsigned cpu)
{
	while (s->cpu_head[cpu] != STALE_NIL)
		stale_remove(s, s->cpu_head[cpu]);
}

/* Is one of the n pages from first in [va, va + size)? */
static bool pages_meet(uint64_t first, uint64_t n, uint64_t va, uint64_t size)
{
	if (va >= first)
		return (va - first) >> 12 < n;
	return first - va < size;
}

static bool flushed_by(const struct stale_ent *e, uint64_t first, uint64_t n)
{
	if (e->kind == STALE_LEAF)
		return pages_meet(first, n, e->va & ~0xfffULL, 1);
	return pages_meet(first, n, e->va, stale_span(e->level));
}

/* Drop cpu's entries under key (kind, level, va) that the pages flush. */
static void drop_key(struct stale_set *s, unsigned cpu, unsigned kind, unsigned level, uint64_t va,
		     uint64_t first, uint64_t n)
{
	uint32_t i = s->key_b[key_hash(s, cpu, kind, level, va)];

	while (i != STALE_NIL) {
		const struct stale_ent *e = &s->e[i];
		uint32_t next = e->key_next;
		if (e->cpu == cpu && e->kind == kind && e->level == level && e->va == va &&
		    flushed_by(e, first, n))
			stale_remove(s, i);
		i = next;
	}
}

void stale_flush(struct stale_set *s, unsigned cpu, uint64_t start, uint64_t end)
{
	if (end > start)
		stale_flush_pages(s, cpu, start & ~0xfffULL, (end - start - 1) / 4096 + 1);
}

void stale_flush_pages(struct stale_set *s, unsigned cpu, uint64_t first, uint64_t n)
{
	if (n == 0 || s->cpu_n[cpu] == 0)
		return;
	/* Walk the CPU's list or look each page up: whichever is shorter. */
	if (n > s->cpu_n[cpu] / 4) {
		for (uint32_t i = s->cpu_head[cpu], next; i != STALE_NIL; i = next) {
			next = s->e[i].cpu_next;
			if (flushed_by(&s->e[i], first, n))
				stale_remove(s, i);
		}
		return;
	}
	for (uint64_t k = 0; k < n; k++) {
		uint64_t p = first + k * 4096;
		drop_key(s, cpu, STALE_LEAF, 0, p, first, n);
		for (unsigned level = 1; level <= 3; level++)
			drop_key(s, cpu, STALE_TABLE, level, p & ~(stale_span(level) - 1), first, n);
	}
}

uint32_t stale_phys_first(const struct stale_set *s, unsigned kind, uint64_t phys)
{
	uint32_t i = s->phys_b[kind][phys_hash(s, phys)];

	while (i != STALE_NIL && s->e[i].phys != phys)
		i = s->e[i].phys_next;
	return i;
}

uint32_t stale_phys_next(const struct stale_set *s, uint32_t i)
{
	uint64_t phys = s->e[i].phys;

	for (i = s->e[i].phys_next; i != STALE_NIL && s->e[i].phys != phys; i = s->e[i].phys_next)
		;
	return i;
}
