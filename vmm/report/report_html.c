/*
 * The report page (report.h): one self-contained HTML file.  The script and
 * style are embedded (report.js and report.css, C arrays made at build
 * time), the data is JSON in the page, and a Content-Security-Policy
 * forbids every fetch, so the page works offline and loads nothing.
 */
#include <errno.h>

#include "vmm/report/report.h"
#include "vmm/report/report_int.h"

extern const char report_js[];
extern const char report_css[];

static void html_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

static const char head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	"style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";

static const char controls[] =
	"<header>\n<h1 id=\"title\">vmm report</h1>\n"
	"<button id=\"first\" title=\"first step (Home)\">first</button>\n"
	"<button id=\"prev\" title=\"previous step (&#x2190; or k)\">&#x25C0; prev</button>\n"
	"<span id=\"pos\">loading&#x2026;</span>\n"
	"<button id=\"next\" title=\"next step (&#x2192;, j or space)\">next &#x25B6;</button>\n"
	"<button id=\"last\" title=\"last step (End)\">last</button>\n"
	"<button id=\"zin\" title=\"zoom in (+)\">zoom +</button>\n"
	"<button id=\"zout\" title=\"zoom out (-)\">zoom &#x2212;</button>\n"
	"<button id=\"zchg\" title=\"zoom to what changed (z)\">zoom to changes</button>\n"
	"<button id=\"zreset\" title=\"whole window (0)\">whole window</button>\n"
	"<span id=\"view\"></span>\n</header>\n";

static const char panels[] =
	"<main>\n<div id=\"stripbox\"></div>\n<div id=\"legend\"></div>\n"
	"<div id=\"panels\">\n<div>\n"
	"<div class=\"panel\"><h2>Transcript</h2><pre id=\"line\"></pre>"
	"<p id=\"note\"></p><p id=\"counts\"></p></div>\n"
	"<div class=\"panel\"><h2>Changed since the previous step</h2><ul id=\"changes\"></ul></div>\n"
	"<div class=\"panel\"><h2>Trace</h2><pre id=\"trace\"></pre></div>\n"
	"</div>\n<div class=\"panel\"><h2>Steps</h2><ol id=\"steps\"></ol>\n"
	"<p>Keys: <kbd>&#x2190;</kbd>/<kbd>&#x2192;</kbd> step, <kbd>Home</kbd>/<kbd>End</kbd>, "
	"<kbd>+</kbd>/<kbd>-</kbd> zoom, <kbd>z</kbd> zoom to the changes, <kbd>0</kbd> whole window; "
	"click a VMA to zoom to it.  Empty stretches of the window are compressed "
	"(grey, with their size).</p>\n"
	"<p id=\"limits\"></p></div>\n</div>\n</main>\n";

int report_write_html(const struct report *r, FILE *out)
{
	fputs(head, out);
	fputs("<title>vmm report: ", out);
	html_text(out, r->title);
	fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n", report_css);
	fputs("<body data-ready=\"0\" data-errors=\"0\">\n", out);
	fputs(controls, out);
	fputs(panels, out);
	fputs("<script type=\"application/json\" id=\"data\">", out);
	report_json(r, out);
	fprintf(out, "</script>\n<script>\n%s</script>\n</body>\n</html>\n", report_js);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
