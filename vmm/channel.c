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
#include "shared/mm_abi.h"
#include "vmm/tlbcheck/vm_tlbcheck.h"
#include "vmm/vm_internal.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct chan_ring *chan_ring(struct vm *vm, unsigned cpu)
{
	struct channel *ch = gmem_ptr(&vm->mem, CHANNEL_GPA, sizeof(struct channel));

	return &ch->ring[cpu];
}

static struct chan_slot *slot(struct vm *vm, unsigned cpu, uint32_t i)
{
	return gmem_ptr(&vm->mem, CHANNEL_GPA + CHANNEL_RING_SLOTS(cpu) +
			(uint64_t)(i & (CHANNEL_SLOTS - 1)) * sizeof(struct chan_slot),
			sizeof(struct chan_slot));
}

void *vm_channel_data_on(struct vm *vm, unsigned cpu)
{
	if (cpu >= VM_MAX_CPUS)
		return NULL;
	return gmem_ptr(&vm->mem, CHANNEL_GPA + CHANNEL_RING_DATA(cpu), CHANNEL_DATA_SIZE);
}

void *vm_channel_data(struct vm *vm)
{
	return vm_channel_data_on(vm, 0);
}

/* How long a waiter spins before it sleeps: a no-op request is answered
 * in 13-60 us, a sleeping waiter wakes about 30 us after the guest's
 * notification, which costs the guest an `outl`. */
#define SPIN_NS  50000ull

/* A sleeping waiter rings the doorbell again after this long without an
 * answer.  A doorbell is an edge-triggered interrupt; under nested
 * emulation (tools/kvm-machine.sh: QEMU's software AMD-V) one in some
 * thousands was seen lost with the guest idle in hlt.  A second ring costs
 * a busy guest one spurious interrupt and bounds a lost one to this. */
#define REDOORBELL_NS  20000000ull

/* Interrupt CPU cpu (it idles in hlt): 0, or -EPIPE with the VM failed. */
static int ring_doorbell(struct vm *vm, unsigned cpu)
{
	uint64_t one = 1;

	if (write(vm->rings[cpu].doorbell_fd, &one, sizeof(one)) != sizeof(one)) {
		vm_fail(vm, "doorbell: eventfd write failed");
		return -EPIPE;
	}
	return 0;
}

/* 1 when the guest has answered all n requests from base, 0 not yet, or
 * -EPROTO (more answers than requests: the VM is failed) or -EPIPE (the VM
 * has failed or exited). */
static int answered(struct vm *vm, struct chan_ring *ch, uint32_t base, uint32_t n)
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
static int sleep_for_answer(struct vm *vm, int notify_fd, uint64_t deadline)
{
	struct pollfd p[2] = {
		{ .fd = notify_fd, .events = POLLIN },
		{ .fd = vm->dead_fd, .events = POLLIN },
	};
	uint64_t now = now_ns(), count;

	if (now >= deadline)
		return -ETIMEDOUT;
	uint64_t ms = (deadline - now + 999999) / 1000000;
	/* Errors (EINTR) and time-outs alike: the caller looks again. */
	(void)poll(p, 2, ms > INT_MAX ? INT_MAX : (int)ms);
	/* Drain: this wake-up is used up (the fd is non-blocking). */
	if (read(notify_fd, &count, sizeof(count)) < 0) {
		/* EAGAIN: the wake-up came from dead_fd or the clock. */
	}
	return 0;
}

/* A progress line is shown for a request older than this, and renewed at
 * this interval. */
#define PROGRESS_LINE_NS  1000000000ull

/* One waiter's view of the clock and of the guest's progress. */
struct wait_clock {
	uint64_t start;          /* when the wait began */
	uint64_t held;           /* the debugger's hold time then */
	uint64_t first;          /* the guest's counter when the wait began */
	uint64_t progress;       /* the guest's counter as last seen */
	uint64_t moved;          /* when it was last seen to change */
	uint64_t shown;          /* when the progress line was last printed, 0 never */
};

/* The guest's progress counter (mm_table.progress; 0 before the mm table
 * exists): only ever compared for a change, never trusted as a count. */
static uint64_t guest_progress(struct vm *vm)
{
	uint64_t v = 0;

	gmem_read_u64(&vm->mem, MM_TABLE_GPA + offsetof(struct mm_table, progress), &v);
	return v;
}

/* Note whether the guest moved, print the progress line when due, and
 * return the deadline: timeout after the last sign of progress, plus the
 * time the debugger held the guest meanwhile. */
static uint64_t wait_tick(struct vm *vm, struct wait_clock *w, uint64_t now)
{
	uint64_t p = guest_progress(vm);
	FILE *out = vm->cfg.progress;

	if (p != w->progress) {
		w->progress = p;
		w->moved = now;
	}
	if (out && now - w->start >= PROGRESS_LINE_NS &&
	    (!w->shown || now - w->shown >= PROGRESS_LINE_NS)) {
		fprintf(out, "\rvmm: request running for %llu s, %llu steps of guest work%s\033[K",
			(unsigned long long)((now - w->start) / 1000000000ull),
			(unsigned long long)(p - w->first),
			now - w->moved < PROGRESS_LINE_NS ? "" : " (no progress for a while)");
		fflush(out);
		w->shown = now;
	}
	return w->moved + vm->timeout_ns + vm_held_ns(&vm->cfg) - w->held;
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
static int wait_responses(struct vm *vm, unsigned cpu, uint32_t base, uint32_t n)
{
	struct chan_ring *ch = chan_ring(vm, cpu);
	uint64_t start = now_ns();
	struct wait_clock w = { .start = start, .held = vm_held_ns(&vm->cfg), .moved = start };
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
	w.first = w.progress = guest_progress(vm);
	for (uint64_t ring = now_ns() + REDOORBELL_NS;;) {
		/* Time without progress counts; the debugger's hold does not. */
		uint64_t deadline = wait_tick(vm, &w, now_ns());

		r = answered(vm, ch, base, n);
		if (r)
			break;
		if (now_ns() >= ring) {
			ring_doorbell(vm, cpu);
			atomic_fetch_add(&vm->doorbell_rerings, 1);
			ring = now_ns() + REDOORBELL_NS;
		}
		r = sleep_for_answer(vm, vm->rings[cpu].notify_fd, ring < deadline ? ring : deadline);
		/* Only the re-ring's slice is over, or the guest moved meanwhile. */
		if (r == -ETIMEDOUT && now_ns() < wait_tick(vm, &w, now_ns()))
			r = 0;
		if (r)
			break;
	}
	__atomic_store_n(&ch->host_waiting, 0, __ATOMIC_RELAXED);
	if (w.shown) {
		fputs("\r\033[K", vm->cfg.progress);
		fflush(vm->cfg.progress);
	}
	if (r == -ETIMEDOUT)
		vm_fail(vm, "guest stopped answering: no response nor progress in %llu ms on CPU %u "
			"(%u of %u answered; posted up to %u, answered up to %u)",
			(unsigned long long)(vm->timeout_ns / 1000000ull), cpu,
			__atomic_load_n(&ch->resp_prod, __ATOMIC_ACQUIRE) - base, n,
			base + n, __atomic_load_n(&ch->resp_prod, __ATOMIC_ACQUIRE));
	return r < 0 ? r : 0;
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
		[OP_INJECT] = "OP_INJECT", [OP_MREMAP] = "OP_MREMAP",
		[OP_MADVISE] = "OP_MADVISE", [OP_MLOCK] = "OP_MLOCK", [OP_MUNLOCK] = "OP_MUNLOCK",
		[OP_MM_FORK] = "OP_MM_FORK", [OP_PAGE_SHARE] = "OP_PAGE_SHARE",
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

/* Post n requests on cpu's ring (its lock held) and take the answers. */
static int request_locked(struct vm *vm, unsigned cpu, struct chan_slot *reqs, unsigned n)
{
	struct vm_ring *ring = &vm->rings[cpu];
	uint32_t base = ring->req_prod;
	int r;

	if (atomic_load(&vm->state) != VM_READY)
		return -EPIPE;
	for (unsigned i = 0; i < n; i++) {
		struct chan_slot *s = slot(vm, cpu, base + i);
		memcpy(s, &reqs[i], sizeof(*s));
		s->result = 0;
	}
	ring->req_prod = base + n;
	__atomic_store_n(&chan_ring(vm, cpu)->req_prod, base + n, __ATOMIC_RELEASE);
	if (ring_doorbell(vm, cpu) != 0)
		return -EPIPE;
	r = wait_responses(vm, cpu, base, n);
	if (r)
		return r;
	for (unsigned i = 0; i < n; i++) {
		r = take_answer(vm, slot(vm, cpu, base + i), &reqs[i]);
		if (r)
			return r;
	}
	vm_tlbcheck_drain(vm);
	return 0;
}

int vm_request_on(struct vm *vm, unsigned cpu, struct chan_slot *reqs, unsigned n)
{
	if (n == 0 || n > CHANNEL_SLOTS || cpu >= vm->ncpus)
		return -EINVAL;
	pthread_mutex_lock(&vm->rings[cpu].lock);
	int r = request_locked(vm, cpu, reqs, n);
	pthread_mutex_unlock(&vm->rings[cpu].lock);
	return r;
}

int vm_request_batch(struct vm *vm, struct chan_slot *reqs, unsigned n)
{
	return vm_request_on(vm, 0, reqs, n);
}

uint64_t vm_doorbell_rerings(struct vm *vm)
{
	return atomic_load(&vm->doorbell_rerings);
}

int vm_request(struct vm *vm, struct chan_slot *req)
{
	return vm_request_on(vm, 0, req, 1);
}
