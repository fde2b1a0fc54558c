/*
 * Host side of the request channel (shared/channel.h): post requests, ring
 * the doorbell, wait for the guest's responses.  What the guest writes back
 * is only ever copied out as numbers; resp_prod is never trusted beyond
 * what we posted.
 */
#include <sched.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/layout.h"
#include "vmm/vm_internal.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct channel *chan(struct vm *vm)
{
	return gmem_ptr(&vm->mem, CHANNEL_GPA, sizeof(struct channel));
}

static struct chan_slot *slot(struct vm *vm, uint32_t i)
{
	return gmem_ptr(&vm->mem, CHANNEL_GPA + CHANNEL_SLOTS_OFFSET +
			(uint64_t)(i & (CHANNEL_SLOTS - 1)) * sizeof(struct chan_slot),
			sizeof(struct chan_slot));
}

void *vm_channel_data(struct vm *vm)
{
	return gmem_ptr(&vm->mem, CHANNEL_GPA + CHANNEL_DATA_OFFSET, CHANNEL_DATA_SIZE);
}

/* Wait until the guest has answered everything up to target; busy-poll
 * first (a guest store reaches us in ~2 us), then sleep in small steps. */
static int wait_responses(struct vm *vm, uint32_t base, uint32_t n)
{
	struct channel *ch = chan(vm);
	uint64_t start = 0;

	for (unsigned spin = 0;; spin++) {
		uint32_t done = __atomic_load_n(&ch->resp_prod, __ATOMIC_ACQUIRE) - base;
		if (done == n)
			return 0;
		if (done > n) {
			vm_fail(vm, "channel: guest reported %u responses for %u requests", done, n);
			return -1;
		}
		if (atomic_load(&vm->state) != VM_READY)
			return -1;
		if (spin < 20000) {
			/* Yield now and then: if the vCPU thread shares our CPU, it
			 * is the one that must run. */
			if (spin % 64 == 63)
				sched_yield();
			else
				__builtin_ia32_pause();
			continue;
		}
		if (!start)
			start = now_ns();
		else if (now_ns() - start > vm->timeout_ns) {
			vm_fail(vm, "guest stopped answering: no response in %llu ms",
				(unsigned long long)(vm->timeout_ns / 1000000ull));
			return -1;
		}
		usleep(spin < 40000 ? 10 : 200);
	}
}

int vm_submit(struct vm *vm, struct chan_slot *reqs, unsigned n)
{
	if (n == 0)
		return 0;
	if (n > CHANNEL_SLOTS || atomic_load(&vm->state) != VM_READY)
		return -1;

	uint32_t base = vm->req_prod;
	for (unsigned i = 0; i < n; i++) {
		struct chan_slot *s = slot(vm, base + i);
		memcpy(s, &reqs[i], offsetof(struct chan_slot, result));
		s->result = 0;
		s->out[0] = s->out[1] = 0;
	}
	vm->req_prod = base + n;
	__atomic_store_n(&chan(vm)->req_prod, base + n, __ATOMIC_RELEASE);
	uint64_t one = 1;
	if (write(vm->doorbell_fd, &one, sizeof(one)) != sizeof(one)) {
		vm_fail(vm, "doorbell: eventfd write failed");
		return -1;
	}
	if (wait_responses(vm, base, n))
		return -1;
	for (unsigned i = 0; i < n; i++) {
		const struct chan_slot *s = slot(vm, base + i);
		reqs[i].result = s->result;
		reqs[i].out[0] = s->out[0];
		reqs[i].out[1] = s->out[1];
	}
	return 0;
}

int64_t vm_call(struct vm *vm, uint16_t op, uint32_t mm, uint64_t a0, uint64_t a1,
		uint64_t a2, uint64_t a3, uint64_t out[2])
{
	struct chan_slot s = { .op = op, .mm = mm, .arg = { a0, a1, a2, a3 } };

	if (vm_submit(vm, &s, 1))
		return -1;
	if (out) {
		out[0] = s.out[0];
		out[1] = s.out[1];
	}
	return s.result;
}
