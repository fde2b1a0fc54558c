/*
 * The inside of the public API (include/vmm-mm/vmm.h): struct vmm, and the
 * inspection functions over a bare struct gmem, so that the unit tests run
 * them on synthetic guest memory (tests/inspect/) without a VM.
 */
#ifndef VMM_API_INTERNAL_H
#define VMM_API_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vmm-mm/vmm.h"
#include "vmm/gmem.h"
#include "vmm/inspect/session.h"

struct vmm {
	struct vm *vm;
	struct scen_backend *be;          /* the session's guest backend: the current mm */
	struct script_session *sess;
	struct inspect_ext ext;           /* the guest-only commands of the session */
	char error[1024];                 /* vmm_error */
};

/* Set v->error (printf-style); returns ret. */
int api_fail(struct vmm *v, int ret, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The inspection of vmm.h over guest memory g and mm (0: the first used
 * slot; current marks the current one in api_mm_list).  Each reads one
 * consistent snapshot; 0, or -errno with a message in err.
 */
int api_vmas(const struct gmem *g, uint32_t mm, struct vmm_vma **vmas, size_t *n,
	     char *err, size_t errlen);
int api_ptes(const struct gmem *g, uint32_t mm, uint64_t start, uint64_t end,
	     struct vmm_pte **ptes, size_t *n, char *err, size_t errlen);
int api_walk(const struct gmem *g, uint32_t mm, uint64_t va, struct vmm_walk *w,
	     char *err, size_t errlen);
int api_counters(const struct gmem *g, uint32_t mm, struct vmm_counters *c,
		 char *err, size_t errlen);
int api_mm_list(const struct gmem *g, uint32_t current, struct vmm_mm_info *mms, size_t max,
		size_t *n, char *err, size_t errlen);
int api_check(const struct gmem *g, struct vmm_check_result *r, char *err, size_t errlen);

#endif
