/*
 * vmm-mm: boot the vmm-mm guest kernel on KVM and test its memory manager
 * from C.  This is the one header of the installed library (libvmm-mm,
 * `pkg-config --cflags --libs vmm-mm`, or `find_package(vmm-mm)` and the
 * target vmm-mm::vmm-mm); docs/criterion-test.md walks through a complete
 * Criterion test.
 *
 * A struct vmm is one virtual machine running the guest kernel, plus one
 * scenario session on an address space of its own (the "current mm"):
 *
 *     struct vmm *v;
 *     char err[1024];
 *     if (vmm_boot(&(struct vmm_config){ .quiet = true }, &v, err, sizeof err))
 *             errx(1, "%s", err);                  // /dev/kvm, the guest ELF...
 *     struct vmm_transcript t;
 *     vmm_run(v, "mmap 0x100000000000 16K rw-\n"
 *                "touch 0x100000000000 8K write\n", &t);   // t.out: the transcript
 *     vmm_transcript_free(&t);
 *     struct vmm_counters c;
 *     vmm_counters(v, &c);                          // c.rss_pages == 2
 *     vmm_destroy(v);
 *
 * Three ways in, one address space:
 *  - vmm_run: lines of the scenario language (docs/scenarios.md,
 *    vmm-scenario(5)) and vmm's guest-only commands, exactly as a script
 *    or the control socket takes them; the transcript comes back as text;
 *  - typed requests (vmm_mmap, vmm_munmap, vmm_mprotect, vmm_access): one
 *    request each to the guest, its answer as numbers;
 *  - inspection (vmm_vmas, vmm_ptes, vmm_walk, vmm_counters, vmm_mm_list,
 *    vmm_check): the guest's published state read from guest memory, in a
 *    consistent snapshot, as structs.  These never ask the guest anything.
 *
 * Conventions.  Functions return 0 or a negative errno.  A typed request
 * returns 0 when the guest answered, its answer (an address, 0, or -errno
 * as Linux would return) in *result; a negative return means there was no
 * answer: -EPIPE the guest is dead (vmm_failure says why), -ETIMEDOUT it
 * stopped answering, -EPROTO it broke the protocol.  An inspection that
 * cannot read a consistent state returns -EBUSY (the guest kept changing
 * it for a second), or another -errno for a structure that cannot be read
 * (vmm_error says which).  Not thread-safe: use one struct vmm from one
 * thread at a time.  Every address and length is in bytes.
 */
#ifndef VMM_MM_VMM_H
#define VMM_MM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version of this interface; it grows when the header changes
 * (2: vmm_config.cpus). */
#define VMM_API_VERSION       2

/* The library's version ("0.2.0"). */
const char *vmm_version(void);

/* ---- booting ---- */

struct vmm;

struct vmm_config {
	const char *guest;            /* guest kernel ELF; NULL: the installed one
	                                 (vmm_default_guest) */
	uint64_t mem_size;            /* guest RAM: a multiple of 2 MiB, 16 MiB to
	                                 3 GiB; 0 = 128 MiB */
	bool quiet;                   /* drop the guest's console lines */
	FILE *console;                /* where they go otherwise (NULL: stderr) */
	bool check;                   /* run the invariant checker after every
	                                 line vmm_run executes, as vmm --check: a
	                                 violation fails the line and stops the run */
	uint32_t boot_timeout_ms;     /* until the guest is ready; 0 = 20 s */
	uint32_t request_timeout_ms;  /* per request; 0 = 120 s */
	unsigned cpus;                /* the guest's CPUs, 1 to 8, as vmm --cpus
	                                 (each a host thread; vmm_run's `cpu N`
	                                 lines pick one); 0 = 2 (API version 2) */
};

/*
 * The guest kernel used when vmm_config.guest is NULL: $VMM_GUEST if set,
 * else guest.elf of this installation (share/vmm-mm/guest.elf beside the
 * library's lib/), else of the prefix compiled in.  0 and the path in buf,
 * or -ENOENT.
 */
int vmm_default_guest(char *buf, size_t len);

/*
 * Load the guest, create the VM, start it and wait until the guest is
 * ready.  0 and *out, or a negative errno and a message in err (one or
 * more lines, naming the cause and what to do):
 *   -EINVAL  a bad configuration (mem_size, cpus above 8);
 *   -ENOEXEC the guest ELF cannot be read or is not a kernel for this vmm;
 *   -ENOENT  no guest given and none installed, or /dev/kvm is missing
 *            (the message says which, and how to get KVM);
 *   -EACCES  /dev/kvm is not accessible (the kvm group...);
 *   -EPIPE, -ETIMEDOUT, -EPROTO  the guest crashed, did not get ready, or
 *            speaks another protocol (err holds the crash report's reason);
 *   other    the host could not set the VM up.
 * *out is NULL on error.
 */
int vmm_boot(const struct vmm_config *cfg, struct vmm **out, char *err, size_t errlen);

/* Stop the VM and free everything.  NULL is allowed. */
void vmm_destroy(struct vmm *v);

/* NULL while the guest is healthy; otherwise why it died, in one line. */
const char *vmm_failure(struct vmm *v);

/* The full crash report (reason, registers, page walk of RIP and CR2, last
 * console lines) of a dead guest, to f. */
void vmm_report(struct vmm *v, FILE *f);

/* Why the last call on v that returned an error failed ("" if none). */
const char *vmm_error(const struct vmm *v);

/* ---- scenario lines ---- */

/* Statuses of vmm_run: the scenario language's exit statuses. */
#define VMM_OK                0   /* every line ran, every expectation held */
#define VMM_FAIL              1   /* an expectation (or the checker) failed, or a
	                             command could not run; later lines still ran */
#define VMM_PARSE             2   /* a line could not be parsed: it and the lines
	                             after it did not run */
#define VMM_DEAD              3   /* the guest died: vmm_failure says why */

struct vmm_transcript {
	int status;                   /* VMM_OK ... VMM_DEAD, as returned */
	char *out;                    /* the transcript: what vmm prints on standard
	                                 output for these lines (NUL-terminated) */
	size_t out_len;
	char *err;                    /* diagnostics: what vmm prints on standard
	                                 error ("error: ...", checker findings) */
	size_t err_len;
	unsigned line;                /* the line of text (from 1) the first
	                                 problem is about; 0 if none */
};

/*
 * Run text, one or more lines (separated by '\n'), in v's session: every
 * line a script takes (operations, expectations, `expect maps` ... `end`
 * blocks, which must close within text, and the guest-only commands such as
 * ptdump, vmas, smaps, stats, check, mm new/use).  State carries over
 * between calls (the current mm, the result `expect result` compares).
 * Returns the status (also t->status); t (may be NULL) gets the output:
 * free it with vmm_transcript_free.  -ENOMEM if the output could not be
 * kept.
 */
int vmm_run(struct vmm *v, const char *text, struct vmm_transcript *t);

void vmm_transcript_free(struct vmm_transcript *t);

/* ---- typed requests (to the current mm) ---- */

/* Protections, Linux's PROT_* values. */
#define VMM_PROT_NONE         0x0u
#define VMM_PROT_READ         0x1u
#define VMM_PROT_WRITE        0x2u
#define VMM_PROT_EXEC         0x4u

/* Where vmm_mmap places the mapping. */
#define VMM_MAP_ANYWHERE      0u  /* the kernel chooses (addr is ignored) */
#define VMM_MAP_FIXED         1u  /* MAP_FIXED: at addr, replacing what is there */
#define VMM_MAP_NOREPLACE     2u  /* MAP_FIXED_NOREPLACE: -EEXIST on overlap */

/* Anonymous private mmap: *result = the address, or -errno. */
int vmm_mmap(struct vmm *v, uint64_t addr, uint64_t len, unsigned prot, unsigned where,
	     int64_t *result);
/* munmap: *result = 0 or -errno. */
int vmm_munmap(struct vmm *v, uint64_t addr, uint64_t len, int64_t *result);
/* mprotect: *result = 0 or -errno. */
int vmm_mprotect(struct vmm *v, uint64_t addr, uint64_t len, unsigned prot, int64_t *result);

enum vmm_access_kind {
	VMM_TOUCH_READ,               /* one user-mode read of every page */
	VMM_TOUCH_WRITE,              /* one user-mode write of every page */
	VMM_FILL,                     /* write byte to every byte */
	VMM_CHECK,                    /* read every byte, compare with byte */
};

enum vmm_access_outcome {
	VMM_ACCESS_OK,
	VMM_ACCESS_FAULT,             /* addr: the faulting page */
	VMM_ACCESS_MISMATCH,          /* addr: the first differing byte, found: its value */
	VMM_ACCESS_REFUSED,           /* the request was refused: error is the errno */
};

struct vmm_access {
	enum vmm_access_outcome outcome;
	uint64_t addr;
	bool accerr;                  /* FAULT: a protection fault (SEGV_ACCERR);
	                                 false: no mapping (SEGV_MAPERR) */
	uint8_t found;
	int error;
};

/* A ring-3 access run over [addr, addr + len) in the current mm, stopping
 * at the first fault (or mismatch), as the scenario's touch/fill/check. */
int vmm_access(struct vmm *v, enum vmm_access_kind kind, uint64_t addr, uint64_t len,
	       uint8_t byte, struct vmm_access *res);

/* The current mm's id (the session's address space; `mm use` changes it). */
uint32_t vmm_current_mm(struct vmm *v);

/* ---- inspection (from guest memory, the current mm) ---- */

/* VMA flags, Linux's VM_* values. */
#define VMM_VM_READ           0x00000001ULL
#define VMM_VM_WRITE          0x00000002ULL
#define VMM_VM_EXEC           0x00000004ULL
#define VMM_VM_SHARED         0x00000008ULL
#define VMM_VM_MAYREAD        0x00000010ULL
#define VMM_VM_MAYWRITE       0x00000020ULL
#define VMM_VM_MAYEXEC        0x00000040ULL
#define VMM_VM_MAYSHARE       0x00000080ULL
#define VMM_VM_LOCKED         0x00002000ULL
#define VMM_VM_ACCOUNT        0x00100000ULL

struct vmm_vma {
	uint64_t start, end;          /* [start, end) */
	uint64_t pgoff;               /* in pages */
	uint64_t flags;               /* VMM_VM_* */
	bool anon;                    /* has an anon_vma */
};

/* Every VMA of the current mm, ascending: *vmas (malloc'ed, free() it;
 * NULL when *n is 0) and *n. */
int vmm_vmas(struct vmm *v, struct vmm_vma **vmas, size_t *n);

/* One leaf page-table entry, as the CPU would use it (effective
 * permissions: user and write need every level, exec none setting NX). */
struct vmm_pte {
	uint64_t va;                  /* first address it maps */
	uint64_t pa;                  /* guest-physical address of the page */
	uint64_t size;                /* 4096 or 2 MiB */
	uint64_t entry;               /* the raw entry */
	bool user, write, exec;
	bool accessed, dirty, global;
	bool protnone;                /* a PROT_NONE entry (not present, holds a
	                                 frame; no access) */
};

/* The leaves of the current mm intersecting [start, end) (end 0: to the
 * top), ascending: *ptes (malloc'ed, free() it) and *n.  -E2BIG beyond
 * 4,194,304 leaves. */
int vmm_ptes(struct vmm *v, uint64_t start, uint64_t end, struct vmm_pte **ptes, size_t *n);

enum vmm_walk_outcome {
	VMM_WALK_MAPPED,              /* gpa, page_size, user/write/exec set */
	VMM_WALK_NOT_PRESENT,         /* stopped at levels[nlevels - 1] */
	VMM_WALK_PROTNONE,            /* a PROT_NONE leaf: gpa = its frame */
	VMM_WALK_BAD,                 /* an entry that cannot be followed: problem */
	VMM_WALK_NONCANONICAL,        /* va is not canonical: no level read */
	VMM_WALK_UNREADABLE,          /* a table outside RAM: problem */
};

struct vmm_walk_level {
	unsigned level;               /* 4 PML4, 3 PDPT, 2 PD, 1 PT */
	unsigned index;               /* 0..511 */
	uint64_t entry_gpa;           /* where the entry lives */
	uint64_t entry;               /* its value */
};

struct vmm_walk {
	uint64_t va;
	uint32_t mm;
	uint64_t pml4;
	unsigned nlevels;             /* entries read, from the PML4 down */
	struct vmm_walk_level levels[4];
	enum vmm_walk_outcome outcome;
	uint64_t gpa;                 /* MAPPED: va's guest-physical address */
	uint64_t page_size;
	bool user, write, exec;       /* MAPPED: effective permissions */
	const char *problem;          /* BAD, UNREADABLE: static text */
};

/* The page walk of va in the current mm, level by level (as `walk VA`). */
int vmm_walk(struct vmm *v, uint64_t va, struct vmm_walk *w);

/* The counters the guest publishes for the current mm and for RAM (the
 * `stats` command). */
struct vmm_counters {
	uint32_t mm;
	uint64_t vmas;                /* map_count */
	uint64_t rss_pages;           /* leaves mapping private frames */
	uint64_t zero_ptes;           /* leaves mapping the zero page */
	uint64_t pt_pages;            /* page-table pages below the PML4, user half */
	uint64_t frames_total, frames_free, frames_zero;
	uint64_t requests;            /* requests completed since boot */
};

int vmm_counters(struct vmm *v, struct vmm_counters *c);

struct vmm_mm_info {
	uint32_t id;
	bool current;
	uint64_t pml4;
	uint64_t vmas, rss_pages, zero_ptes, pt_pages;
};

/* Every address space of the guest (`mm list`): up to max into mms, *n =
 * how many exist (may exceed max). */
int vmm_mm_list(struct vmm *v, struct vmm_mm_info *mms, size_t max, size_t *n);

/* One finding of the invariant checker (rules: docs/inspection.md). */
struct vmm_violation {
	char rule[32];                /* "zero-writable", "frame-refcount"... */
	bool has_mm, has_va, has_pte;
	uint32_t mm;
	uint64_t va;
	uint64_t pte;
	char msg[200];
};

struct vmm_check_result {
	size_t total;                 /* violations found (0: clean) */
	size_t n;                     /* kept in v (the first 1,000) */
	struct vmm_violation *v;
	unsigned mms;                 /* what was checked */
	size_t vmas, ptes, page_tables, frames;
};

/* Run the invariant checker over every mm: 0 and *r (free it with
 * vmm_check_free), r->total violations; or -errno when the state could
 * not be read at all. */
int vmm_check(struct vmm *v, struct vmm_check_result *r);

void vmm_check_free(struct vmm_check_result *r);

#ifdef __cplusplus
}
#endif

#endif
