/*
 * The guest backend (vmm/script/backend_guest.c) against a guest that
 * answers OP_VMA_LIST with a flood of one-page VMAs (issue 14, defect 3):
 * the listing stops at what an mm may hold (MAX_MAP_COUNT + 1 entries) and
 * the rounds that many entries need, with the backend dead and a message,
 * and the host holds about 2 MiB for it at most.  Before the bound it
 * allocated without limit (about 650 MiB/s) until it was killed.
 *
 * No KVM: this file defines the VM functions the backend calls (vm.h:
 * vm_request, vm_failure, vm_gmem, vm_channel_data), so the static
 * library's real ones are not linked.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "shared/mm_abi.h"
#include "tests/inspect/memcount.h"
#include "vmm/script/script.h"
#include <errno.h>

#include "vmm/vm.h"

struct vm {
	uint64_t next;            /* the next VMA's start */
	unsigned rounds;
	struct chan_vma data[CHANNEL_DATA_SIZE / sizeof(struct chan_vma)];
};

static struct vm VM;

int vm_request(struct vm *vm, struct chan_slot *req)
{
	req->result = 0;
	if (req->op == OP_MM_CREATE) {
		req->mm_create.id = 1;
		return 0;
	}
	if (req->op != OP_VMA_LIST)
		return 0;
	/* Every round: as many one-page VMAs as fit, each above the last. */
	vm->rounds++;
	for (uint32_t i = 0; i < req->vma_list.max; i++) {
		vm->data[i] = (struct chan_vma){ .start = vm->next, .end = vm->next + 0x1000,
						 .flags = VM_READ };
		vm->next += 0x2000;
	}
	req->result = req->vma_list.max;
	return 0;
}

int vm_request_batch(struct vm *vm, struct chan_slot *reqs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (vm_request(vm, &reqs[i]) != 0)
			return -1;
	return 0;
}

const char *vm_failure(struct vm *vm)
{
	(void)vm;
	return NULL;
}

struct gmem vm_gmem(struct vm *vm)
{
	(void)vm;
	return (struct gmem){ 0 };
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

Test(hostile_answers, vma_list_flood_is_bounded)
{
	struct scen_backend *be;
	struct scen_map *maps = (struct scen_map *)1;
	size_t n = 1;

	VM.next = SCEN_WINDOW_START;
	be = backend_guest_new(&VM);
	cr_assert_not_null(be);
	memcount_start();
	int r = be->ops->maps(be, SCEN_WINDOW_START, SCEN_WINDOW_END, &maps, &n);
	size_t peak = memcount_stop();

	cr_assert_eq(r, -1, "the listing must fail");
	cr_assert(strstr(be->failure, "OP_VMA_LIST gave more than") ||
		  strstr(be->failure, "OP_VMA_LIST took more than"), "failure: %s", be->failure);
	cr_assert_null(maps);
	cr_assert_eq(n, 0);
	cr_assert_leq(peak, 4u << 20, "peak %zu bytes", peak);
	/* MAX_MAP_COUNT + 1 entries take this many rounds, and no more. */
	cr_assert_leq(VM.rounds, (MAX_MAP_COUNT + 1) / (CHANNEL_DATA_SIZE / sizeof(struct chan_vma)) + 2);
	backend_free(be);
}
