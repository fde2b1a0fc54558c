/*
 * The trace of a real guest (KVM; skips itself without /dev/kvm or the
 * guest): the seed's munmap, a hole punched in the middle of a VMA, shows
 * every step of the figure in order with the right VMAs and counts, in
 * the events, in trace_take_text()'s text and in the per-line output's
 * JSON lines and Chrome trace; and the vmm program's --trace options and
 * `trace on|off` lines.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/inspect/live.h"
#include "tests/trace/trace_expect.h"
#include "vmm/trace/trace.h"

#define PG 0x1000ULL
#define LEN (4 * PG)

/* A 16 KiB VMA at base, every page written, a hole punched at base + 4K. */
static void hole(struct vm *vm, uint32_t mm, uint64_t base)
{
	uint64_t out[2];

	live_mmap(vm, mm, base, LEN, PROT_READ_ABI | PROT_WRITE_ABI);
	cr_assert_eq(live_call(vm, OP_TOUCH, mm, base, LEN, TOUCH_WRITE, 0, out), ACCESS_OK);
	cr_assert_eq(live_call(vm, OP_MUNMAP, mm, base + PG, PG, 0, 0, NULL), 0);
}

static char *sink_output(struct vm *vm)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	cr_assert_eq(trace_sink_poll(vm, f), 0);
	fclose(f);
	return text;
}

Test(trace_live, munmap_hole_every_step_every_format, .timeout = 600)
{
	struct vm *vm = live_boot(0);
	struct gmem g = vm_gmem(vm);
	struct trace_reader rd = { 0 };
	struct trace_buf b = { 0 };
	uint32_t mm = live_mm_new(vm);
	char *text;

	/* Off: the guest records nothing (another mm: this one's VMAs are counted). */
	hole(vm, live_mm_new(vm), LIVE_UVA);
	cr_assert_eq(trace_read(&rd, &g, &b), 0);
	cr_assert_eq(b.n, 0, "%zu records while off", b.n);

	cr_assert_eq(trace_want(vm, TRACE_USER_TAKE, true), 0);
	hole(vm, mm, LIVE_UVA);
	cr_assert_eq(trace_read(&rd, &g, &b), 0);
	cr_assert_eq(b.lost, 0);
	trace_expect_hole_events(&b, LIVE_UVA, LEN, mm);
	cr_assert_eq(trace_take_text(vm, &text), 0);
	trace_expect_hole_text(text, LIVE_UVA, LEN);
	cr_assert_not_null(strstr(text, "do_anonymous_page(0x100000003000) -> new frame"), "%s", text);
	cr_assert_not_null(strstr(text, "vma_merge(0x100000000000-0x100000004000) -> none"), "%s", text);
	fprintf(stderr, "%s", text);
	free(text);

	/* The per-line output in JSON lines, then Chrome; take goes on too. */
	cr_assert_eq(trace_configure(vm, TRACE_FMT_JSON, NULL, true), 0);
	hole(vm, mm, LIVE_UVA + 0x1000000);
	text = sink_output(vm);
	trace_expect_hole_json(text);
	free(text);
	cr_assert_eq(trace_sink_set(vm, true, TRACE_FMT_CHROME), 0);
	hole(vm, mm, LIVE_UVA + 0x2000000);
	text = sink_output(vm);
	trace_expect_chrome(text, 13 + 4 * 3);
	free(text);
	cr_assert_eq(trace_take_text(vm, &text), 0);
	cr_assert_not_null(strstr(text, "do_munmap(start=0x100002001000"), "%s", text);
	free(text);

	/* Off again: nothing more. */
	cr_assert_eq(trace_sink_set(vm, false, TRACE_FMT_TEXT), 0);
	cr_assert_eq(trace_want(vm, TRACE_USER_TAKE, false), 0);
	trace_buf_clear(&b);
	cr_assert_eq(trace_read(&rd, &g, &b), 0);
	trace_buf_clear(&b);
	hole(vm, mm, LIVE_UVA + 0x3000000);
	cr_assert_eq(trace_read(&rd, &g, &b), 0);
	cr_assert_eq(b.n, 0);
	trace_buf_free(&b);
	vm_destroy(vm);
}

/* Run $VMM_BIN/vmm with args and script text; stdout, stderr into the
 * buffers given; the exit status. */
static int run_vmm(const char *script, const char *args, char *out, size_t outlen, char *err,
		   size_t errlen)
{
	const char *bin = getenv("VMM_BIN");
	char scn[] = "/tmp/trace-scnXXXXXX", o[] = "/tmp/trace-outXXXXXX", e[] = "/tmp/trace-errXXXXXX";
	char cmd[8192];
	int fd = mkstemp(scn), fo = mkstemp(o), fe = mkstemp(e), st;
	FILE *f;

	cr_assert(fd >= 0 && fo >= 0 && fe >= 0);
	cr_assert_eq(write(fd, script, strlen(script)), (ssize_t)strlen(script));
	close(fd);
	close(fo);
	close(fe);
	snprintf(cmd, sizeof cmd, "%s/vmm %s --script %s >%s 2>%s", bin ? bin : "build/bin", args,
		 scn, o, e);
	st = system(cmd);
	f = fopen(o, "r");
	out[fread(out, 1, outlen - 1, f)] = '\0';
	fclose(f);
	f = fopen(e, "r");
	err[fread(err, 1, errlen - 1, f)] = '\0';
	fclose(f);
	unlink(scn);
	unlink(o);
	unlink(e);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char out[1 << 16], err[1 << 16];

Test(trace_live, bad_format_is_refused_before_boot)
{
	cr_assert_eq(run_vmm("maps\n", "--trace=xml", out, sizeof out, err, sizeof err), 2);
	cr_assert_not_null(strstr(err, "--trace takes text, json or chrome"), "%s", err);
}

Test(trace_live, trace_on_off_lines, .timeout = 600)
{
	static const char script[] =
		"mmap 0x100000000000 16K rw-\n"
		"touch 0x100000000000 16K write\n"
		"trace on\n"
		"munmap 0x100000001000 4K\n"
		"trace off\n"
		"munmap 0x100000003000 4K\n"
		"maps\n";

	if (access("/dev/kvm", R_OK | W_OK) != 0)
		cr_skip_test("/dev/kvm is not usable here");
	cr_assert_eq(run_vmm(script, "--quiet", out, sizeof out, err, sizeof err), 0, "%s", err);
	trace_expect_hole_text(err, 0x100000000000ULL, LEN);
	cr_assert_null(strstr(strstr(err, "do_munmap") + 1, "do_munmap"),
		       "traced after trace off:\n%s", err);
	cr_assert_null(strstr(out, "do_munmap"), "the trace is not in the transcript:\n%s", out);
	cr_assert_not_null(strstr(out, "munmap 0x100000003000 0x1000 -> ok\nmaps:\n"), "%s", out);
}

Test(trace_live, trace_file_chrome, .timeout = 600)
{
	char path[] = "/tmp/trace-chromeXXXXXX";
	int fd = mkstemp(path);
	static char text[1 << 16];
	char args[256];
	FILE *f;

	if (access("/dev/kvm", R_OK | W_OK) != 0)
		cr_skip_test("/dev/kvm is not usable here");
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(args, sizeof args, "--quiet --trace=chrome --trace-file %s", path);
	cr_assert_eq(run_vmm("mmap 0x100000000000 16K rw-\ntouch 0x100000000000 16K write\n"
			     "munmap 0x100000001000 4K\n", args, out, sizeof out, err, sizeof err),
		     0, "%s", err);
	f = fopen(path, "r");
	text[fread(text, 1, sizeof text - 1, f)] = '\0';
	fclose(f);
	unlink(path);
	trace_expect_chrome(text, 13 + 4 * 3 + 4);
	cr_assert_not_null(strstr(text, "\"name\":\"detach_vmas_to_be_unmapped\""), "%s", text);
	cr_assert_null(strstr(err, "do_munmap"), "the trace went to the file only");
}
