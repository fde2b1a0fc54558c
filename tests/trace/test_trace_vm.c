/*
 * The VM's trace state (vmm/trace/vm_trace.c) over a fake trace area: a
 * struct vm with RAM only (no KVM: its TSC rate unknown, timestamps in
 * cycles), records written as the guest writes them (host_ring.c).  The
 * live test (test_trace_live.c) runs the same against a real guest.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/trace/host_ring.h"
#include "vmm/trace/trace.h"
#include "vmm/vm_internal.h"

static struct vm vm;

static void setup(void)
{
	host_ring_reset();
	memset(&vm, 0, sizeof vm);
	vm.vm_fd = -1;
	vm.mem = host_ring_gmem();
}

static void teardown(void)
{
	trace_host_free(vm.trace);
}

TestSuite(trace_vm, .init = setup, .fini = teardown);

static char *take(void)
{
	char *text = NULL;

	cr_assert_eq(trace_take_text(&vm, &text), 0);
	cr_assert_not_null(text);
	return text;
}

/* trace_take_text's first call (without trace_want) returns "" and the
 * report gets every step after it, even when the per-line output (vmm
 * --trace, `trace on`) has been recording all along: what the guest
 * recorded before the call is not the report's. */
Test(trace_vm, take_starts_at_its_first_call)
{
	char *text;

	cr_assert_eq(trace_sink_set(&vm, true, TRACE_FMT_TEXT), 0);
	trace_emit(TEV_SPLIT_VMA, 0x1000, 0, 0x3000, 1, 0);       /* before the call */
	text = take();
	cr_assert_str_eq(text, "", "the first call gave: %s", text);
	free(text);
	trace_emit(TEV_VMA_LINK, 0x5000, 0x6000, 0x73, 0, 0);     /* after it */
	text = take();
	cr_assert_not_null(strstr(text, "vma_link(0x5000-0x6000)"), "%s", text);
	cr_assert_null(strstr(text, "split_vma"), "%s", text);
	free(text);
}

/* Likewise `trace on` prints the steps of later lines only, although the
 * report has been taking the trace since before. */
Test(trace_vm, sink_starts_at_trace_on)
{
	char *out = NULL, *text;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	cr_assert_eq(trace_want(&vm, TRACE_USER_TAKE, true), 0);
	trace_emit(TEV_SPLIT_VMA, 0x1000, 0, 0x3000, 1, 0);       /* before trace on */
	cr_assert_eq(trace_sink_set(&vm, true, TRACE_FMT_TEXT), 0);
	trace_emit(TEV_VMA_LINK, 0x5000, 0x6000, 0x73, 0, 0);
	cr_assert_eq(trace_sink_poll(&vm, f), 0);
	fclose(f);
	cr_assert_null(strstr(out, "split_vma"), "the sink printed: %s", out);
	cr_assert_not_null(strstr(out, "vma_link(0x5000-0x6000)"), "%s", out);
	text = take();             /* the report has both */
	cr_assert_not_null(strstr(text, "split_vma"), "%s", text);
	cr_assert_not_null(strstr(text, "vma_link"), "%s", text);
	free(text);
	free(out);
}
