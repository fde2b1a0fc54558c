/*
 * The page itself, as text: self-contained (no network, no external
 * script, style or font), its data escaped, with and without trace text.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "tests/report/scene.h"

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

Test(report_page, self_contained)
{
	char *html = scene_html(1);

	cr_assert_eq(strncmp(html, "<!DOCTYPE html>", 15), 0);
	cr_assert(strstr(html, "Content-Security-Policy\" content=\"default-src 'none';"));
	cr_assert_eq(count(html, "https:"), 0);
	/* The only http: is the SVG namespace name (never fetched). */
	cr_assert_eq(count(html, "http:"), count(html, "http://www.w3.org/2000/svg"));
	cr_assert_eq(count(html, "<script src"), 0);
	cr_assert_eq(count(html, "<link"), 0);
	cr_assert_eq(count(html, "@import"), 0);
	cr_assert_eq(count(html, "url("), 0);
	cr_assert_eq(count(html, "@font-face"), 0);
	free(html);
}

Test(report_page, data_escaped_and_complete)
{
	char *html = scene_html(1);
	char *data = strstr(html, "<script type=\"application/json\" id=\"data\">");
	char *end;

	cr_assert(data);
	end = strstr(data, "</script>");
	cr_assert(end);
	/* The trace text holds "</script>": escaped inside the data. */
	cr_assert(strstr(data, "\\u003c/script\\u003e \\u003cb\\u003etrace"));
	cr_assert_lt(strstr(data, "step 5: "), end, "every step's data is inside the element");
	cr_assert_eq(count(data, "{\"line\":"), SCENE_STEPS);
	cr_assert(strstr(data, "\"trace\":\"step 1: "));
	free(html);
}

Test(report_page, without_trace)
{
	char *html = scene_html(0);

	cr_assert_eq(count(html, "\"trace\":null"), SCENE_STEPS);
	cr_assert(strstr(html, "munmap 0x100000006000 0x4000 -\\u003e ok\\n"));
	free(html);
}
