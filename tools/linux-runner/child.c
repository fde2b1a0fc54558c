/*
 * linux-runner-child: the process whose address space a linux-runner
 * scenario works on.  linux-runner starts it with a pipe on its standard
 * input and output (lr_proto.h) and sends it the operations one by one.
 *
 * It is a program of its own, never built with AddressSanitizer: ASan's
 * shadow memory covers the start of the scenario window, and a scenario must
 * find the window empty and the address space holding only what it mapped.
 * After its setup it allocates nothing and maps nothing, so every mapping
 * beyond its baseline is the scenario's.
 *
 *  - mmap/munmap/mprotect are raw system calls;
 *  - touch/fill/check access memory and catch SIGSEGV with sigsetjmp /
 *    siglongjmp: SEGV_ACCERR (or SEGV_PKUERR) is accerr, anything else maperr;
 *  - maps and counts come from /proc/self/maps, presence from
 *    /proc/self/pagemap (bit 63);
 *  - transparent huge pages are disabled (PR_SET_THP_DISABLE) so that a
 *    fault populates 4 KiB, as in the guest;
 *  - CAP_SYS_RAWIO is dropped, so that mmap below vm.mmap_min_addr fails as
 *    for any ordinary process even when linux-runner runs as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tools/linux-runner/lr_proto.h"
#include "vmm/script/script.h"
#include "tools/linux-runner/pipe_io.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

#define PAGE_4K            0x1000ULL
#define PAGEMAP_PRESENT    (1ULL << 63)
#define REQ_FD             0
#define RESP_FD            1

static sigjmp_buf fault_jmp;
static volatile uint64_t access_addr;          /* the byte being accessed */
static volatile sig_atomic_t fault_code;
static int pagemap_fd = -1;


/* Answer or die: linux-runner sees the pipe close. */
static void send_or_exit(const void *buf, size_t len)
{
	if (write_all(RESP_FD, buf, len))
		_exit(1);
}

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fault_code = sig == SIGSEGV && (si->si_code == SEGV_ACCERR || si->si_code == SEGV_PKUERR) ?
		     SCEN_FAULT_ACCERR : SCEN_FAULT_MAPERR;
	siglongjmp(fault_jmp, 1);
}

/* The last byte of [addr, addr + len) (len > 0), saturating at the top. */
static uint64_t range_last(uint64_t addr, uint64_t len)
{
	return len - 1 > UINT64_MAX - addr ? UINT64_MAX : addr + (len - 1);
}

/*
 * touch/fill/check on our own memory, in ascending order, stopping at the
 * first fault (or mismatch).  A write touch adds 0 to the byte atomically:
 * one write access that keeps the data.
 */
static void do_access(const struct lr_req *q, struct lr_resp *r)
{
	uint64_t last;

	r->result = SCEN_ACC_OK;
	if (q->len == 0)
		return;
	last = range_last(q->addr, q->len);
	if (sigsetjmp(fault_jmp, 1)) {
		r->result = SCEN_ACC_FAULT;
		r->out0 = access_addr & ~(PAGE_4K - 1);
		r->out1 = (uint64_t)fault_code;
		return;
	}
	access_addr = q->addr;
	for (;;) {
		uint64_t a = access_addr;
		uint64_t page_last = (a | (PAGE_4K - 1)) < last ? (a | (PAGE_4K - 1)) : last;

		switch ((enum scen_access_op)q->prot) {
		case SCEN_ACCESS_READ:
			(void)*(volatile uint8_t *)(uintptr_t)a;
			break;
		case SCEN_ACCESS_WRITE:
			__atomic_fetch_add((uint8_t *)(uintptr_t)a, 0, __ATOMIC_RELAXED);
			break;
		case SCEN_ACCESS_FILL:
			for (uint64_t b = a;; b++) {
				access_addr = b;
				*(volatile uint8_t *)(uintptr_t)b = (uint8_t)q->byte;
				if (b == page_last)
					break;
			}
			break;
		case SCEN_ACCESS_CHECK:
			for (uint64_t b = a;; b++) {
				uint8_t v;

				access_addr = b;
				v = *(volatile uint8_t *)(uintptr_t)b;
				if (v != (uint8_t)q->byte) {
					r->result = SCEN_ACC_MISMATCH;
					r->out0 = b;
					r->out1 = v;
					return;
				}
				if (b == page_last)
					break;
			}
			break;
		}
		if (page_last == last)
			break;
		access_addr = page_last + 1;
	}
}

static uint64_t hex_field(const char **pp, const char *end)
{
	const char *p = *pp;
	uint64_t v = 0;

	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9')
			v = v << 4 | (uint64_t)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			v = v << 4 | (uint64_t)(*p - 'a' + 10);
		else
			break;
	}
	*pp = p;
	return v;
}

/* One line of /proc/self/maps ("start-end perms ...") into rec. */
static void parse_maps_line(const char *p, const char *end, struct lr_map *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->start = hex_field(&p, end);
	if (p < end && *p == '-')
		p++;
	rec->end = hex_field(&p, end);
	if (p < end && *p == ' ')
		p++;
	if (end - p >= 4) {
		rec->prot = (p[0] == 'r' ? SCEN_PROT_READ : 0) |
			    (p[1] == 'w' ? SCEN_PROT_WRITE : 0) |
			    (p[2] == 'x' ? SCEN_PROT_EXEC : 0);
		rec->flags = p[3] == 's' ? LR_MAP_SHARED : 0;
	}
}

/*
 * Walk /proc/self/maps without allocating: count the mappings and, if send,
 * answer those intersecting [lo, hi) as lr_map records and an end record.
 * Returns the count or -errno.
 */
static int64_t walk_maps(uint64_t lo, uint64_t hi, int send)
{
	static char buf[65536];
	size_t have = 0;
	int64_t count = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	struct lr_map rec;

	if (fd >= 0) {
		for (;;) {
			ssize_t n = read(fd, buf + have, sizeof(buf) - have);
			char *line = buf, *nl;

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				count = -errno;
				break;
			}
			have += (size_t)n;
			while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
				count++;
				parse_maps_line(line, nl, &rec);
				if (send && rec.end > lo && rec.start < hi)
					send_or_exit(&rec, sizeof(rec));
				line = nl + 1;
			}
			have -= (size_t)(line - buf);
			memmove(buf, line, have);
			if (n == 0 || have == sizeof(buf))
				break;
		}
		close(fd);
	} else {
		count = -errno;
	}
	if (send) {
		memset(&rec, 0, sizeof(rec));
		rec.flags = LR_MAP_END;
		send_or_exit(&rec, sizeof(rec));
	}
	return count;
}

/* Answer one presence byte per page from addr. */
static void send_pagemap(uint64_t addr, uint64_t npages)
{
	static uint64_t entries[LR_PAGEMAP_CHUNK];
	static uint8_t present[LR_PAGEMAP_CHUNK];

	for (uint64_t done = 0; done < npages;) {
		uint64_t n = npages - done < LR_PAGEMAP_CHUNK ? npages - done : LR_PAGEMAP_CHUNK;
		uint64_t vpn = addr / PAGE_4K + done;
		ssize_t got = pread(pagemap_fd, entries, n * sizeof(entries[0]),
				    (off_t)(vpn * sizeof(entries[0])));

		for (uint64_t i = 0; i < n; i++)
			present[i] = got >= 0 && (uint64_t)got >= (i + 1) * sizeof(entries[0]) &&
				     (entries[i] & PAGEMAP_PRESENT);
		send_or_exit(present, n);
		done += n;
	}
}

static int64_t raw_result(long r)
{
	return r == -1 ? -errno : r;
}

static void serve(void)
{
	struct lr_req q;
	struct lr_resp r;

	while (read_all(REQ_FD, &q, sizeof(q)) == 0) {
		memset(&r, 0, sizeof(r));
		switch ((enum lr_op)q.op) {
		case LR_MMAP: {
			long flags = MAP_PRIVATE | MAP_ANONYMOUS;

			if (q.how == SCEN_MMAP_FIXED)
				flags |= MAP_FIXED;
			else if (q.how == SCEN_MMAP_NOREPLACE)
				flags |= MAP_FIXED_NOREPLACE;
			r.result = raw_result(syscall(SYS_mmap, q.how == SCEN_MMAP_ANY ? 0 : q.addr,
						      q.len, (long)q.prot, flags, -1L, 0L));
			break;
		}
		case LR_MUNMAP:
			r.result = raw_result(syscall(SYS_munmap, q.addr, q.len));
			break;
		case LR_MPROTECT:
			r.result = raw_result(syscall(SYS_mprotect, q.addr, q.len, (long)q.prot));
			break;
		case LR_ACCESS:
			do_access(&q, &r);
			break;
		case LR_MAPS:
			walk_maps(q.addr, q.len, 1);
			continue;
		case LR_COUNT:
			r.result = walk_maps(0, 0, 0);
			break;
		case LR_PAGEMAP:
			send_pagemap(q.addr, q.len);
			continue;
		default:
			r.result = -EINVAL;
			break;
		}
		send_or_exit(&r, sizeof(r));
	}
}

/* Behave as an unprivileged process for mmap_min_addr; failure is harmless. */
static void drop_rawio(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return;
	data[CAP_SYS_RAWIO / 32].effective &= ~(1u << (CAP_SYS_RAWIO % 32));
	data[CAP_SYS_RAWIO / 32].permitted &= ~(1u << (CAP_SYS_RAWIO % 32));
	data[CAP_SYS_RAWIO / 32].inheritable &= ~(1u << (CAP_SYS_RAWIO % 32));
	(void)syscall(SYS_capset, &hdr, data);
}

int main(void)
{
	struct lr_resp ready;
	struct sigaction sa;

	memset(&ready, 0, sizeof(ready));
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		ready.result = -errno;
	drop_rawio();
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		ready.result = -errno;
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap_fd < 0)
		ready.result = -errno;
	send_or_exit(&ready, sizeof(ready));
	if (ready.result)
		return 1;
	serve();
	return 0;
}
