/*
 * The scenario engine: the language of /work/shared/scenario-language.md
 * (docs/scenarios.md), parsed, normalised and run against a backend.
 *
 * A backend performs the portable operations on one address space: in the
 * guest over the request channel (backend_guest.c) or, in linux-runner, on
 * the host's own Linux in a child process.  The engine prints the transcript
 * and checks expectations; it never knows which backend it drives.
 */
#ifndef VMM_SCRIPT_SCRIPT_H
#define VMM_SCRIPT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm;

/* The scenario window: `maps` lists the mappings that intersect it. */
#define SCEN_WINDOW_START     0x100000000000ULL
#define SCEN_WINDOW_END       0x200000000000ULL

/* Largest range `expect mapped` / `expect unmapped` accept (checked per page). */
#define SCEN_EXPECT_RANGE_MAX (1ULL << 30)

/* Exit statuses of a runner (the spec's). */
#define SCRIPT_OK             0   /* ran to the end, every expect held */
#define SCRIPT_FAIL           1   /* an expect failed */
#define SCRIPT_PARSE          2   /* the script could not be read or parsed */
#define SCRIPT_DEAD           3   /* the backend (guest) died */
/* Only from an after_step hook: the step failed and the run must stop
 * there (vmm --check); the run then ends with SCRIPT_FAIL. */
#define SCRIPT_STOP           4

/* Protection bits, Linux's PROT_* values. */
#define SCEN_PROT_READ        0x1u
#define SCEN_PROT_WRITE       0x2u
#define SCEN_PROT_EXEC        0x4u

/* How mmap places the mapping. */
#define SCEN_MMAP_ANY         0u  /* `mmap -`: the kernel chooses */
#define SCEN_MMAP_FIXED       1u  /* MAP_FIXED */
#define SCEN_MMAP_NOREPLACE   2u  /* MAP_FIXED_NOREPLACE */

/* mmap's flags (language version 2), in the order the transcript prints
 * them; noreplace is a placement (SCEN_MMAP_NOREPLACE), not a flag. */
#define SCEN_MAP_SHARED       (1u << 0)   /* MAP_SHARED instead of MAP_PRIVATE */
#define SCEN_MAP_NORESERVE    (1u << 1)   /* MAP_NORESERVE */
#define SCEN_MAP_POPULATE     (1u << 2)   /* MAP_POPULATE */
#define SCEN_MAP_LOCKED       (1u << 3)   /* MAP_LOCKED */
#define SCEN_MAP_GROWSDOWN    (1u << 4)   /* MAP_GROWSDOWN */
#define SCEN_MAP_ALL          0x1fu

/* mremap's flags. */
#define SCEN_MREMAP_MAYMOVE   (1u << 0)   /* MREMAP_MAYMOVE */
#define SCEN_MREMAP_DONTUNMAP (1u << 1)   /* MREMAP_DONTUNMAP */
#define SCEN_MREMAP_FIXED     (1u << 2)   /* MREMAP_FIXED, to new_addr */

/* madvise's advice, in the language's order (scen_advice_name()). */
enum scen_advice {
	SCEN_ADV_NORMAL,
	SCEN_ADV_RANDOM,
	SCEN_ADV_SEQUENTIAL,
	SCEN_ADV_DONTNEED,
	SCEN_ADV_DONTFORK,
	SCEN_ADV_DOFORK,
	SCEN_ADV_WIPEONFORK,
	SCEN_ADV_KEEPONFORK,
	SCEN_ADV_POPULATE_READ,
	SCEN_ADV_POPULATE_WRITE,
	SCEN_ADV_COUNT
};

/* What `expect shared` / `expect exclusive` find in one page. */
#define SCEN_PAGE_NONE        0u  /* no present leaf entry */
#define SCEN_PAGE_EXCLUSIVE   1u  /* present, its page mapped by this entry alone */
#define SCEN_PAGE_SHARED      2u  /* present, its page mapped more than once, or the zero page */

/* Processes and CPUs (version 2). */
#define SCEN_MAX_CPUS         64  /* `cpu N` takes 0 <= N < 64 */

/* One line of `maps`. */
struct scen_map {
	uint64_t start;
	uint64_t end;             /* exclusive */
	unsigned prot;            /* SCEN_PROT_* */
	bool shared;              /* 's' instead of 'p' */
};

enum scen_access_op {
	SCEN_ACCESS_READ,         /* touch ... read */
	SCEN_ACCESS_WRITE,        /* touch ... write */
	SCEN_ACCESS_FILL,
	SCEN_ACCESS_CHECK,
};

enum scen_access_status {
	SCEN_ACC_OK,
	SCEN_ACC_FAULT,           /* addr = faulting page, detail = SCEN_FAULT_* */
	SCEN_ACC_MISMATCH,        /* addr = first differing byte, detail = its value */
	SCEN_ACC_ERROR,           /* detail = errno (the request itself was refused) */
};

#define SCEN_FAULT_MAPERR     1u
#define SCEN_FAULT_ACCERR     2u
#define SCEN_FAULT_SIGBUS     3u  /* Linux answered with SIGBUS */

struct scen_access_result {
	enum scen_access_status status;
	uint64_t addr;
	unsigned detail;
};

struct scen_backend;

/*
 * A backend's operations.  Each returns 0 when the operation was carried out
 * (its outcome, success or errno, in the out-parameters) and -1 when the
 * backend died; it then leaves a one-line reason in be->failure.
 * Results of mmap are the address or -errno; of munmap/mprotect 0 or -errno.
 *
 * The operations of version 2 (from mremap on) may be NULL: a backend that
 * cannot do one makes its line print `-> ENOSYS` (an expectation:
 * `-> FAIL: ENOSYS`), except set_cpu, whose absence means one CPU (every
 * `cpu N` with N < 64 is `ok`).  mmap's flags are part of mmap: a backend
 * that cannot do some flags answers -ENOSYS for them.
 *
 * Processes: the backend starts with one process, handle 0, selected.  The
 * engine numbers processes and maps the numbers to handles (never reused
 * while the process lives); operations apply to the selected process.
 */
struct scen_backend_ops {
	const char *name;         /* "guest", "linux" */
	/* flags: SCEN_MAP_* (0 for a version-1 mmap). */
	int (*mmap)(struct scen_backend *be, uint64_t addr, uint64_t len,
		    unsigned prot, unsigned how, unsigned flags, int64_t *result);
	int (*munmap)(struct scen_backend *be, uint64_t addr, uint64_t len,
		      int64_t *result);
	int (*mprotect)(struct scen_backend *be, uint64_t addr, uint64_t len,
			unsigned prot, int64_t *result);
	int (*access)(struct scen_backend *be, enum scen_access_op op,
		      uint64_t addr, uint64_t len, uint8_t byte,
		      struct scen_access_result *res);
	/* The mappings intersecting [lo, hi), ascending, in a malloc'ed array
	 * that the caller frees (*maps may be NULL when *n is 0). */
	int (*maps)(struct scen_backend *be, uint64_t lo, uint64_t hi,
		    struct scen_map **maps, size_t *n);
	/* The number of mappings of the address space, as `expect vmas` counts. */
	int (*vma_count)(struct scen_backend *be, uint64_t *count);
	/* present[i] = whether page addr + i * 4096 has a present leaf PTE;
	 * addr is page aligned. */
	int (*pte_present)(struct scen_backend *be, uint64_t addr,
			   uint64_t npages, bool *present);
	void (*destroy)(struct scen_backend *be);

	/* ---- version 2 (optional) ---- */
	/* flags: SCEN_MREMAP_*; new_addr only with SCEN_MREMAP_FIXED.
	 * Result: the address of the mapping afterwards, or -errno. */
	int (*mremap)(struct scen_backend *be, uint64_t addr, uint64_t old_len,
		      uint64_t new_len, unsigned flags, uint64_t new_addr, int64_t *result);
	/* Result 0 or -errno. */
	int (*madvise)(struct scen_backend *be, uint64_t addr, uint64_t len,
		       enum scen_advice advice, int64_t *result);
	/* mlock2(addr, len, onfault ? MLOCK_ONFAULT : 0): 0 or -errno. */
	int (*mlock)(struct scen_backend *be, uint64_t addr, uint64_t len, bool onfault,
		     int64_t *result);
	int (*munlock)(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result);
	/* Fork the selected process; it stays selected.  *result 0 (the child's
	 * handle in *child) or -errno (no child). */
	int (*fork)(struct scen_backend *be, unsigned *child, int64_t *result);
	/* Make the process of a live handle the selected one. */
	int (*select)(struct scen_backend *be, unsigned handle);
	/* The process of a live handle (never 0) exits as exit_mmap: its whole
	 * address space goes before this returns.  Nothing is selected after it
	 * until select(). */
	int (*exit)(struct scen_backend *be, unsigned handle);
	/* Run the following operations, of any process, on CPU cpu (< 64). */
	int (*set_cpu)(struct scen_backend *be, unsigned cpu);
	/* state[i] = SCEN_PAGE_* of page addr + i * 4096 (addr page aligned). */
	int (*page_share)(struct scen_backend *be, uint64_t addr, uint64_t npages,
			  uint8_t *state);
};

/*
 * Every backend embeds this as its first member.  after_step, when set (for
 * example by a `--check` option), runs after every executed line: it prints
 * what it finds to out/err and returns 0 (fine), 1 (counts as a failed
 * expectation) or 3 (the backend died).
 */
struct scen_backend {
	const struct scen_backend_ops *ops;
	char failure[256];        /* why the backend died ("" while alive) */
	int (*after_step)(void *ctx, struct scen_backend *be, FILE *out, FILE *err);
	void *after_step_ctx;
};

/*
 * The guest backend: creates its own address space (OP_MM_CREATE) in vm.
 * Returns NULL (with the reason on stderr) if the guest refuses or is dead.
 * vm must outlive the backend.
 */
struct scen_backend *backend_guest_new(struct vm *vm);
/* The guest mm id the guest backend operates on, and a way to switch it
 * (for an `mm select` command); 0 if be is not a guest backend. */
uint32_t backend_guest_mm(struct scen_backend *be);
void backend_guest_set_mm(struct scen_backend *be, uint32_t mm);

/* Free any backend (NULL is allowed). */
void backend_free(struct scen_backend *be);

/*
 * Run a whole script: parse it all first (a parse error anywhere prints
 * "NAME:LINE: problem" to err and returns 2; nothing is executed), then
 * execute it, the transcript to out.  Returns 0, 1 or 3 (the reason for 3
 * on err).
 */
int script_run_file(FILE *in, const char *name, struct scen_backend *be,
		    FILE *out, FILE *err);

/*
 * Execute line by line as read.  A bad line prints "error: NAME:LINE:
 * problem" to err and is skipped.  If prompt is not NULL it is printed to err
 * before each line is read.  Returns 0 or 1 at the end of input, 3 as soon as
 * the backend dies.
 */
int script_run_stream(FILE *in, const char *name, struct scen_backend *be,
		      FILE *out, FILE *err, const char *prompt);

/* ---- sessions: one line at a time (control socket, streams) ---- */

struct script_session;

/*
 * A new session on be (not owned); name is copied and used in messages.
 * The engine's commands (struct scen_cmd_table, vmm/script/cmd.h) are
 * known at once; script_session_add_table adds more.
 */
struct script_session *script_session_new(struct scen_backend *be, const char *name);
void script_session_free(struct script_session *s);

/* What one line did (script_session_exec). */
struct script_outcome {
	int status;               /* SCRIPT_OK, SCRIPT_FAIL, SCRIPT_PARSE or SCRIPT_DEAD */
	bool error;               /* SCRIPT_FAIL because the command could not run */
	bool stop;                /* SCRIPT_FAIL from an after_step SCRIPT_STOP */
	unsigned line;            /* the line the message is about */
	char msg[1024];           /* "" when fine; else why, without "NAME:LINE: ",
				     control bytes escaped: the parse problem, the
				     run error, "expectation failed", "check found
				     violations", "the guest backend died: ..." */
};

/*
 * Feed one line of len bytes (line[len] must be NUL; a trailing newline is
 * allowed) and run it when a statement is complete: the single dispatch
 * path of every interface.  The transcript goes to out; diagnostics of the
 * commands (an after_step's findings) to err; the line's own problem is
 * only returned in *o, for the caller to present.  A NUL byte inside the
 * line is a parse error.  Returns o->status.
 */
int script_session_exec(struct script_session *s, const char *line, size_t len,
			FILE *out, FILE *err, struct script_outcome *o);

/*
 * script_session_exec for a NUL-terminated line, with the problem printed
 * to err: "NAME:LINE: problem" for a parse error or a dead backend,
 * "error: problem" for a command that could not run.  Returns 0 (done, or
 * consumed inside an `expect maps` block), 1 (an expectation failed or a
 * command could not run), 2 (parse error) or 3 (backend dead; every later
 * line returns 3 as well).
 */
int script_session_line(struct script_session *s, const char *line,
			FILE *out, FILE *err);

/* End of input: 2 if an `expect maps` block is still open (message on err),
 * else 0. */
int script_session_finish(struct script_session *s, FILE *err);

/* True while an `expect maps` block is open (for a continuation prompt). */
bool script_session_in_block(const struct script_session *s);

/* 1 if any expectation of the session failed so far, else 0. */
int script_session_status(const struct script_session *s);

/* Set the value that the next `expect result` compares with (for commands
 * that produce a result); value is normalised text, as printed. */
void script_session_set_result(struct script_session *s, const char *value);

/*
 * script_run_file / script_run_stream with a prepared session (so that
 * added command tables are known): the same behaviour and return values.
 */
int script_session_run_file(struct script_session *s, FILE *in, FILE *out, FILE *err);
int script_session_run_stream(struct script_session *s, FILE *in, FILE *out,
			      FILE *err, const char *prompt);

/* ---- helpers shared with the backends and tools ---- */

/* The Linux name of errno e ("EINVAL"), or NULL if unknown. */
const char *scen_errno_name(int e);
/* The errno of a Linux name, or 0 if unknown. */
int scen_errno_from_name(const char *name);

/* The word of an advice ("dontneed"), or NULL if out of range. */
const char *scen_advice_name(enum scen_advice advice);

#endif
