/*
 * A bound on the host memory that reading the guest's structures may take.
 * How much a reader collects (leaves, tables, VMAs) is decided by what the
 * guest wrote, so a hostile guest could make the host allocate without
 * limit; the readers of one snapshot grow their arrays through one budget
 * instead, and stop with -E2BIG when it is spent (docs/inspection.md,
 * "Trust").
 */
#ifndef VMM_INSPECT_BUDGET_H
#define VMM_INSPECT_BUDGET_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

struct host_budget {
	size_t used;             /* bytes held: the capacities of the arrays */
	size_t max;
};

/* Charge bytes that the caller allocates by itself: 0, or -E2BIG (nothing
 * charged) if they do not fit. */
static inline int budget_charge(struct host_budget *b, size_t bytes)
{
	if (bytes > b->max - b->used)
		return -E2BIG;
	b->used += bytes;
	return 0;
}

/*
 * Make room for element n in *arr, an array of *cap elements of elem bytes
 * (n <= *cap): 0, -E2BIG if the budget b (NULL: none) cannot hold it, or
 * -ENOMEM.  The old and the new array are counted together while realloc
 * may hold both, so b->max bounds the peak, not only what remains.
 */
static inline int budget_grow(struct host_budget *b, void **arr, size_t *cap, size_t n,
			      size_t elem)
{
	size_t ncap, room;
	void *na;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 64;
	if (b) {
		room = (b->max - b->used) / elem;
		if (ncap > room)
			ncap = room;
		if (ncap <= n)
			return -E2BIG;
	} else if (ncap > SIZE_MAX / elem) {
		return -ENOMEM;
	}
	na = realloc(*arr, ncap * elem);
	if (!na)
		return -ENOMEM;
	if (b)
		b->used += (ncap - *cap) * elem;
	*arr = na;
	*cap = ncap;
	return 0;
}

#endif
