/* The munmap pipeline (munmap.c), shared with mmap's MAP_FIXED replacement. */
#ifndef GUEST_MM_MUNMAP_H
#define GUEST_MM_MUNMAP_H

#include "guest/mm/mm_types.h"

/* Unmap [start, end) (page aligned, start < end <= TASK_SIZE): 0, or -ENOMEM
 * with nothing changed (a hole inside one VMA at the map_count limit, or no
 * memory for the split VMAs).  *pprev and *pnext get the VMAs around the
 * range afterwards (NULL if none). */
int munmap_range(struct mm_struct *mm, uint64_t start, uint64_t end,
		 struct vm_area_struct **pprev, struct vm_area_struct **pnext);

#endif
