/*
 * Inside the guest backend: what backend_guest.c (version 1 operations,
 * listings, page presence) and backend_guest_v2.c (version 2 operations)
 * share.  Nothing else includes this.
 */
#ifndef VMM_SCRIPT_BACKEND_GUEST_INT_H
#define VMM_SCRIPT_BACKEND_GUEST_INT_H

#include <stdint.h>

#include "shared/channel.h"
#include "vmm/script/script.h"

/* Processes a guest backend keeps alive at once (the guest's MM_MAX). */
#define GUEST_PROCS_MAX 64

struct guest_backend {
	struct scen_backend be;           /* first: backends are cast to it */
	struct vm *vm;
	uint32_t mm;                      /* the selected process's mm */
	unsigned cpu;                     /* the CPU requests run on (`cpu N` mod CPUs) */
	uint32_t procs[GUEST_PROCS_MAX];  /* handle -> mm id, 0: free (procs[0]: process 1) */
};

static inline struct guest_backend *to_guest(struct scen_backend *be)
{
	return (struct guest_backend *)be;
}

/* The backend is dead: say why in be.failure; returns -1 for the caller. */
int guest_dead(struct guest_backend *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Post req (op and IN fields set) on the backend's mm: 0 when the guest
 * answered (its result is in range), or -1 with be.failure set. */
int guest_request(struct guest_backend *g, struct chan_slot *req);

/* The guest's answer to an op that returns 0 or -errno: 0 with *result, or
 * -1 (dead) for anything positive. */
int guest_zero_or_errno(struct guest_backend *g, const char *op, const struct chan_slot *req,
			int64_t *result);

/* The guest's answer to an op that returns an address or -errno: 0 with
 * *result, or -1 (dead) for an address that is not a user page. */
int guest_address_or_errno(struct guest_backend *g, const char *op,
			   const struct chan_slot *req, int64_t *result);

/* MMAP_F_* for SCEN_MAP_* (MAP_SHARED included: the guest says ENOSYS). */
uint32_t guest_mmap_flags(unsigned flags);

/* The version-2 operations (backend_guest_v2.c). */
int guest_mremap(struct scen_backend *be, uint64_t addr, uint64_t old_len, uint64_t new_len,
		 unsigned flags, uint64_t new_addr, int64_t *result);
int guest_madvise(struct scen_backend *be, uint64_t addr, uint64_t len,
		  enum scen_advice advice, int64_t *result);
int guest_mlock(struct scen_backend *be, uint64_t addr, uint64_t len, bool onfault,
		int64_t *result);
int guest_munlock(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result);
int guest_fork(struct scen_backend *be, unsigned *child, int64_t *result);
int guest_select(struct scen_backend *be, unsigned handle);
int guest_exit(struct scen_backend *be, unsigned handle);
int guest_set_cpu(struct scen_backend *be, unsigned cpu);
int guest_page_share(struct scen_backend *be, uint64_t addr, uint64_t npages, uint8_t *state);
/* Destroy every process's mm but the selected one's (backend teardown). */
void guest_exit_others(struct guest_backend *g);

#endif
