/*
 * A tiny script language for differential tests of the guest's memory
 * manager: the same script runs on the guest mm (oracle_guest.c, through
 * the mm's own entry points) and on the host's Linux (oracle_host.c, real
 * system calls in a forked child), and both print one transcript that the
 * tests compare with cr_assert_str_eq.  The host kernel decides.
 *
 * One operation a line; numbers are hex and count pages from the window
 * base unless written "b:HEX" (bytes); an address written
 * "=HEX" is absolute (bytes), not relative:
 *
 *   mmap A N PROT [noreplace noreserve populate locked growsdown]   (MAP_FIXED)
 *   munmap A N            mprotect A N PROT
 *   mremap A OLD NEW [maymove] [dontunmap] [fixed B]
 *   madvise A N ADVICE    (normal random sequential dontneed dontfork dofork
 *                          wipeonfork keeponfork populate_read populate_write)
 *   mlock A N [onfault]   munlock A N
 *   touch A N r|w         fill A N BYTE      check A N BYTE
 *   present A N           (x: a present leaf, or PROT_NONE with a page; .: none)
 *   maps                  (the VMAs in the window: "A-B prot flags")
 *
 * Each line prints "LINE -> RESULT"; maps prints its lines after it.
 */
#ifndef TESTS_UNIT_ORACLE_H
#define TESTS_UNIT_ORACLE_H

#include <stddef.h>
#include <stdint.h>

/* Request flags the script passes to a backend (Linux's values where Linux has one). */
#define OR_MAP_NOREPLACE   (1u << 0)
#define OR_MAP_NORESERVE   (1u << 1)
#define OR_MAP_POPULATE    (1u << 2)
#define OR_MAP_LOCKED      (1u << 3)
#define OR_MAP_GROWSDOWN   (1u << 4)
#define OR_MREMAP_MAYMOVE  1u
#define OR_MREMAP_FIXED    2u
#define OR_MREMAP_DONTUNMAP 4u
#define OR_MLOCK_ONFAULT   1u

/* What an access found. */
enum or_access { OR_OK = 0, OR_MAPERR = 1, OR_ACCERR = 2 };

/* VMA flags a backend reports (the /proc/PID/smaps VmFlags mnemonics shown). */
#define OR_VM_ACCOUNT      (1u << 0)   /* ac */
#define OR_VM_NORESERVE    (1u << 1)   /* nr */
#define OR_VM_LOCKED       (1u << 2)   /* lo */
#define OR_VM_LOCKONFAULT  (1u << 3)   /* lf */
#define OR_VM_GROWSDOWN    (1u << 4)   /* gd */
#define OR_VM_SEQ_READ     (1u << 5)   /* sr */
#define OR_VM_RAND_READ    (1u << 6)   /* rr */
#define OR_VM_DONTCOPY     (1u << 7)   /* dc */
#define OR_VM_WIPEONFORK   (1u << 8)   /* wf */

struct or_vma {
	uint64_t start, end;
	unsigned prot;         /* PROT_READ 1, PROT_WRITE 2, PROT_EXEC 4 */
	unsigned flags;        /* OR_VM_* */
};

/* A backend: every call returns what the system call would (-errno on failure). */
struct oracle_ops {
	long (*mmap)(void *ctx, uint64_t addr, uint64_t len, unsigned prot, unsigned flags);
	long (*munmap)(void *ctx, uint64_t addr, uint64_t len);
	long (*mprotect)(void *ctx, uint64_t addr, uint64_t len, unsigned prot);
	long (*mremap)(void *ctx, uint64_t addr, uint64_t old_len, uint64_t new_len,
		       unsigned flags, uint64_t new_addr);
	long (*madvise)(void *ctx, uint64_t addr, uint64_t len, int advice);
	long (*mlock)(void *ctx, uint64_t addr, uint64_t len, unsigned flags);
	long (*munlock)(void *ctx, uint64_t addr, uint64_t len);
	/* One byte at va: write stores *byte (write == 2) or keeps it (write == 1,
	 * a locked or), read (0) returns it in *byte.  enum or_access. */
	int (*access)(void *ctx, uint64_t va, int write, uint8_t *byte);
	int (*present)(void *ctx, uint64_t va);
	/* The VMAs intersecting [lo, hi), at most max; returns how many. */
	unsigned (*vmas)(void *ctx, uint64_t lo, uint64_t hi, struct or_vma *out, unsigned max);
};

/* Bytes of the window the scripts work in (its base is the backend's). */
#define ORACLE_SPAN        (1ULL << 40)

/* Run script on a backend whose window starts at base; the transcript goes
 * to out (NUL-terminated, truncated at size).  Returns 0, or -1 on a script
 * the parser does not understand (out then names the line). */
int oracle_run(const struct oracle_ops *ops, void *ctx, uint64_t base, const char *script,
	       char *out, size_t size);

/* The same script on the host's Linux (a child process) and on a fresh
 * guest mm; each returns a static buffer with the transcript. */
const char *oracle_host(const char *script);
const char *oracle_guest(const char *script);

/* Run script on both and fail the test (printing both) when they differ. */
void oracle_compare(const char *script);

#endif
