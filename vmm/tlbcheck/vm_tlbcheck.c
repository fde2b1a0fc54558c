/*
 * One VM's TLB-coherence checker (vm_tlbcheck.h): the control page written
 * before boot, a lock around the model (requests may be answered on
 * several threads), and what --check has reported already.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/tlbcheck/vm_tlbcheck.h"
#include "vmm/vm_internal.h"

struct vm_tlbcheck {
	pthread_mutex_t lock;
	struct tlbcheck tc;
	uint64_t reported;        /* violations --check has reported */
	bool refusal_reported, unproven_reported;
};

int vm_tlbcheck_setup(struct vm *vm)
{
	struct tlblog_ctl *ctl = gmem_ptr(&vm->mem, TLBLOG_GPA, sizeof *ctl);
	struct vm_tlbcheck *t;

	if (!vm->cfg.tlblog || !ctl)
		return 0;
	t = calloc(1, sizeof *t);
	if (!t || tlbcheck_init(&t->tc, TLBCHECK_STALE_DEFAULT) != 0) {
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	memset(ctl, 0, sizeof *ctl);
	ctl->enabled = 1;
	vm->tlbcheck = t;
	return 0;
}

void vm_tlbcheck_free(struct vm_tlbcheck *t)
{
	if (!t)
		return;
	tlbcheck_fini(&t->tc);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

void vm_tlbcheck_drain(struct vm *vm)
{
	struct vm_tlbcheck *t = vm->tlbcheck;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	tlbcheck_drain(&t->tc, &vm->mem);
	pthread_mutex_unlock(&t->lock);
}

enum tlbcheck_verdict vm_tlbcheck(struct vm *vm, char *msg, size_t len, struct tlbcheck_counts *c)
{
	struct vm_tlbcheck *t = vm->tlbcheck;
	enum tlbcheck_verdict v;

	if (!t) {
		*c = (struct tlbcheck_counts){ 0 };
		snprintf(msg, len, "tlb: logging is off (vmm --check turns it on)");
		return TLBV_OFF;
	}
	pthread_mutex_lock(&t->lock);
	tlbcheck_drain(&t->tc, &vm->mem);
	v = tlbcheck_verdict(&t->tc, msg, len, c);
	pthread_mutex_unlock(&t->lock);
	return v;
}

int vm_tlbcheck_step(struct vm *vm, FILE *err)
{
	struct vm_tlbcheck *t = vm->tlbcheck;
	struct tlbcheck_counts c;
	char msg[TLBCHECK_MSG_MAX];
	enum tlbcheck_verdict v;
	int fail = 0;

	if (!t)
		return 0;
	v = vm_tlbcheck(vm, msg, sizeof msg, &c);
	pthread_mutex_lock(&t->lock);
	if (v == TLBV_VIOLATION && c.violations > t->reported) {
		fprintf(err, "tlbcheck: %" PRIu64 " violation%s\n%s\n", c.violations - t->reported,
			c.violations - t->reported == 1 ? "" : "s", msg);
		t->reported = c.violations;
		fail = 1;
	} else if (v == TLBV_REFUSED && !t->refusal_reported) {
		fprintf(err, "tlbcheck: %s\n", msg);
		t->refusal_reported = true;
		fail = 1;
	} else if ((v == TLBV_LOST || v == TLBV_CAPACITY) && !t->unproven_reported) {
		fprintf(err, "tlbcheck: %s\n", msg);
		t->unproven_reported = true;
	}
	pthread_mutex_unlock(&t->lock);
	return fail;
}
