/*
 * linux-runner-child's accesses (touch, fill, check) on its own memory:
 * each byte accessed from user mode in ascending order, a fault caught with
 * sigsetjmp/siglongjmp and reported by kind: SIGSEGV with SEGV_ACCERR (or
 * SEGV_PKUERR) is accerr, any other SIGSEGV maperr, SIGBUS sigbus.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>

#include "tools/linux-runner/child.h"
#include "vmm/script/script.h"

#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

#define PAGE_4K            0x1000ULL

static sigjmp_buf fault_jmp;
static volatile uint64_t access_addr;          /* the byte being accessed */
static volatile sig_atomic_t fault_code;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == SIGBUS)
		fault_code = SCEN_FAULT_SIGBUS;
	else if (si->si_code == SEGV_ACCERR || si->si_code == SEGV_PKUERR)
		fault_code = SCEN_FAULT_ACCERR;
	else
		fault_code = SCEN_FAULT_MAPERR;
	siglongjmp(fault_jmp, 1);
}

int child_access_setup(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, NULL) || sigaction(SIGBUS, &sa, NULL))
		return -errno;
	return 0;
}

/* The last byte of [addr, addr + len) (len > 0), saturating at the top. */
static uint64_t range_last(uint64_t addr, uint64_t len)
{
	return len - 1 > UINT64_MAX - addr ? UINT64_MAX : addr + (len - 1);
}

/* check from a to page_last: 0, or 1 with the mismatch in r. */
static int check_bytes(uint64_t a, uint64_t page_last, uint8_t want, struct lr_resp *r)
{
	for (uint64_t b = a;; b++) {
		uint8_t v;

		access_addr = b;
		v = *(volatile uint8_t *)(uintptr_t)b;
		if (v != want) {
			r->result = SCEN_ACC_MISMATCH;
			r->out0 = b;
			r->out1 = v;
			return 1;
		}
		if (b == page_last)
			return 0;
	}
}

/*
 * touch/fill/check, in ascending order, stopping at the first fault (or
 * mismatch).  A write touch adds 0 to the byte atomically: one write
 * access that keeps the data, never a read then a write.
 */
void child_access(const struct lr_req *q, struct lr_resp *r)
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
			if (check_bytes(a, page_last, (uint8_t)q->byte, r))
				return;
			break;
		}
		if (page_last == last)
			break;
		access_addr = page_last + 1;
	}
}
