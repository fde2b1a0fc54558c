/*
 * The guest's published memory-manager state (shared/mm_abi.h) read from
 * guest RAM: the mm table and each mm's VMA list.  Every guest pointer is
 * validated (direct-map address, inside RAM, aligned), the list walk is
 * bounded, and the ranges must be strictly increasing and non-overlapping;
 * anything else is an error with a message, never a crash.
 *
 * These readers do not take a consistent snapshot by themselves: use
 * snapshot.h when the guest may be running.
 */
#ifndef VMM_INSPECT_VMAS_H
#define VMM_INSPECT_VMAS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/mm_abi.h"
#include "vmm/gmem.h"
#include "vmm/inspect/budget.h"

/* A list longer than this is refused (a cycle or garbage). */
#define VMAS_MAX              (MAX_MAP_COUNT + 64)

struct vma_info {
	uint64_t start, end;     /* [start, end) */
	uint64_t pgoff;
	uint64_t flags;          /* VM_* */
	uint64_t anon_vma;
	uint64_t gva;            /* where the guest keeps it (direct map) */
};

struct vma_list {
	struct vma_info *v;
	size_t n;
	size_t cap;              /* elements allocated */
};

/*
 * Copy the mm table at MM_TABLE_GPA into *t and check its magic and version.
 * Returns 0, or -EFAULT (outside RAM) / -EPROTO (not initialised or another
 * version) with a message in err.
 */
int mmtab_read(const struct gmem *g, struct mm_table *t, char *err, size_t errlen);

/* The used slot with this id, or NULL. */
const struct mm_desc *mmtab_find(const struct mm_table *t, uint32_t id);

/*
 * Read the VMA list of mm into *out (allocated; free with vma_list_free).
 * Returns 0, or a negative errno with a message naming the bad VMA:
 * -EFAULT bad pointer, -ELOOP too long, -EINVAL bad range or order,
 * -ENOMEM.  On error *out is empty.
 */
int vmas_read(const struct gmem *g, const struct mm_desc *mm, struct vma_list *out,
	      char *err, size_t errlen);

/*
 * vmas_read with the list's array grown through budget b (NULL: none): the
 * same results, and -E2BIG (with a message) when b cannot hold the list.
 * On success the list's capacity (out->cap elements) stays charged to b,
 * for the caller to give back when it frees the list; on error nothing
 * stays charged.
 */
int vmas_read_bounded(const struct gmem *g, const struct mm_desc *mm, struct vma_list *out,
		      struct host_budget *b, char *err, size_t errlen);

void vma_list_free(struct vma_list *l);

/* The VMA containing va, or NULL (binary search). */
const struct vma_info *vmas_find(const struct vma_list *l, uint64_t va);

/* Index of the first VMA ending above va (l->n if none). */
size_t vmas_lower_bound(const struct vma_list *l, uint64_t va);

/*
 * One maps line without newline: "START-END PERMSp" as the scenario
 * language's maps lines; verbose adds " PGOFF FLAGS anon|-" (pgoff in pages
 * as 8+ hex digits, flags as 0x hex).
 */
void vma_format(const struct vma_info *v, bool verbose, char *buf, size_t len);

/* Print the VMAs that intersect [lo, hi) (hi 0 = no upper bound). */
void vmas_print(FILE *out, const struct vma_list *l, uint64_t lo, uint64_t hi, bool verbose);

/* The VMAs of mm as one JSON object {"mm":ID,"vmas":[...]}, with newline. */
void vmas_json(FILE *out, uint32_t mm, const struct vma_list *l);

#endif
