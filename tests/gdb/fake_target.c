/*
 * A gdb target without a VM: see fake_target.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/gdb/fake_target.h"

static unsigned nthreads(void *t)
{
	(void)t;
	return FAKE_THREADS;
}

static int read_regs(void *t, unsigned cpu, uint8_t *regs)
{
	struct fake_target *f = t;

	if (cpu >= FAKE_THREADS)
		return -ESRCH;
	memcpy(regs, f->regs[cpu], GDB_REGS_BYTES);
	return 0;
}

static int write_regs(void *t, unsigned cpu, const uint8_t *regs)
{
	struct fake_target *f = t;
	size_t fixed = gdb_reg_offset(GDB_CS);

	if (cpu >= FAKE_THREADS)
		return -ESRCH;
	if (memcmp(f->regs[cpu] + fixed, regs + fixed, GDB_REGS_BYTES - fixed))
		return -EPERM;
	memcpy(f->regs[cpu], regs, GDB_REGS_BYTES);
	return 0;
}

static long mem_span(uint64_t addr, size_t len)
{
	if (addr < FAKE_MEM_BASE || addr - FAKE_MEM_BASE >= FAKE_MEM_SIZE)
		return -EFAULT;
	uint64_t left = FAKE_MEM_SIZE - (addr - FAKE_MEM_BASE);
	return (long)(len < left ? len : left);
}

static long read_mem(void *t, unsigned cpu, uint64_t addr, uint8_t *buf, size_t len)
{
	struct fake_target *f = t;
	long n = mem_span(addr, len);

	(void)cpu;
	if (n > 0)
		memcpy(buf, f->mem + (addr - FAKE_MEM_BASE), (size_t)n);
	return n;
}

static long write_mem(void *t, unsigned cpu, uint64_t addr, const uint8_t *buf, size_t len)
{
	struct fake_target *f = t;
	long n = mem_span(addr, len);

	(void)cpu;
	if (n > 0)
		memcpy(f->mem + (addr - FAKE_MEM_BASE), buf, (size_t)n);
	return n;
}

static int breakpoint(void *t, bool insert, uint64_t addr)
{
	struct fake_target *f = t;

	for (unsigned i = 0; i < f->nbp; i++) {
		if (f->bp[i] == addr) {
			if (!insert)
				f->bp[i] = f->bp[--f->nbp];
			return 0;
		}
	}
	if (!insert)
		return -ENOENT;
	if (f->nbp == 4)
		return -ENOSPC;
	f->bp[f->nbp++] = addr;
	return 0;
}

static int resume(void *t, unsigned cpu, bool step)
{
	struct fake_target *f = t;

	f->resumes++;
	f->steps += step;
	f->last_cpu = cpu;
	return 0;
}

static int monitor(void *t, const char *line, char **out)
{
	size_t n = strlen(line) + 16;

	(void)t;
	*out = malloc(n);
	if (!*out)
		return -1;
	if (strcmp(line, "bad") == 0) {
		snprintf(*out, n, "error: bad\n");
		return -1;
	}
	snprintf(*out, n, "echo %s\n", line);
	return 0;
}

const struct gdb_target_ops fake_target_ops = {
	.nthreads = nthreads,
	.read_regs = read_regs,
	.write_regs = write_regs,
	.read_mem = read_mem,
	.write_mem = write_mem,
	.breakpoint = breakpoint,
	.resume = resume,
	.monitor = monitor,
};
