/*
 * fuzz_trace: the memory-manager trace's host side (vmm/trace/) against a
 * hostile guest's trace area (shared/trace.h).  The input:
 *
 *   byte 0, flags: FT_RAW: the area raw from the input (4 heads as
 *            little-endian u64, then the rings' bytes), read twice;
 *            else the guest below writes it, op by op.
 *          FT_VM: also through the VM's state and the `trace` commands
 *            (vm_trace.c, trace_cmd.c), whose sink format is bits 2-3
 *            (FT_SINK: text, json, chrome, chrome into a --trace-file).
 *          FT_KHZ: the direct formats convert TSCs (2.6 GHz), else cycles.
 *          bits 5-6 (FT_FMT0): the format of the first read (text, json,
 *            chrome; 3: text), the next read's the next one, and so on.
 *   byte 1: a drain after every N ops (0: only at the end).
 *   then ops, each a byte o: CPU o & 3, kind o >> 2:
 *     0..31  FT_OP_WRITE: one record written as the guest does (record,
 *            then head + 1): a u8 event (any, outside the enum too), a
 *            u8 mask, a u64 argument a[i] for each bit i < 6 of it;
 *     32..39 FT_OP_REPEAT: the CPU's last record 1 + 8 * (a u8) times
 *            more (a[0] counting up): wrap-around, overflow;
 *     40..47 FT_OP_JUMP: head += a u64 (0: two rings' worth);
 *     48..51 FT_OP_BACK: head -= 1 + a u16;
 *     52..55 FT_OP_TORN: the guest stops in the middle of its next
 *            record: a u8 byte count (mod 64) of it is written, then a
 *            record as FT_OP_WRITE reads it; head not published (the
 *            CPU's next op finishes and publishes it);
 *     56..59 FT_OP_CORRUPT: a u16 age (the record at head - 1 - age),
 *            a u8 field (seq, ev, cpu), a u32 value written into it;
 *     60..63 FT_OP_DRAIN: read and format now; with FT_VM a u8 first
 *            picks a command (trace off, trace on text|json|chrome,
 *            nothing, trace_take_text).
 *
 * The guest's TSC is the harness's: every record written gets the next
 * value of one counter (FT_TSC(n)), so that a TSC names the record.
 */
#ifndef TESTS_FUZZ_FUZZ_TRACE_H
#define TESTS_FUZZ_FUZZ_TRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vmm/trace/trace.h"

#define FT_RAW          0x01u
#define FT_VM           0x02u
#define FT_SINK(flags)  (((flags) >> 2) & 3u)
#define FT_KHZ          0x10u
#define FT_FMT0(flags)  ((((flags) >> 5) & 3u) % 3u)

#define FT_OP_WRITE     0
#define FT_OP_REPEAT    32
#define FT_OP_JUMP      40
#define FT_OP_BACK      48
#define FT_OP_TORN      52
#define FT_OP_CORRUPT   56
#define FT_OP_DRAIN     60

#define FT_TSC0         0x100000ULL
#define FT_TSC(n)       (FT_TSC0 + (uint64_t)(n) * 1024u)

/* The RAM: guest-physical 0 up to the trace area's end. */
#define FT_RAM_SIZE     (TRACE_GPA + TRACE_SIZE)

/* ---- fuzz_trace_check.c: what the output must look like ---- */

/* Report a broken contract on stderr and abort (libFuzzer keeps the input). */
void ft_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Would the formats leave e out (a request that only reads)? */
int ft_quiet(const struct trace_event *e);

/*
 * Check a piece of output in format f: for text and JSON every line
 * (whole, bounded, well-formed; first a "lost" line saying lost if lost is
 * nonzero, else none); for Chrome the whole text must be one JSON array,
 * with lost "lost" elements.  FT_LOST_ANY: whatever is lost.  Returns the
 * number of events written (lines or elements that do not say "lost").
 */
#define FT_LOST_ANY     UINT64_MAX
size_t ft_check_output(enum trace_format f, const char *s, size_t len, uint64_t lost);

/* An output stream over a buffer kept from input to input (fmemopen): the
 * formats write megabytes at worst, and fresh memory for them (a
 * memstream's) cost page faults that were most of an input's time.  More
 * than FT_OUT_MAX - 2 bytes breaks the bound on the output. */
#define FT_OUT_MAX      (8u << 20)

struct ft_out {
	char *buf;                /* FT_OUT_MAX bytes, allocated once */
	FILE *f;
};

void ft_out_open(struct ft_out *o);
/* What was written so far (flushed, NUL-terminated): its length. */
size_t ft_out_len(struct ft_out *o);
void ft_out_close(struct ft_out *o);

/* ---- fuzz_trace_vm.c: the VM's state and commands over the same RAM ---- */

void ft_vm_start(uint8_t *ram, unsigned sink);
/* A line ran: the trace's after_step hook (the output checked), and, per
 * cmd (taken by a drain, -1 for none), a `trace` command first. */
void ft_vm_line(int cmd);
void ft_vm_stop(void);

#endif
