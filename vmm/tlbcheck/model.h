/*
 * The inside of the replay model (model.c), shared with the messages that
 * explain its violations (explain.c).  Not for use outside vmm/tlbcheck/.
 */
#ifndef VMM_TLBCHECK_MODEL_H
#define VMM_TLBCHECK_MODEL_H

#include "vmm/tlbcheck/stale.h"

/* One remembered event. */
struct tlb_evref {
	uint64_t seq;             /* 0: none */
	uint64_t a, b;
	uint16_t cpu, ev;
};

/* What the model knows of one CPU. */
struct tlb_cpu {
	uint32_t mm;              /* the mm whose page tables it has loaded (0: the kernel's) */
	bool lazy;                /* loaded but not in use (lazy TLB) */
	struct tlb_evref sent;    /* the last flush request sent to it */
	struct tlb_evref recv;    /* the last one it received */
	struct tlb_evref ack;     /* the last one it acknowledged */
	struct tlb_evref flush;   /* its last page or range flush */
};

struct tlb_model {
	struct stale_set s;
	struct tlb_cpu cpu[TLBCHECK_CPUS];
	struct tlbcheck_counts n; /* stale is filled in by tlb_model_verdict */
	uint64_t full_seq;        /* the first event that found the set full (0: never) */
	enum tlbcheck_verdict bad;/* TLBV_VIOLATION or TLBV_REFUSED once msg is set; else TLBV_CLEAN */
	char msg[TLBCHECK_MSG_MAX];
};

/* The first violation's message (explain.c), written into m->msg. */
void explain_frame(struct tlb_model *m, const struct stale_ent *e, const struct tlblog_rec *r);
void explain_table(struct tlb_model *m, const struct stale_ent *e, const struct tlblog_rec *r);
void explain_lazy_exit(struct tlb_model *m, const struct stale_ent *e, const struct tlblog_rec *r);

#endif
