/*
 * The fake VM: see fuzz_vm.h.  Each request takes one answer from the
 * fuzzer: a selector byte, then what it selects; with no bytes left the
 * guest answers sanely (a new id, the asked address, 0, no VMAs).  Answers
 * below -CHAN_ERRNO_MAX fail the VM as vm_request does (vmm/channel.c).
 */
#include <errno.h>
#include <stdio.h>

#include "tests/fuzz/fuzz_ram.h"
#include "tests/fuzz/fuzz_vm.h"
#include "vmm/tlbcheck/vm_tlbcheck.h"
#include "vmm/trace/trace.h"

void fuzz_vm_reset(struct vm *vm, struct fuzz_bytes ans)
{
	vm->ans = ans;
	vm->failed = false;
	vm->failure[0] = 0;
	vm->next_id = 0;
}

static int fail(struct vm *vm, int err, const char *why)
{
	vm->failed = true;
	snprintf(vm->failure, sizeof vm->failure, "fuzz guest: %s", why);
	return err;
}

static void sane_answer(struct vm *vm, struct chan_slot *req)
{
	req->result = 0;
	switch (req->op) {
	case OP_MM_CREATE:
		req->mm_create.id = ++vm->next_id;
		break;
	case OP_MMAP:
		req->result = req->mmap.flags ? (int64_t)req->mmap.addr : 0x100000000000LL;
		break;
	case OP_VMA_LIST:
		req->vma_list.map_count = 0;
		break;
	default:
		break;
	}
}

/* OP_VMA_LIST entries from the fuzzer into the data area: their count. */
static int64_t vma_entries(struct vm *vm)
{
	uint8_t k;

	take_u8(&vm->ans, &k);
	take_bytes(&vm->ans, vm->data, (size_t)k * sizeof(struct chan_vma));
	return k;
}

int vm_request(struct vm *vm, struct chan_slot *req)
{
	uint8_t how, e;

	if (vm->failed)
		return -EPIPE;
	if (!take_u8(&vm->ans, &how)) {
		sane_answer(vm, req);
		return 0;
	}
	switch (how % 8) {
	case 1:
		take_u8(&vm->ans, &e);
		req->result = -(int64_t)e;
		break;
	case 2:
		req->result = (int64_t)take_u64(&vm->ans);
		break;
	case 3:
		req->result = (int64_t)take_u64(&vm->ans);
		take_bytes(&vm->ans, req->raw, sizeof req->raw);
		break;
	case 4:
		sane_answer(vm, req);
		req->result = vma_entries(vm);
		break;
	case 5:
		/* Rare on purpose: every death restarts the server. */
		if (how == 0x45)
			return fail(vm, -EPIPE, "died");
		if (how == 0x4d)
			return fail(vm, -ETIMEDOUT, "stopped answering");
		sane_answer(vm, req);
		break;
	default:
		sane_answer(vm, req);
		break;
	}
	if (req->result < -CHAN_ERRNO_MAX)
		return fail(vm, -EPROTO, "answered below -CHAN_ERRNO_MAX");
	return 0;
}

int vm_request_batch(struct vm *vm, struct chan_slot *reqs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int r = vm_request(vm, &reqs[i]);
		if (r)
			return r;
	}
	return 0;
}

struct gmem vm_gmem(struct vm *vm)
{
	(void)vm;
	return fuzz_ram();
}

void *vm_channel_data(struct vm *vm)
{
	return vm->data;
}

/* One CPU here: `cpu N` lines all land on it. */
int vm_request_on(struct vm *vm, unsigned cpu, struct chan_slot *reqs, unsigned n)
{
	return cpu == 0 ? vm_request_batch(vm, reqs, n) : -EINVAL;
}

void *vm_channel_data_on(struct vm *vm, unsigned cpu)
{
	return cpu == 0 ? vm->data : NULL;
}

unsigned vm_nr_cpus(const struct vm *vm)
{
	(void)vm;
	return 1;
}

const char *vm_failure(struct vm *vm)
{
	return vm->failed ? vm->failure : NULL;
}

/* The fake guest keeps no TLB-coherence log (vmm/tlbcheck/vm_tlbcheck.h):
 * `tlbcheck` says off and --check's hook finds nothing. */
enum tlbcheck_verdict vm_tlbcheck(struct vm *vm, char *msg, size_t len, struct tlbcheck_counts *c)
{
	(void)vm;
	*c = (struct tlbcheck_counts){ 0 };
	snprintf(msg, len, "tlb: logging is off (vmm --check turns it on)");
	return TLBV_OFF;
}

int vm_tlbcheck_step(struct vm *vm, FILE *err)
{
	(void)vm;
	(void)err;
	return 0;
}

/* The fake guest keeps no trace either (vmm/trace/trace.h): the real
 * vm_trace.c reads struct vm's own fields, which this fake has not, so its
 * functions are replaced too.  `trace on` then fails with "no such
 * device".  The trace's reader, formats and these functions are
 * fuzz_trace's (fuzz_trace.c, fuzz_trace_vm.c). */
void trace_host_free(struct trace_host *h)
{
	(void)h;
}

int trace_want(struct vm *vm, unsigned who, bool on)
{
	(void)vm, (void)who, (void)on;
	return -ENODEV;
}

int trace_take_text(struct vm *vm, char **text)
{
	(void)vm;
	*text = NULL;
	return -ENODEV;
}

int trace_sink_poll(struct vm *vm, FILE *f)
{
	(void)vm, (void)f;
	return 0;
}

int trace_configure(struct vm *vm, enum trace_format format, FILE *file, bool on)
{
	(void)vm, (void)format, (void)file, (void)on;
	return -ENODEV;
}

bool trace_sink_on(struct vm *vm, enum trace_format *format)
{
	(void)vm;
	if (format)
		*format = TRACE_FMT_TEXT;
	return false;
}

int trace_sink_set(struct vm *vm, bool on, enum trace_format format)
{
	(void)vm, (void)on, (void)format;
	return -ENODEV;
}
