/*
 * Guest -> host calls (shared/hypercall.h).  The port names the call and
 * the value is the guest-physical address of its argument struct; every
 * address and length in it is checked before use.  A bad call stops the
 * guest with a message; it never harms the host.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "shared/abi.h"
#include "shared/hypercall.h"
#include "shared/layout.h"
#include "vmm/hypercall.h"
#include "vmm/vcpu.h"
#include "vmm/vm_internal.h"

/* Copy the argument struct of a call: 0, or -EFAULT after failing the guest. */
static int read_arg(struct vm *vm, const char *call, uint32_t gpa, void *arg, size_t size)
{
	if ((gpa & 7) || gmem_read(&vm->mem, gpa, arg, size)) {
		vm_fail(vm, "%s: argument at guest-physical 0x%x is outside RAM or misaligned", call, gpa);
		return -EFAULT;
	}
	return 0;
}

static void hc_console(struct vm *vm, uint32_t gpa)
{
	struct hc_console a;

	if (read_arg(vm, "console", gpa, &a, sizeof(a)))
		return;
	const char *buf = gmem_ptr(&vm->mem, a.buf, a.len);
	if (a.len > HC_CONSOLE_MAX || !buf) {
		vm_fail(vm, "console: buffer 0x%llx+%llu is outside RAM or too long",
			(unsigned long long)a.buf, (unsigned long long)a.len);
		return;
	}
	console_write(vm, buf, a.len);
}

static void hc_ready(struct vm *vm, uint32_t gpa)
{
	struct hc_ready a;

	if (read_arg(vm, "ready", gpa, &a, sizeof(a)))
		return;
	if (a.abi_version != VMM_ABI_VERSION || a.mm_table != MM_TABLE_GPA) {
		vm_fail(vm, "ready: guest speaks ABI %u with mm table at 0x%llx, host ABI %u at 0x%llx",
			a.abi_version, (unsigned long long)a.mm_table, VMM_ABI_VERSION,
			(unsigned long long)MM_TABLE_GPA);
		return;
	}
	struct vcpu *self = vcpu_self();
	if (atomic_load(&vm->state) == VM_BOOTING && !vm_cpu_online(vm, self ? self->id : 0))
		vm_fail(vm, "ready: from CPU %u, not the boot CPU", self ? self->id : 0);
}

static void hc_cpu_online(struct vm *vm, uint32_t gpa)
{
	struct hc_cpu_online a;
	struct vcpu *self = vcpu_self();

	if (read_arg(vm, "cpu online", gpa, &a, sizeof(a)))
		return;
	if (!self || a.cpu != self->id || !vm_cpu_online(vm, a.cpu))
		vm_fail(vm, "cpu online: CPU %u reported by CPU %u out of place (before ready, twice "
			"or not its own)", a.cpu, self ? self->id : 0);
}

static void hc_panic(struct vm *vm, uint32_t gpa)
{
	struct hc_panic a;
	char msg[HC_PANIC_MAX + 1];

	if (read_arg(vm, "panic", gpa, &a, sizeof(a)))
		return;
	if (a.len > HC_PANIC_MAX) {
		vm_fail(vm, "guest panic (message of %llu bytes is longer than %d)",
			(unsigned long long)a.len, HC_PANIC_MAX);
		return;
	}
	if (gmem_read(&vm->mem, a.msg, msg, a.len)) {
		vm_fail(vm, "guest panic (message at 0x%llx+%llu is outside RAM)",
			(unsigned long long)a.msg, (unsigned long long)a.len);
		return;
	}
	msg[a.len] = 0;
	for (size_t i = 0; i < a.len; i++)
		if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] > 0x7e)
			msg[i] = '?';
	vm_fail(vm, "guest panic: %s", msg);
}

static void hc_exit(struct vm *vm, uint32_t gpa)
{
	struct hc_exit a;

	if (read_arg(vm, "exit", gpa, &a, sizeof(a)))
		return;
	vm_exited(vm, a.code);
}

/* A frame the guest may have discarded: page aligned, in RAM, not the host
 * area nor the kernel image. */
static bool discardable(struct vm *vm, uint64_t gpa)
{
	if ((gpa & (PAGE_SIZE_4K - 1)) || !gmem_range_ok(&vm->mem, gpa, PAGE_SIZE_4K))
		return false;
	if (gpa < HOST_RESERVED_END)
		return false;
	return gpa + PAGE_SIZE_4K <= vm->kernel_start || gpa >= vm->kernel_end;
}

static void hc_discard(struct vm *vm, uint32_t gpa)
{
	struct hc_discard a;
	uint64_t frames[HC_DISCARD_MAX];

	if (read_arg(vm, "discard", gpa, &a, sizeof(a)))
		return;
	if (a.count > HC_DISCARD_MAX || gmem_read(&vm->mem, a.frames, frames, a.count * sizeof(uint64_t))) {
		vm_fail(vm, "discard: list 0x%llx x%llu is outside RAM or too long",
			(unsigned long long)a.frames, (unsigned long long)a.count);
		return;
	}
	int64_t ret = 0;
	for (uint64_t i = 0; i < a.count; i++) {
		if (!discardable(vm, frames[i])) {
			ret = -1;
			continue;
		}
		/* Coalesce runs of consecutive frames into one madvise. */
		uint64_t n = 1;
		while (i + n < a.count && frames[i + n] == frames[i] + n * PAGE_SIZE_4K &&
		       discardable(vm, frames[i + n]))
			n++;
		if (madvise(vm->mem.ram + frames[i], n * PAGE_SIZE_4K, MADV_DONTNEED) != 0)
			ret = -1;
		i += n - 1;
	}
	struct hc_discard *out = gmem_ptr(&vm->mem, gpa, sizeof(*out));
	out->ret = ret;
}

int hypercall_handle(struct vm *vm, uint16_t port, uint32_t value)
{
	if (port < HC_PORT_BASE || port >= HC_PORT_BASE + HC_NR_CALLS)
		return -ENODEV;
	switch (port - HC_PORT_BASE) {
	case HC_CONSOLE: hc_console(vm, value); break;
	case HC_READY: hc_ready(vm, value); break;
	case HC_PANIC: hc_panic(vm, value); break;
	case HC_EXIT: hc_exit(vm, value); break;
	case HC_DISCARD: hc_discard(vm, value); break;
	case HC_CPU_ONLINE: hc_cpu_online(vm, value); break;
	}
	return 0;
}
