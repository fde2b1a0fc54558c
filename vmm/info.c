/*
 * vmm --info.  Detects KVM by opening /dev/kvm (never by CPU flags: the
 * software backend kvm_pvm has no vmx), lists the capabilities vmm relies on
 * and times exits with a two-instruction real-mode guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmm/info.h"
#include "vmm/kvm_diag.h"

static const struct { int cap; const char *name; } caps[] = {
	{ KVM_CAP_IRQCHIP, "in-kernel irqchip (KVM_CREATE_IRQCHIP)" },
	{ KVM_CAP_IRQFD, "irqfd doorbell (KVM_IRQFD)" },
	{ KVM_CAP_IOEVENTFD, "ioeventfd" },
	{ KVM_CAP_IMMEDIATE_EXIT, "immediate_exit (vCPU kick)" },
	{ KVM_CAP_BINARY_STATS_FD, "binary stats fd (insn_emulation counter)" },
	{ KVM_CAP_READONLY_MEM, "read-only memory slots" },
	{ KVM_CAP_NR_VCPUS, "recommended vCPUs" },
	{ KVM_CAP_MAX_VCPUS, "maximum vCPUs" },
};

static const char *backend_module(void)
{
	static const char *mods[] = { "kvm_pvm", "kvm_intel", "kvm_amd" };
	static char path[64];

	for (unsigned i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/sys/module/%s", mods[i]);
		if (access(path, F_OK) == 0)
			return mods[i];
	}
	return "unknown";
}

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Median microseconds of one `out` exit and back, or -1. */
static double exit_cost(int kvm)
{
	int vmfd = ioctl(kvm, KVM_CREATE_VM, 0), cpu = -1;
	double result = -1;
	uint8_t *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_run *run = MAP_FAILED;
	int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	if (vmfd < 0 || mem == MAP_FAILED || sz <= 0)
		goto out;
	/* out %al, $0x10 ; jmp $-2 (back to the out) */
	static const uint8_t code[] = { 0xe6, 0x10, 0xeb, 0xfc };
	memcpy(mem, code, sizeof(code));
	struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = 0x1000,
		.memory_size = 0x1000, .userspace_addr = (uint64_t)mem };
	if (ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &r) < 0 || (cpu = ioctl(vmfd, KVM_CREATE_VCPU, 0)) < 0)
		goto out;
	run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	struct kvm_sregs s;
	struct kvm_regs regs = { .rip = 0, .rflags = 2 };
	if (run == MAP_FAILED || ioctl(cpu, KVM_GET_SREGS, &s) < 0)
		goto out;
	s.cs.base = 0x1000;
	s.cs.selector = 0x100;
	if (ioctl(cpu, KVM_SET_SREGS, &s) < 0 || ioctl(cpu, KVM_SET_REGS, &regs) < 0)
		goto out;
	enum { N = 2001 };
	static double t[N];
	for (int i = 0; i < N; i++) {
		double a = now_us();
		if (ioctl(cpu, KVM_RUN, 0) < 0 || run->exit_reason != KVM_EXIT_IO)
			goto out;
		t[i] = now_us() - a;
	}
	qsort(t, N, sizeof(t[0]), cmp_double);
	result = t[N / 2];
out:
	if (run != MAP_FAILED)
		munmap(run, (size_t)sz);
	if (cpu >= 0)
		close(cpu);
	if (vmfd >= 0)
		close(vmfd);
	if (mem != MAP_FAILED)
		munmap(mem, 0x1000);
	return result;
}

int info_print(FILE *out)
{
	int kvm = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);

	if (kvm < 0) {
		char why[2048];
		int e = kvm_diagnose(errno, why, sizeof why);

		for (char *line = strtok(why, "\n"); line; line = strtok(NULL, "\n"))
			fprintf(stderr, "vmm: %s\n", line);
		return e;
	}
	fprintf(out, "/dev/kvm: API version %d, backend module %s\n",
		ioctl(kvm, KVM_GET_API_VERSION, 0), backend_module());
	for (unsigned i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		int v = ioctl(kvm, KVM_CHECK_EXTENSION, caps[i].cap);
		fprintf(out, "  %-44s %s", caps[i].name, v > 0 ? "yes" : "no");
		if (v > 1)
			fprintf(out, " (%d)", v);
		fputc('\n', out);
	}
	double us = exit_cost(kvm);
	if (us >= 0)
		fprintf(out, "  %-44s %.1f us (median of 2001 `out` round trips)\n", "exit to user space and back", us);
	else
		fprintf(out, "  %-44s could not be measured\n", "exit to user space and back");
	close(kvm);
	return 0;
}
