/* The stress workload (stress_ops.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "shared/channel.h"
#include "tests/smp/stress_ops.h"

#define PG 0x1000ULL

struct worker {
	struct stress *s;
	unsigned cpu;
	uint64_t seed;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One request; a missing answer counts as a failure. */
static int64_t req(struct worker *w, struct chan_slot *slot)
{
	if (vm_request_on(w->s->vm, w->cpu, slot, 1) != 0) {
		atomic_fetch_add(&w->s->failures, 1);
		return 0;
	}
	return slot->result;
}

/* -ESRCH from a child destroyed since it was picked. */
static bool gone(struct worker *w, const struct chan_slot *s, int64_t r)
{
	return r == -ESRCH && s->mm != w->s->mms[0] && s->mm != w->s->mms[1];
}

/* A random page range inside the shared window. */
static void range(uint64_t *s, uint64_t *addr, uint64_t *len)
{
	uint64_t first = rnd(s) % STRESS_PAGES, n = 1 + rnd(s) % 8;

	if (first + n > STRESS_PAGES)
		n = STRESS_PAGES - first;
	*addr = STRESS_WIN + first * PG;
	*len = n * PG;
}

/* One of the mms, the child included while there is one. */
static uint32_t pick_mm(struct worker *w)
{
	uint32_t child = atomic_load(&w->s->child);
	uint64_t r = rnd(&w->seed) % (child ? 3 : 2);

	return r == 2 ? child : w->s->mms[r];
}

/* Fork mms[0] into the child, or destroy the child (not while ring 3 runs
 * on it on another CPU: -EBUSY, it stays). */
static void fork_or_exit(struct worker *w)
{
	uint32_t child = atomic_load(&w->s->child);
	struct chan_slot s = { .op = child ? OP_MM_DESTROY : OP_MM_FORK,
			       .mm = child ? child : w->s->mms[0] };
	int64_t r = req(w, &s);

	if (child && r == 0)
		atomic_store(&w->s->child, 0);
	else if (!child && r == 0) {
		atomic_store(&w->s->child, s.mm_fork.id);
		atomic_fetch_add(&w->s->forks, 1);
	} else if (!(child && r == -EBUSY) && r != -ENOMEM)
		atomic_fetch_add(&w->s->failures, 1);
}

static void *mapper(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < STRESS_OPS; i++) {
		struct chan_slot s = { .mm = pick_mm(w) };
		uint64_t addr, len;
		if (rnd(&w->seed) % 8 == 0) {
			fork_or_exit(w);
			continue;
		}
		range(&w->seed, &addr, &len);
		switch (rnd(&w->seed) % 3) {
		case 0:
			s.op = OP_MUNMAP;
			s.munmap = (struct chan_munmap){ .addr = addr, .len = len };
			break;
		case 1:
			s.op = OP_MMAP;
			s.mmap = (struct chan_mmap){ .addr = addr, .len = len, .flags = MMAP_F_FIXED,
						     .prot = PROT_READ_ABI | PROT_WRITE_ABI };
			break;
		default:
			s.op = OP_MPROTECT;
			s.mprotect = (struct chan_mprotect){ .addr = addr, .len = len,
							     .prot = rnd(&w->seed) % 2 ? PROT_READ_ABI :
							     PROT_READ_ABI | PROT_WRITE_ABI };
		}
		int64_t r = req(w, &s);
		if (r < 0 && r != -ENOMEM /* mprotect over a hole */ && !gone(w, &s, r))
			atomic_fetch_add(&w->s->failures, 1);
	}
	return NULL;
}

static void *accessor(void *arg)
{
	struct worker *w = arg;

	for (unsigned i = 0; i < STRESS_OPS; i++) {
		struct chan_slot s = { .mm = pick_mm(w) };
		uint64_t addr, len;
		range(&w->seed, &addr, &len);
		switch (rnd(&w->seed) % 3) {
		case 0:
			s.op = OP_TOUCH;
			s.touch = (struct chan_touch){ .addr = addr, .len = len,
						       .mode = rnd(&w->seed) % 2 };
			break;
		case 1:
			s.op = OP_FILL;
			s.fill = (struct chan_fill){ .addr = addr, .len = len, .byte = w->cpu };
			break;
		default:
			s.op = OP_CHECK;
			s.check = (struct chan_check){ .addr = addr, .len = len, .byte = w->cpu };
		}
		int64_t r = req(w, &s);
		if (r != ACCESS_OK && r != ACCESS_FAULT && r != ACCESS_MISMATCH && !gone(w, &s, r))
			atomic_fetch_add(&w->s->failures, 1);
	}
	return NULL;
}

int stress_run(struct stress *s)
{
	pthread_t th[STRESS_THREADS];
	struct worker w[STRESS_THREADS];
	unsigned started = 0;
	int err = 0;

	for (unsigned c = 0; c < STRESS_THREADS; c++) {
		w[c] = (struct worker){ .s = s, .cpu = c, .seed = 0x9e3779b97f4a7c15ULL * (c + 1) };
		err = pthread_create(&th[c], NULL, c == 0 ? mapper : accessor, &w[c]);
		if (err)
			break;
		started++;
	}
	for (unsigned c = 0; c < started; c++)
		pthread_join(th[c], NULL);
	uint32_t child = atomic_load(&s->child);
	if (child) {
		struct chan_slot d = { .op = OP_MM_DESTROY, .mm = child };
		if (vm_request_on(s->vm, 0, &d, 1) != 0 || d.result != 0)
			atomic_fetch_add(&s->failures, 1);
		atomic_store(&s->child, 0);
	}
	return -err;
}
