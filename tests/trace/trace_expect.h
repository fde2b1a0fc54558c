/*
 * What the trace of the seed's munmap must show, shared by the host test
 * (test_trace_unit.c) and the live one (test_trace_live.c): a hole of one
 * page punched at base + 4 KiB in the VMA [base, base + len) whose pages
 * were all written, every step of the munmap figure in order with its
 * VMAs and counts, in the events and in each format.
 */
#ifndef TESTS_TRACE_TRACE_EXPECT_H
#define TESTS_TRACE_TRACE_EXPECT_H

#include <stdint.h>

#include "vmm/trace/trace.h"

/* The events from do_munmap's request to its end; mm the address space. */
void trace_expect_hole_events(const struct trace_buf *b, uint64_t base, uint64_t len,
			      uint32_t mm);
/* The same in the text format. */
void trace_expect_hole_text(const char *text, uint64_t base, uint64_t len);
/* JSON lines: each parses, with cpu/tsc/depth/type/name/args/text, and the
 * munmap's steps are named in order. */
void trace_expect_hole_json(const char *text);
/* A Chrome trace: one JSON array of at least min events, each with
 * name/ph/ts/pid/tid, B/E balanced and nested per tid, ts not decreasing. */
void trace_expect_chrome(const char *text, unsigned min);

#endif
