/*
 * Host side of the request channel (shared/channel.h): post requests, ring
 * the doorbell, wait for the guest's responses.  What the guest writes back
 * is only ever copied out as numbers; resp_prod is never trusted beyond
 * what we posted.
 */
#include <errno.h>
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

/* Wait until the guest has answered the n requests posted at base; busy-poll
 * first (a guest store reaches us in ~2 us), then sleep in small steps.
 * Returns 0, -EPROTO (more answers than requests), -EPIPE (the VM stopped
 * meanwhile) or -ETIMEDOUT; the VM is marked failed on the first and last. */
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
			return -EPROTO;
		}
		if (atomic_load(&vm->state) != VM_READY)
			return -EPIPE;
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
			return -ETIMEDOUT;
		}
		usleep(spin < 40000 ? 10 : 200);
	}
}

/* The name of op for messages. */
static const char *op_name(uint16_t op)
{
	static const char *const names[OP_NR] = {
		[OP_NOP] = "OP_NOP", [OP_MM_CREATE] = "OP_MM_CREATE",
		[OP_MM_DESTROY] = "OP_MM_DESTROY", [OP_MMAP] = "OP_MMAP",
		[OP_MUNMAP] = "OP_MUNMAP", [OP_MPROTECT] = "OP_MPROTECT",
		[OP_TOUCH] = "OP_TOUCH", [OP_FILL] = "OP_FILL", [OP_CHECK] = "OP_CHECK",
		[OP_VMA_LIST] = "OP_VMA_LIST", [OP_PTE] = "OP_PTE", [OP_STATS] = "OP_STATS",
		[OP_INJECT] = "OP_INJECT",
	};

	return op < OP_NR && names[op] ? names[op] : "an unknown op";
}

/* Copy the guest's answer in slot s back into req: the result (read once,
 * then checked) and the op's fields, all of them the guest's word now. */
static int take_answer(struct vm *vm, const struct chan_slot *s, struct chan_slot *req)
{
	int64_t result = __atomic_load_n(&s->result, __ATOMIC_RELAXED);

	if (result < -CHAN_ERRNO_MAX) {
		vm_fail(vm, "channel: the guest answered %s (op %u) with %lld, below -%d",
			op_name(req->op), req->op, (long long)result, CHAN_ERRNO_MAX);
		return -EPROTO;
	}
	req->result = result;
	memcpy(req->raw, s->raw, sizeof(req->raw));
	return 0;
}

int vm_request_batch(struct vm *vm, struct chan_slot *reqs, unsigned n)
{
	uint32_t base = vm->req_prod;
	uint64_t one = 1;
	int r;

	if (n == 0 || n > CHANNEL_SLOTS)
		return -EINVAL;
	if (atomic_load(&vm->state) != VM_READY)
		return -EPIPE;
	for (unsigned i = 0; i < n; i++) {
		struct chan_slot *s = slot(vm, base + i);
		memcpy(s, &reqs[i], sizeof(*s));
		s->result = 0;
	}
	vm->req_prod = base + n;
	__atomic_store_n(&chan(vm)->req_prod, base + n, __ATOMIC_RELEASE);
	if (write(vm->doorbell_fd, &one, sizeof(one)) != sizeof(one)) {
		vm_fail(vm, "doorbell: eventfd write failed");
		return -EPIPE;
	}
	r = wait_responses(vm, base, n);
	if (r)
		return r;
	for (unsigned i = 0; i < n; i++) {
		r = take_answer(vm, slot(vm, base + i), &reqs[i]);
		if (r)
			return r;
	}
	return 0;
}

int vm_request(struct vm *vm, struct chan_slot *req)
{
	return vm_request_batch(vm, req, 1);
}
