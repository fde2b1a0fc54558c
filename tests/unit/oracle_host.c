/*
 * The oracle's host backend: the script's calls made for real on the
 * host's Linux, in a forked child so that the test process's own address
 * space is never touched.  The window lies at HOST_BASE, inside the
 * scenario window but above ASan's shadow (which ends at 0x10007fff8000).
 * The child disables THP (a huge page would populate a whole 2 MiB) and
 * sets RLIMIT_STACK to the 8 MiB of the scenario language.
 *
 * Caveat: this host boots with pvm_no_zero_page=1, so a read fault (and a
 * read populate) maps a private page and gives the VMA an anon_vma, where
 * stock Linux and the guest map the zero page: scripts compared with the
 * guest avoid read faults whose anon_vma would change a later merge.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/oracle.h"

#define HOST_BASE 0x180000000000ULL
#define OUT_SIZE  (256 * 1024)

static long sys(long r)
{
	return r < 0 ? -errno : r;
}

static long h_mmap(void *ctx, uint64_t addr, uint64_t len, unsigned prot, unsigned flags)
{
	int f = MAP_PRIVATE | MAP_ANONYMOUS |
		(flags & OR_MAP_NOREPLACE ? MAP_FIXED_NOREPLACE : MAP_FIXED) |
		(flags & OR_MAP_NORESERVE ? MAP_NORESERVE : 0) |
		(flags & OR_MAP_POPULATE ? MAP_POPULATE : 0) |
		(flags & OR_MAP_LOCKED ? MAP_LOCKED : 0) |
		(flags & OR_MAP_GROWSDOWN ? MAP_GROWSDOWN : 0);
	void *p = mmap((void *)addr, len, (int)prot, f, -1, 0);

	(void)ctx;
	return p == MAP_FAILED ? -errno : (long)p;
}

static long h_munmap(void *ctx, uint64_t addr, uint64_t len)
{
	(void)ctx;
	return sys(munmap((void *)addr, len));
}

static long h_mprotect(void *ctx, uint64_t addr, uint64_t len, unsigned prot)
{
	(void)ctx;
	return sys(mprotect((void *)addr, len, (int)prot));
}

static long h_mremap(void *ctx, uint64_t addr, uint64_t old_len, uint64_t new_len,
		     unsigned flags, uint64_t new_addr)
{
	(void)ctx;
	return sys(syscall(SYS_mremap, addr, old_len, new_len, flags, new_addr));
}

static long h_madvise(void *ctx, uint64_t addr, uint64_t len, int advice)
{
	(void)ctx;
	return sys(madvise((void *)addr, len, advice));
}

static long h_mlock(void *ctx, uint64_t addr, uint64_t len, unsigned flags)
{
	(void)ctx;
	return sys(syscall(SYS_mlock2, addr, len, flags));
}

static long h_munlock(void *ctx, uint64_t addr, uint64_t len)
{
	(void)ctx;
	/* A raw system call: ASan's munlock interceptor does nothing. */
	return sys(syscall(SYS_munlock, addr, len));
}

static sigjmp_buf fault_jmp;
static volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	fault_code = si->si_code;
	siglongjmp(fault_jmp, 1);
}

__attribute__((no_sanitize_address, noinline))
static void raw_access(uint64_t va, int write, uint8_t *byte)
{
	volatile uint8_t *p = (volatile uint8_t *)va;

	if (write == 2)
		*p = *byte;
	else if (write == 1)
		__atomic_fetch_or((uint8_t *)va, 0, __ATOMIC_RELAXED);
	else
		*byte = *p;
}

static int h_access(void *ctx, uint64_t va, int write, uint8_t *byte)
{
	(void)ctx;
	/* No mask to save: SA_NODEFER leaves it as it was in the handler,
	 * and saving it costs a system call per byte. */
	if (sigsetjmp(fault_jmp, 0))
		return fault_code == SEGV_ACCERR ? OR_ACCERR : OR_MAPERR;
	raw_access(va, write, byte);
	return OR_OK;
}

static int pagemap_fd = -1;

static int h_present(void *ctx, uint64_t va)
{
	uint64_t e = 0;

	(void)ctx;
	if (pread(pagemap_fd, &e, 8, (off_t)(va / 4096 * 8)) != 8)
		return 0;
	return (int)(e >> 63);
}

static unsigned smaps_flags(const char *line)
{
	static const char *const names[] = { "ac", "nr", "lo", "lf", "gd", "sr", "rr", "dc", "wf" };
	unsigned f = 0;

	for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++) {
		char w[5];
		snprintf(w, sizeof w, " %s", names[i]);
		for (const char *p = line; (p = strstr(p, w)); p++)
			if (p[3] == ' ' || p[3] == '\n' || p[3] == 0)
				f |= 1u << i;
	}
	return f;
}

static unsigned h_vmas(void *ctx, uint64_t lo, uint64_t hi, struct or_vma *out, unsigned max)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], perms[8];
	unsigned n = 0;
	bool in = false;

	(void)ctx;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long s, e;
		if (sscanf(line, "%lx-%lx %7s", &s, &e, perms) == 3 && strchr(line, ' ') == line + strcspn(line, " ")) {
			in = e > lo && s < hi && n < max;
			if (in)
				out[n] = (struct or_vma){ .start = s, .end = e,
					.prot = (perms[0] == 'r') | (perms[1] == 'w') << 1 | (perms[2] == 'x') << 2 };
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			out[n++].flags = smaps_flags(line + 8);
			in = false;
		}
	}
	if (f)
		fclose(f);
	return n;
}

static const struct oracle_ops host_ops = {
	.mmap = h_mmap, .munmap = h_munmap, .mprotect = h_mprotect, .mremap = h_mremap,
	.madvise = h_madvise, .mlock = h_mlock, .munlock = h_munlock, .access = h_access,
	.present = h_present, .vmas = h_vmas,
};

static void child(const char *script, int fd)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };
	struct rlimit stack = { 8ULL << 20, RLIM_INFINITY };
	char *out = malloc(OUT_SIZE);
	size_t n;

	sigaction(SIGSEGV, &sa, NULL);
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	getrlimit(RLIMIT_STACK, &stack);
	stack.rlim_cur = 8ULL << 20;
	setrlimit(RLIMIT_STACK, &stack);
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	munmap((void *)HOST_BASE, ORACLE_SPAN);
	oracle_run(&host_ops, NULL, HOST_BASE, script, out, OUT_SIZE);
	n = strlen(out);
	for (size_t done = 0; done < n;) {
		ssize_t k = write(fd, out + done, n - done);
		if (k <= 0)
			break;
		done += (size_t)k;
	}
	_exit(0);
}

const char *oracle_host(const char *script)
{
	static char buf[OUT_SIZE];
	size_t n = 0;
	int fds[2], status;
	pid_t pid;

	if (pipe(fds))
		return "pipe failed";
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		child(script, fds[1]);
	}
	close(fds[1]);
	for (ssize_t k; n < sizeof buf - 1 && (k = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0;)
		n += (size_t)k;
	buf[n] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return buf;
}
