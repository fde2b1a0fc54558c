/*
 * Host side of the request channel (shared/channel.h): post requests, ring
 * the doorbell, wait for the guest's responses.  What the guest writes back
 * is only ever copied out as numbers; resp_prod is never trusted beyond
 * what we posted.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
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

/* How long a waiter spins before it sleeps: a no-op request is answered
 * in 13-60 us, a sleeping waiter wakes about 30 us after the guest's
 * notification, which costs the guest an `outl`. */
#define SPIN_NS  50000ull

/* 1 when the guest has answered all n requests from base, 0 not yet, or
 * -EPROTO (more answers than requests: the VM is failed) or -EPIPE (the VM
 * has failed or exited). */
static int answered(struct vm *vm, struct channel *ch, uint32_t base, uint32_t n)
{
	uint32_t done = __atomic_load_n(&ch->resp_prod, __ATOMIC_ACQUIRE) - base;

	if (done == n)
		return 1;
	if (done > n) {
		vm_fail(vm, "channel: guest reported %u responses for %u requests", done, n);
		return -EPROTO;
	}
	return atomic_load(&vm->state) == VM_READY ? 0 : -EPIPE;
}

/* Sleep until the guest notifies, the VM stops or deadline (CLOCK_MONOTONIC
 * ns) passes: 0 (look again; wake-ups may be spurious) or -ETIMEDOUT. */
static int sleep_for_answer(struct vm *vm, uint64_t deadline)
{
	struct pollfd p[2] = {
		{ .fd = vm->notify_fd, .events = POLLIN },
		{ .fd = vm->dead_fd, .events = POLLIN },
	};
	uint64_t now = now_ns(), count;

	if (now >= deadline)
		return -ETIMEDOUT;
	uint64_t ms = (deadline - now + 999999) / 1000000;
	/* Errors (EINTR) and time-outs alike: the caller looks again. */
	(void)poll(p, 2, ms > INT_MAX ? INT_MAX : (int)ms);
	/* Drain: this wake-up is used up (the fd is non-blocking). */
	if (read(vm->notify_fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: the wake-up came from dead_fd or the clock. */
	}
	return 0;
}

/*
 * Wait until the guest has answered the n requests posted from base.
 * Spin briefly (a guest store reaches us in ~2 us), then sleep on the
 * guest's notification: set host_waiting, and look at resp_prod once more
 * before sleeping, as the guest publishes resp_prod before it looks at
 * host_waiting.  Both sides put a full barrier between their store and
 * their load, so at least one sees the other's: either we see the answer,
 * or the guest sees host_waiting and notifies (no lost wake-up).
 * Returns 0, -EPIPE (the VM had failed or exited), -ETIMEDOUT (the guest
 * stopped answering) or -EPROTO (it broke the protocol); the VM is failed
 * in the last two cases.
 */
static int wait_responses(struct vm *vm, uint32_t base, uint32_t n)
{
	struct channel *ch = chan(vm);
	uint64_t start = now_ns();
	int r;

	for (unsigned spin = 1;; spin++) {
		r = answered(vm, ch, base, n);
		if (r)
			return r < 0 ? r : 0;
		if (spin % 64)
			__builtin_ia32_pause();
		else if (now_ns() - start < SPIN_NS)
			sched_yield();  /* if the vCPU shares our CPU, it must run */
		else
			break;
	}
	__atomic_exchange_n(&ch->host_waiting, 1, __ATOMIC_SEQ_CST);
	do {
		r = answered(vm, ch, base, n);
		if (!r)
			r = sleep_for_answer(vm, start + vm->timeout_ns);
	} while (!r);
	__atomic_store_n(&ch->host_waiting, 0, __ATOMIC_RELAXED);
	if (r == -ETIMEDOUT)
		vm_fail(vm, "guest stopped answering: no response in %llu ms",
			(unsigned long long)(vm->timeout_ns / 1000000ull));
	return r < 0 ? r : 0;
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
