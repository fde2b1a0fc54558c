/*
 * One request of the control protocol (docs/inspection.md, "Control
 * protocol"): the line runs through the scenario engine's one dispatch path
 * (script_session_exec), and its response is the transcript, the engine's
 * diagnostics as "# " comments, and exactly one status line.
 */
#include <stdlib.h>
#include <string.h>

#include "vmm/control.h"
#include "vmm/script/script.h"

/* Write the lines of text to f as comments ("# LINE"), skipping empty ones:
 * no output line may look like a status line. */
static void put_comments(FILE *f, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n > 0)
			fprintf(f, "# %.*s\n", (int)n, p);
		p += n + 1;
	}
}

int control_respond(struct script_session *s, const char *line, size_t len,
		    char **resp, size_t *resplen)
{
	char *ebuf = NULL;
	size_t elen = 0;
	struct script_outcome o;
	FILE *out = open_memstream(resp, resplen);
	FILE *err = open_memstream(&ebuf, &elen);

	if (!out || !err) {
		if (out)
			fclose(out);
		if (err)
			fclose(err);
		free(out ? *resp : NULL);
		*resp = NULL;
		free(ebuf);
		return SCRIPT_FAIL;
	}
	script_session_exec(s, line, len, out, err, &o);
	fflush(err);
	put_comments(out, ebuf, elen);
	if (o.status == SCRIPT_OK)
		fputs("ok\n", out);
	else
		fprintf(out, "error: %s\n", o.msg);
	if (fclose(out) != 0) {
		free(*resp);
		*resp = NULL;
	}
	fclose(err);
	free(ebuf);
	return o.status;
}
