/*
 * scengen --v2's model of one process's address space, page by page, over
 * the scenario's windows (V2_WPAGES pages from each window's start).
 *
 * The model exists for one purpose: to never generate a read fault on a
 * private page that no write made present.  Stock Linux maps the shared
 * zero page there, the host kernel of this project's test machines
 * (pvm_no_zero_page=1) a private page, and the difference shows later in
 * `expect shared/exclusive`, in merges (the read fault gives an anon_vma)
 * and in what fork copies.  With no such read fault anywhere, both kernels
 * (and the guest) hold the same state.  So the model must be sure only of
 * what makes a read safe; where it cannot follow the kernel (mremap,
 * stack growth, partial failures) it says UNKNOWN and the generator does
 * not read there until the range is mapped or unmapped afresh.  Writes are
 * always safe.
 */
#ifndef TOOLS_SCENGEN_V2_MODEL_H
#define TOOLS_SCENGEN_V2_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#define V2_WPAGES       64      /* pages modelled from each window's start */
#define V2_MAX_WINDOWS  3
#define V2_NPAGES       (V2_WPAGES * V2_MAX_WINDOWS)

#define M_READ          1u      /* PROT bits as the language's */
#define M_WRITE         2u
#define M_EXEC          4u

enum { P_UNMAPPED, P_MAPPED, P_UNKNOWN };

struct v2_page {
	uint8_t st;             /* P_* */
	uint8_t prot;           /* M_* (P_MAPPED) */
	bool shared;            /* MAP_SHARED */
	bool has;               /* a write made a private page present (sure) */
	bool growsdown;
	bool locked;            /* maybe VM_LOCKED without onfault */
	bool dontfork, wipe;    /* madvise flags */
	bool forkq;             /* the fork flags are not sure */
};

struct v2_model {
	struct v2_page p[V2_NPAGES];
};

/* The windows the scenario uses, ascending (set once). */
void v2_set_windows(const uint64_t *base, unsigned n);
/* The page index of addr, or -1 outside the model. */
int v2_index(uint64_t addr);
/* Index range [*first, *end) of the pages [addr, addr + len) touches
 * (clamped to the model); false if addr is outside it. */
bool v2_range(uint64_t addr, uint64_t len, int *first, int *end);

/* The address of page index i. */
uint64_t v2_addr(int i);
/* A mapped page chosen by r and the pages after it that look like the same
 * mapping (same protection and sharing), in its window: false if nothing
 * is mapped. */
bool v2_pick_mapping(const struct v2_model *m, uint64_t r, int *first, int *end);

void v2_init(struct v2_model *m);
void v2_mark_unknown(struct v2_model *m, int first, int end);

/* mmap fixed (noreplace: MAP_FIXED_NOREPLACE) of pages [first, end);
 * flags SCEN_MAP_* bits as scengen prints them (v2_model.c). */
void v2_mmap(struct v2_model *m, int first, int end, unsigned prot, unsigned flags,
	     bool noreplace);
void v2_munmap(struct v2_model *m, int first, int end);
void v2_mprotect(struct v2_model *m, int first, int end, unsigned prot);
/* A user-mode write access of every page in [first, end), ascending. */
void v2_write(struct v2_model *m, int first, int end);
/* Would a user-mode read (or populate_read) of [first, end), stopping at
 * the first fault, read-fault only pages that hold data (or shared
 * memory)? */
bool v2_read_safe(const struct v2_model *m, int first, int end);
void v2_populate_write(struct v2_model *m, int first, int end);
void v2_dontneed(struct v2_model *m, int first, int end);
/* dontfork/dofork (dontfork true/false) or wipeonfork/keeponfork. */
void v2_fork_advice(struct v2_model *m, int first, int end, bool wipe, bool set);
/* May mlock (populating) [first, end) be generated? */
bool v2_mlock_safe(const struct v2_model *m, int first, int end);
void v2_mlock(struct v2_model *m, int first, int end);
/* May mremap grow the mapping at [first, end) (a locked mapping is
 * populated as it grows)? */
bool v2_grow_safe(const struct v2_model *m, int first, int end);
/* The child's model after fork. */
void v2_fork(struct v2_model *child, const struct v2_model *parent);

#endif
