/*
 * Headless Chromium for the report tests, without npm: Debian's chromium
 * run as a program (--dump-dom, --screenshot) with the flags this machine
 * needs, bounded by timeout(1); and a PNG reader (zlib) to tell a blank
 * screenshot from a picture.
 */
#ifndef TESTS_REPORT_BROWSER_H
#define TESTS_REPORT_BROWSER_H

#include <stddef.h>

/* The browser: $VMM_CHROMIUM, else chromium on PATH; NULL if none. */
const char *browser_path(void);

/*
 * Load file (an absolute path) with the URL fragment hash ("" or "#...")
 * and either dump the DOM (png NULL) or take a screenshot into png.
 * *dom gets the DOM dump (malloc'ed, "" for a screenshot) and *console the
 * page's console lines from the browser's log (malloc'ed, "" when none).
 * 0, or -1 (the browser failed: its log is printed).
 */
int browser_load(const char *file, const char *hash, const char *png, char **dom,
		 char **console);

/* The attribute name="..." of the <body> element in dom, copied into buf
 * ("" if absent). */
void dom_body_attr(const char *dom, const char *name, char *buf, size_t len);

/* The <svg id="strip"> element of dom, malloc'ed ("" if absent). */
char *dom_strip(const char *dom);

struct png_stats {
	unsigned width, height;
	unsigned colors;         /* distinct colours, counted up to 4096 */
	double nonwhite;         /* fraction of pixels that are not near-white */
};

/* Read an 8-bit RGB or RGBA PNG (what Chromium writes).  0 or -1. */
int png_read_stats(const char *path, struct png_stats *st);

#endif
