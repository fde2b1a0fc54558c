/*
 * The known scenario of the report tests: see scene.h.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "tests/inspect/synth.h"
#include "tests/report/scene.h"

#define RW  (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE)
#define RO  (VM_READ | VM_MAYREAD | VM_MAYWRITE)

static const char *const lines[SCENE_STEPS] = {
	"mmap 0x100000000000 0x10000 rw- -> 0x100000000000\n",
	"touch 0x100000000000 0x10000 write -> ok\n",
	"munmap 0x100000006000 0x4000 -> ok\n",
	"mprotect 0x10000000a000 0x2000 r-- -> ok\n",
	"mmap 0x180000000000 0x2000 r-- -> 0x180000000000\n",
};

static void vma(struct synth *s, uint32_t mm, uint64_t a, uint64_t b, uint64_t fl, int anon)
{
	uint64_t gva = synth_vma(s, mm, a, b, fl);

	if (anon)
		synth_vma_ptr(s, gva)->anon_vma = SCENE_ANON;
}

static void pages(struct synth *s, uint32_t mm, uint64_t a, uint64_t b, uint64_t bits)
{
	for (uint64_t va = a; va < b; va += 4096)
		synth_map(s, mm, va, bits, 0);
}

/* The state after step n (1-based) in s. */
static void state(struct synth *s, uint32_t mm, int n)
{
	const uint64_t B = SCENE_BASE;

	if (n <= 2) {
		vma(s, mm, B, B + 0x10000, RW, n == 2);
		if (n == 2)
			pages(s, mm, B, B + 0x10000, SYN_RW);
		return;
	}
	vma(s, mm, B, B + 0x6000, RW, 1);
	pages(s, mm, B, B + 0x6000, SYN_RW);
	if (n == 3) {
		vma(s, mm, B + 0xa000, B + 0x10000, RW, 1);
		pages(s, mm, B + 0xa000, B + 0x10000, SYN_RW);
		return;
	}
	vma(s, mm, B + 0xa000, B + 0xc000, RO, 1);
	pages(s, mm, B + 0xa000, B + 0xc000, SYN_RO);
	vma(s, mm, B + 0xc000, B + 0x10000, RW, 1);
	pages(s, mm, B + 0xc000, B + 0x10000, SYN_RW);
	if (n == 5) {
		vma(s, mm, SCENE_FAR, SCENE_FAR + 0x2000, RO, 0);
		synth_map(s, mm, SCENE_FAR, SYN_RO, 1);
	}
}

void scene_build(struct report *r, int with_trace)
{
	for (int n = 1; n <= SCENE_STEPS; n++) {
		struct synth s;
		char trace[128];
		uint32_t mm;

		synth_init(&s, 8 << 20);
		mm = synth_mm_new(&s);
		state(&s, mm, n);
		snprintf(trace, sizeof trace, "step %d: </script> <b>trace</b> line 1\nline 2\n", n);
		cr_assert_eq(report_add_step(r, &s.g, mm, lines[n - 1], with_trace ? trace : NULL), 0);
		synth_free(&s);
	}
}

char *scene_html(int with_trace)
{
	struct report *r = report_new("tests/report/hole.scn");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	cr_assert(r && f);
	scene_build(r, with_trace);
	cr_assert_eq(report_write_html(r, f), 0);
	fclose(f);
	report_free(r);
	return buf;
}
