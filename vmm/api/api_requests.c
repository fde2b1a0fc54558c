/*
 * The API's typed requests: one struct chan_slot per call, sent with
 * vm_request (vmm/vm.h) for the session's current mm, the guest's answer
 * handed back as it is (Linux's values: an address, 0, or -errno).
 */
#include <errno.h>
#include <string.h>

#include "shared/channel.h"
#include "vmm/api/api_internal.h"
#include "vmm/script/script.h"
#include "vmm/vm.h"

_Static_assert(VMM_PROT_READ == PROT_READ_ABI && VMM_PROT_WRITE == PROT_WRITE_ABI &&
	       VMM_PROT_EXEC == PROT_EXEC_ABI, "VMM_PROT_* are PROT_*_ABI");

uint32_t vmm_current_mm(struct vmm *v)
{
	return backend_guest_mm(v->be);
}

/* Send req for the current mm: 0 with req->result, or the no-answer errno. */
static int api_send(struct vmm *v, struct chan_slot *req)
{
	int r;

	req->mm = vmm_current_mm(v);
	r = vm_request(v->vm, req);
	if (r) {
		const char *why = vm_failure(v->vm);

		return api_fail(v, r, "no answer from the guest: %s", why ? why : strerror(-r));
	}
	return 0;
}

int vmm_mmap(struct vmm *v, uint64_t addr, uint64_t len, unsigned prot, unsigned where,
	     int64_t *result)
{
	static const uint32_t flags[] = { [VMM_MAP_ANYWHERE] = 0, [VMM_MAP_FIXED] = MMAP_F_FIXED,
					  [VMM_MAP_NOREPLACE] = MMAP_F_NOREPLACE };
	struct chan_slot s = { .op = OP_MMAP };
	int r;

	if (where > VMM_MAP_NOREPLACE || (prot & ~(VMM_PROT_READ | VMM_PROT_WRITE | VMM_PROT_EXEC)))
		return api_fail(v, -EINVAL, "vmm_mmap: bad prot 0x%x or placement %u", prot, where);
	s.mmap = (struct chan_mmap){ .addr = addr, .len = len, .prot = prot, .flags = flags[where] };
	if ((r = api_send(v, &s)) == 0)
		*result = s.result;
	return r;
}

int vmm_munmap(struct vmm *v, uint64_t addr, uint64_t len, int64_t *result)
{
	struct chan_slot s = { .op = OP_MUNMAP, .munmap = { .addr = addr, .len = len } };
	int r = api_send(v, &s);

	if (r == 0)
		*result = s.result;
	return r;
}

int vmm_mprotect(struct vmm *v, uint64_t addr, uint64_t len, unsigned prot, int64_t *result)
{
	struct chan_slot s = { .op = OP_MPROTECT,
			       .mprotect = { .addr = addr, .len = len, .prot = prot } };
	int r;

	if (prot & ~(VMM_PROT_READ | VMM_PROT_WRITE | VMM_PROT_EXEC))
		return api_fail(v, -EINVAL, "vmm_mprotect: bad prot 0x%x", prot);
	if ((r = api_send(v, &s)) == 0)
		*result = s.result;
	return r;
}

/* The access result of a touch, fill or check answer. */
static void access_result(int64_t result, const struct chan_access *a, struct vmm_access *res)
{
	memset(res, 0, sizeof *res);
	if (result < 0) {
		res->outcome = VMM_ACCESS_REFUSED;
		res->error = (int)-result;
	} else if (result == ACCESS_FAULT) {
		res->outcome = VMM_ACCESS_FAULT;
		res->addr = a->addr;
		res->accerr = a->fault == FAULT_ACCERR;
	} else if (result == ACCESS_MISMATCH) {
		res->outcome = VMM_ACCESS_MISMATCH;
		res->addr = a->addr;
		res->found = (uint8_t)a->found;
	} else {
		res->outcome = VMM_ACCESS_OK;
	}
}

int vmm_access(struct vmm *v, enum vmm_access_kind kind, uint64_t addr, uint64_t len,
	       uint8_t byte, struct vmm_access *res)
{
	struct chan_slot s = { 0 };
	const struct chan_access *a;
	int r;

	switch (kind) {
	case VMM_TOUCH_READ:
	case VMM_TOUCH_WRITE:
		s.op = OP_TOUCH;
		s.touch = (struct chan_touch){ .addr = addr, .len = len,
					       .mode = kind == VMM_TOUCH_WRITE ? TOUCH_WRITE : TOUCH_READ };
		a = &s.touch.access;
		break;
	case VMM_FILL:
		s.op = OP_FILL;
		s.fill = (struct chan_fill){ .addr = addr, .len = len, .byte = byte };
		a = &s.fill.access;
		break;
	case VMM_CHECK:
		s.op = OP_CHECK;
		s.check = (struct chan_check){ .addr = addr, .len = len, .byte = byte };
		a = &s.check.access;
		break;
	default:
		return api_fail(v, -EINVAL, "vmm_access: unknown kind %d", (int)kind);
	}
	if ((r = api_send(v, &s)) != 0)
		return r;
	if (s.result > ACCESS_MISMATCH)
		return api_fail(v, -EPROTO, "the guest answered %lld to an access",
				(long long)s.result);
	access_result(s.result, a, res);
	return 0;
}
