/*
 * The live VM as a gdb target (vmm/gdb/target.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmm/gdb/regs.h"
#include "vmm/gdb/target.h"
#include "vmm/inspect/ptwalk.h"
#include "vmm/vcpu.h"
#include "vmm/vm_internal.h"

#define CR3_ADDR  0x000ffffffffff000ULL

static struct vcpu *vcpu_of(struct gdb_vm_target *t, unsigned cpu)
{
	return cpu < t->vm->nr_vcpus ? &t->vm->vcpus[cpu] : NULL;
}

static unsigned nthreads(void *arg)
{
	struct gdb_vm_target *t = arg;

	return t->vm->nr_vcpus;
}

static int get_regs(struct gdb_vm_target *t, unsigned cpu, struct kvm_regs *r,
		    struct kvm_sregs *s)
{
	struct vcpu *v = vcpu_of(t, cpu);

	if (!v || v->fd < 0)
		return -ESRCH;
	if (ioctl(v->fd, KVM_GET_REGS, r) < 0 || ioctl(v->fd, KVM_GET_SREGS, s) < 0)
		return -errno;
	return 0;
}

static int read_regs(void *arg, unsigned cpu, uint8_t *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	int e = get_regs(arg, cpu, &r, &s);

	if (!e)
		gdb_regs_from_kvm(&r, &s, out);
	return e;
}

static int write_regs(void *arg, unsigned cpu, const uint8_t *in)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	int e = get_regs(arg, cpu, &r, &s);

	if (!e)
		e = gdb_regs_to_kvm(in, &r, &s);
	if (!e && ioctl(vcpu_of(arg, cpu)->fd, KVM_SET_REGS, &r) < 0)
		e = -errno;
	return e;
}

/* Copy len bytes at guest-virtual addr, page by page through cpu's page
 * tables: the bytes done (> 0), or -EFAULT if the first is not mapped. */
static long access_mem(struct gdb_vm_target *t, unsigned cpu, uint64_t addr, uint8_t *buf,
		       size_t len, bool write)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct gmem g = t->vm->mem;
	size_t done = 0;
	int e = get_regs(t, cpu, &r, &s);

	if (e)
		return e;
	while (done < len) {
		struct ptw_xlate x;
		uint64_t va = addr + done;
		if (va < addr || ptwalk_translate(&g, s.cr3 & CR3_ADDR, va, &x) != 0)
			break;
		uint64_t in_page = x.size - (va & (x.size - 1));
		size_t n = len - done < in_page ? len - done : (size_t)in_page;
		uint8_t *host = gmem_ptr(&g, x.gpa, n);
		if (!host)
			break;              /* a page outside RAM (MMIO) */
		if (write)
			memcpy(host, buf + done, n);
		else
			memcpy(buf + done, host, n);
		done += n;
	}
	return done ? (long)done : -EFAULT;
}

static long read_mem(void *t, unsigned cpu, uint64_t addr, uint8_t *buf, size_t len)
{
	return access_mem(t, cpu, addr, buf, len, false);
}

static long write_mem(void *t, unsigned cpu, uint64_t addr, const uint8_t *buf, size_t len)
{
	return access_mem(t, cpu, addr, (uint8_t *)buf, len, true);
}

static int breakpoint(void *arg, bool insert, uint64_t addr)
{
	struct gdb_vm_target *t = arg;
	int e = gdb_ctl_breakpoint(t->ctl, insert, addr);

	if (e == -ENOSPC && t->log)
		fprintf(t->log, "vmm: gdb: breakpoint at 0x%" PRIx64 " refused: all %d debug "
			"registers hold breakpoints already (ring 0 has no int3 here); "
			"delete one first\n", addr, GDB_HW_BREAKPOINTS);
	return e;
}

static int resume(void *arg, unsigned cpu, bool step)
{
	struct gdb_vm_target *t = arg;

	if (vm_failure(t->vm))
		return -EPIPE;
	gdb_ctl_resume(t->ctl, cpu, step);
	return 0;
}

static int monitor(void *arg, const char *line, char **out)
{
	struct gdb_vm_target *t = arg;

	return gdb_monitor_run(t->vm, line, out);
}

const struct gdb_target_ops gdb_vm_target_ops = {
	.nthreads = nthreads,
	.read_regs = read_regs,
	.write_regs = write_regs,
	.read_mem = read_mem,
	.write_mem = write_mem,
	.breakpoint = breakpoint,
	.resume = resume,
	.monitor = monitor,
};
