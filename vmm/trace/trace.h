/*
 * The host side of the memory-manager trace (shared/trace.h, docs/trace.md).
 *
 * Layers: the reader and the formats work on a struct gmem and plain
 * events (no KVM: unit tests feed them a buffer); the per-VM state and
 * trace_take_text() sit with the VM (vm_trace.c); the `trace` command and
 * the per-line output sit with the sessions (trace_cmd.c).
 */
#ifndef VMM_TRACE_TRACE_H
#define VMM_TRACE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/trace.h"
#include "vmm/gmem.h"

struct vm;

/* One record as the host keeps it, after the reader's checks. */
struct trace_event {
	uint64_t tsc;
	uint16_t ev;              /* < TEV_NR */
	uint16_t cpu;             /* < TRACE_CPUS */
	uint32_t pad;
	uint64_t a[6];
};

/* A growable list of events. */
struct trace_buf {
	struct trace_event *ev;
	size_t n, cap;
	uint64_t lost;            /* records that could not be read (overwritten,
				     torn, malformed) or kept (over the cap) */
};

/* Most events a trace_buf keeps; beyond, they count as lost. */
#define TRACE_BUF_MAX         65536

/* Append e to b (or count it lost at TRACE_BUF_MAX): 0 or -ENOMEM. */
int trace_buf_push(struct trace_buf *b, const struct trace_event *e);
void trace_buf_clear(struct trace_buf *b);
void trace_buf_free(struct trace_buf *b);

/* ---- reader.c ---- */

/* Where the host is in each CPU's ring. */
struct trace_reader {
	uint64_t tail[TRACE_CPUS];
};

/*
 * Append to out what the guest recorded since the last call, every CPU's
 * ring in order of TSC.  Nothing the guest wrote is trusted: a head that
 * went backwards is taken as it is (nothing read), more than
 * TRACE_RING_RECS new records lose the oldest, a record whose seq, event
 * or cpu is wrong is dropped, and so is the oldest of a full ring (its
 * slot is the one the guest writes next, maybe right now); all of these
 * count in out->lost.  0, or
 * -EFAULT (the trace area is not in RAM), -ENOMEM.
 */
int trace_read(struct trace_reader *r, const struct gmem *g, struct trace_buf *out);

/* Write the host's switch (shared/trace.h's `enabled`): 0 or -EFAULT. */
int trace_write_enabled(const struct gmem *g, bool on);

/* ---- format.c, format_text.c ---- */

enum trace_format { TRACE_FMT_TEXT, TRACE_FMT_JSON, TRACE_FMT_CHROME };

/* "text", "json", "chrome": 0 with *f, or -EINVAL. */
int trace_format_parse(const char *name, enum trace_format *f);
const char *trace_format_name(enum trace_format f);

/* What a stream of formatted events remembers between calls: nesting per
 * CPU, the request in progress (its range names split_vma's front and
 * rear), the first TSC and the TSC rate (for Chrome's microseconds). */
struct trace_fmt {
	enum trace_format format;
	uint64_t tsc_khz;         /* 0: timestamps in cycles */
	uint64_t tsc0;
	bool started;             /* Chrome: "[" written */
	int depth[TRACE_CPUS];
	uint16_t req_op[TRACE_CPUS];
	uint64_t req_start[TRACE_CPUS], req_end[TRACE_CPUS];
};

void trace_fmt_init(struct trace_fmt *st, enum trace_format format, uint64_t tsc_khz);
/* Write n events to f in st's format (and "lost N" when lost is nonzero). */
void trace_fmt_write(FILE *f, struct trace_fmt *st, const struct trace_event *ev, size_t n,
		     uint64_t lost);
/* End a stream: Chrome's closing "]" (if anything was written). */
void trace_fmt_finish(FILE *f, struct trace_fmt *st);

/* One event's text line (without the "CPU) " column and indentation) into
 * buf; also used by the JSON lines' "text". */
void trace_text_body(const struct trace_fmt *st, const struct trace_event *e, char *buf,
		     size_t len);
/* The step's name ("do_munmap", "split_vma", ...). */
const char *trace_event_name(const struct trace_fmt *st, const struct trace_event *e);
/* 1 opens a level ("{"), -1 closes one ("}"), 0 a single step. */
int trace_event_nesting(uint16_t ev);

/* ---- vm_trace.c: the per-VM state ---- */

/* Who wants the guest to record (bits). */
#define TRACE_USER_SINK       1u    /* the per-line output (vmm --trace, `trace on`) */
#define TRACE_USER_TAKE       2u    /* trace_take_text's caller (the report) */

/*
 * Say whether `who` (TRACE_USER_*) wants records; the guest records while
 * anybody does.  A new user gets the records of the steps after the call
 * only (what was recorded before goes to the users there were).  0, or
 * -EFAULT / -ENOMEM.
 */
int trace_want(struct vm *vm, unsigned who, bool on);

/*
 * The interface for the report: the trace, in the text format, of the
 * requests since the previous call (or since trace_want(vm,
 * TRACE_USER_TAKE, true)).  *text is malloc'ed (the caller frees it; ""
 * when nothing was recorded).  0 or -errno.  A first call without
 * trace_want() turns the recording on and returns "": the report gets
 * every step after it.
 */
int trace_take_text(struct vm *vm, char **text);

/*
 * The per-line output: read what was recorded and write it to f (or to
 * the configured file) in the configured format.  0 or -errno.
 */
int trace_sink_poll(struct vm *vm, FILE *f);

/* vmm --trace[=FORMAT] [--trace-file FILE]: the format and, unless NULL,
 * the file (owned by the caller, open until vm_destroy) of the per-line
 * output; on turns it on from the start.  0 or -ENOMEM. */
int trace_configure(struct vm *vm, enum trace_format format, FILE *file, bool on);

/* Is the per-line output on?  Its format in *format. */
bool trace_sink_on(struct vm *vm, enum trace_format *format);
/* Turn it on (with a format) or off: 0 or -errno. */
int trace_sink_set(struct vm *vm, bool on, enum trace_format format);

/* Free the state (vm_destroy). */
struct trace_host;
void trace_host_free(struct trace_host *h);

#endif
