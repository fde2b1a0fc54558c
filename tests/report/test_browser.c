/*
 * The report page in a real browser (headless Chromium, browser.h): the
 * synthetic scene's page (scene.h) opens without console errors, shows its
 * five steps, keys and buttons step and zoom, the picture changes from one
 * step to the next, and a screenshot is a picture, not a blank page.
 * With $VMM_REPORT_HTML set to a page from a real run (one that
 * test_report_live keeps with $VMM_REPORT_KEEP, say) and $VMM_REPORT_STEPS
 * to its number of steps, real_run_page checks that page natively too.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/report/browser.h"
#include "tests/report/scene.h"

static char dir[] = "/tmp/vmm-report-test-XXXXXX";
static char page[256], page_notrace[256];

static void write_page(const char *path, int with_trace)
{
	char *html = scene_html(with_trace);
	FILE *f = fopen(path, "w");

	cr_assert(f);
	fputs(html, f);
	cr_assert_eq(fclose(f), 0);
	free(html);
}

static void setup(void)
{
	if (!browser_path())
		cr_assert_fail("no chromium: tools/setup.sh --browser installs Debian's chromium "
			       "(or set VMM_CHROMIUM to a Chromium binary)");
	cr_assert(mkdtemp(dir));
	snprintf(page, sizeof page, "%s/scene.html", dir);
	snprintf(page_notrace, sizeof page_notrace, "%s/scene-notrace.html", dir);
	write_page(page, 1);
	write_page(page_notrace, 0);
}

static void teardown(void)
{
	unlink(page);
	unlink(page_notrace);
	rmdir(dir);
}

/* Load file#hash; check it is ready without errors; *dom gets the DOM. */
static void load(const char *file, const char *hash, char **dom)
{
	char *console = NULL, buf[64];

	cr_assert_eq(browser_load(file, hash, NULL, dom, &console), 0);
	cr_assert_str_empty(console, "console messages on %s%s:\n%s", file, hash, console);
	dom_body_attr(*dom, "data-ready", buf, sizeof buf);
	cr_assert_str_eq(buf, "1", "the page's script did not finish (%s%s)", file, hash);
	dom_body_attr(*dom, "data-errors", buf, sizeof buf);
	cr_assert_str_eq(buf, "0", "script errors on %s%s", file, hash);
	free(console);
}

static void expect_attr(const char *dom, const char *name, const char *want)
{
	char buf[128];

	dom_body_attr(dom, name, buf, sizeof buf);
	cr_assert_str_eq(buf, want, "%s", name);
}

TestSuite(report_browser, .init = setup, .fini = teardown, .timeout = 900);

Test(report_browser, opens_with_every_step)
{
	char *dom;

	load(page, "", &dom);
	expect_attr(dom, "data-steps", "5");
	expect_attr(dom, "data-step", "1");
	cr_assert(strstr(dom, "<svg id=\"strip\""), "the strip is drawn");
	cr_assert(strstr(dom, "mmap 0x100000000000 0x10000 rw- -&gt; 0x100000000000"));
	cr_assert(strstr(dom, "step 1: &lt;/script&gt; &lt;b&gt;trace&lt;/b&gt; line 1"),
		  "the trace text, as text");
	free(dom);
	load(page_notrace, "#step=3", &dom);
	expect_attr(dom, "data-step", "3");
	cr_assert(strstr(dom, "(no trace for this step)"));
	free(dom);
}

/* The width in px of the strip's rect whose tooltip starts with title. */
static double rect_width(const char *strip, const char *title)
{
	char key[160];
	const char *t, *r;

	snprintf(key, sizeof key, "<title>%s", title);
	t = strstr(strip, key);
	cr_assert(t, "no shape titled %s", title);
	for (r = t; r > strip && strncmp(r, "<rect ", 6) != 0; r--)
		;
	r = strstr(r, " width=\"");
	cr_assert(r && r < t);
	return strtod(r + 8, NULL);
}

/* 16 TiB of window, two mappings 8 TiB apart: both stay legible. */
Test(report_browser, large_ranges_stay_legible)
{
	char *dom, *strip;

	load(page, "#step=5", &dom);
	strip = dom_strip(dom);
	cr_assert_gt(rect_width(strip, "VMA 0x100000000000-0x100000006000"), 40);
	cr_assert_gt(rect_width(strip, "VMA 0x180000000000-0x180000002000"), 15);
	cr_assert_gt(rect_width(strip, "present 0x180000000000-0x180000001000"), 8,
		     "one zero-page PTE 8 TiB away is visible");
	cr_assert(strstr(strip, "nothing in 0x100000200000-0x180000000000"),
		  "the empty stretch is drawn compressed");
	free(strip);
	free(dom);
}

Test(report_browser, empty_report)
{
	struct report *r = report_new("empty");
	char path[300], *dom;
	FILE *f;

	snprintf(path, sizeof path, "%s/empty.html", dir);
	f = fopen(path, "w");
	cr_assert(r && f);
	cr_assert_eq(report_write_html(r, f), 0);
	fclose(f);
	report_free(r);
	load(path, "#keys=ArrowRight", &dom);
	expect_attr(dom, "data-steps", "0");
	cr_assert(strstr(dom, "no steps"));
	free(dom);
	unlink(path);
}

Test(report_browser, stepping_changes_the_picture)
{
	char *d2, *d3, *s2, *s3;
	char n[16];

	load(page, "#step=2", &d2);
	load(page, "#step=3", &d3);
	s2 = dom_strip(d2);
	s3 = dom_strip(d3);
	cr_assert_str_neq(s2, "");
	cr_assert_str_neq(s2, s3, "steps 2 and 3 draw the same strip");
	/* Step 3 (the munmap) highlights what changed: three ranges. */
	dom_body_attr(d3, "data-changes", n, sizeof n);
	cr_assert_str_eq(n, "3");
	cr_assert(strstr(s3, "class=\"chg\""));
	free(s2);
	free(s3);
	free(d2);
	free(d3);
}

/* The steps of the page's render history ("STEP:HASH ..."), as "1 2 3". */
static void history_steps(const char *dom, char *out, size_t len)
{
	char hist[1024], *save = NULL;
	size_t o = 0;

	dom_body_attr(dom, "data-history", hist, sizeof hist);
	out[0] = '\0';
	for (char *t = strtok_r(hist, " ", &save); t && o + 4 < len; t = strtok_r(NULL, " ", &save))
		o += (size_t)snprintf(out + o, len - o, "%s%.*s", o ? " " : "", (int)strcspn(t, ":"), t);
}

Test(report_browser, keys_and_buttons)
{
	static const struct { const char *hash, *steps; } cases[] = {
		{ "#keys=ArrowRight,ArrowRight,Space,ArrowLeft,k,End,Home,j", "1 2 3 4 3 2 5 1 2" },
		{ "#click=next,next,last,prev,first", "1 2 3 5 4 1" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *dom, steps[256];
		load(page, cases[i].hash, &dom);
		history_steps(dom, steps, sizeof steps);
		cr_assert_str_eq(steps, cases[i].steps, "%s", cases[i].hash);
		free(dom);
	}
}

Test(report_browser, zoom)
{
	char *whole, *zoomed, *viaz, buf[128];

	load(page, "#step=3", &whole);
	expect_attr(whole, "data-view", "0x100000000000-0x200000000000");
	load(page, "#step=3&keys=z", &viaz);
	dom_body_attr(viaz, "data-view", buf, sizeof buf);
	cr_assert_str_eq(buf, "0x100000000000-0x100000012000", "zoomed to the changes");
	load(page, "#step=3&click=zin,zin", &zoomed);
	dom_body_attr(zoomed, "data-view", buf, sizeof buf);
	cr_assert_str_neq(buf, "0x100000000000-0x200000000000", "zoom + changed the view");
	free(zoomed);
	load(page, "#step=3&click=zin,zout", &zoomed);
	expect_attr(zoomed, "data-view", "0x100000000000-0x200000000000");
	free(zoomed);
	free(viaz);
	free(whole);
}

static void shot(const char *file, const char *hash, const char *png, struct png_stats *st)
{
	char *dom, *console;

	cr_assert_eq(browser_load(file, hash, png, &dom, &console), 0);
	cr_assert_str_empty(console, "console messages:\n%s", console);
	cr_assert_eq(png_read_stats(png, st), 0, "%s is not a PNG this reader knows", png);
	free(dom);
	free(console);
}

Test(report_browser, screenshot_is_a_picture)
{
	const char *keep = getenv("VMM_REPORT_SHOT");    /* where to keep it, if set */
	char png[300], png1[300];
	struct png_stats st, st1;

	snprintf(png, sizeof png, "%s", keep && *keep ? keep : "");
	if (!png[0])
		snprintf(png, sizeof png, "%s/step3.png", dir);
	snprintf(png1, sizeof png1, "%s/step1.png", dir);
	shot(page, "#step=3", png, &st);
	cr_assert_eq(st.width, 1280);
	cr_assert_gt(st.colors, 12, "only %u colours: blank?", st.colors);
	cr_assert_gt(st.nonwhite, 0.05, "%.3f of the pixels are not white", st.nonwhite);
	shot(page, "#step=1", png1, &st1);
	cr_assert_gt(st1.colors, 12);
	unlink(png1);
	if (!keep || !*keep)
		unlink(png);
}

/* A page from a real run ($VMM_REPORT_HTML, with $VMM_REPORT_STEPS steps):
 * a suite of its own, without the scene's set-up (a skipped test leaves
 * nothing behind). */
Test(report_browser_real, real_run_page, .timeout = 900)
{
	const char *file = getenv("VMM_REPORT_HTML"), *steps = getenv("VMM_REPORT_STEPS");
	char *d1, *d2, *s1, *s2, last[32];

	if (!file || !*file)
		cr_skip_test("VMM_REPORT_HTML not set (a page of a real run)");
	load(file, "", &d1);
	expect_attr(d1, "data-steps", steps ? steps : "");
	snprintf(last, sizeof last, "#step=%s", steps ? steps : "1");
	load(file, "#keys=ArrowRight,ArrowRight", &d2);
	expect_attr(d2, "data-step", "3");
	s1 = dom_strip(d1);
	s2 = dom_strip(d2);
	cr_assert_str_neq(s1, s2);
	free(s1);
	free(s2);
	free(d1);
	free(d2);
}
