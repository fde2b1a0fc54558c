/*
 * Bounds-checked access to guest-physical memory from the host.
 *
 * Every address or length that the guest wrote is untrusted: it goes through
 * these helpers, whose arithmetic cannot overflow, before the host touches
 * memory.  A struct gmem is a plain view (RAM pointer and size), so the same
 * code runs against a live VM or a buffer in a unit test.
 */
#ifndef VMM_GMEM_H
#define VMM_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "shared/layout.h"

struct gmem {
	uint8_t *ram;             /* host address of guest-physical 0 */
	uint64_t size;            /* bytes of RAM */
};

/* True if [gpa, gpa + len) lies wholly inside RAM (len may be 0). */
static inline bool gmem_range_ok(const struct gmem *g, uint64_t gpa, uint64_t len)
{
	return gpa <= g->size && len <= g->size - gpa;
}

/* Host pointer to [gpa, gpa + len), or NULL if it leaves RAM. */
static inline void *gmem_ptr(const struct gmem *g, uint64_t gpa, uint64_t len)
{
	return gmem_range_ok(g, gpa, len) ? g->ram + gpa : NULL;
}

/* Copy len bytes at gpa into buf: 0, or -1 (buf untouched) if out of RAM. */
static inline int gmem_read(const struct gmem *g, uint64_t gpa, void *buf, uint64_t len)
{
	if (!gmem_range_ok(g, gpa, len))
		return -1;
	memcpy(buf, g->ram + gpa, len);
	return 0;
}

/* Read one aligned 64-bit word (page-table entries): 0 or -1. */
static inline int gmem_read_u64(const struct gmem *g, uint64_t gpa, uint64_t *val)
{
	if ((gpa & 7) || !gmem_range_ok(g, gpa, 8))
		return -1;
	*val = __atomic_load_n((const uint64_t *)(const void *)(g->ram + gpa), __ATOMIC_RELAXED);
	return 0;
}

/* Translate a guest direct-map virtual address to guest-physical: 0 or -1. */
static inline int gmem_direct_to_gpa(const struct gmem *g, uint64_t gva, uint64_t len, uint64_t *gpa)
{
	if (gva < DIRECT_MAP_BASE)
		return -1;
	uint64_t pa = gva - DIRECT_MAP_BASE;
	if (!gmem_range_ok(g, pa, len))
		return -1;
	*gpa = pa;
	return 0;
}

#endif
