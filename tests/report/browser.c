/*
 * Headless Chromium for the report tests: see browser.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/report/browser.h"

/* Bound on one browser run: far above its few seconds natively and its
 * few minutes inside the nested test machine (software CPU), so that a hung
 * browser ends the test instead of the suite. */
#define BROWSER_TIMEOUT "900"

const char *browser_path(void)
{
	static char found[4096];
	const char *env = getenv("VMM_CHROMIUM"), *path = getenv("PATH");

	if (env && *env)
		return env;
	for (const char *p = path ? path : "/usr/bin"; *p;) {
		size_t n = strcspn(p, ":");
		snprintf(found, sizeof found, "%.*s/chromium", (int)n, p);
		if (access(found, X_OK) == 0)
			return found;
		p += n + (p[n] == ':');
	}
	return NULL;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return strdup("");
	do {
		if (len + 4096 + 1 > cap && !(buf = realloc(buf, cap = cap * 2 + 8192)))
			abort();
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* The console lines of a Chromium log ("...:CONSOLE(...)] ..."), malloc'ed. */
static char *console_lines(const char *log)
{
	char *out = calloc(1, strlen(log) + 1);
	size_t o = 0;

	for (const char *p = log; *p;) {
		size_t n = strcspn(p, "\n");
		if (memmem(p, n, ":CONSOLE", 8)) {
			memcpy(out + o, p, n);
			o += n;
			out[o++] = '\n';
		}
		p += n + (p[n] == '\n');
	}
	out[o] = '\0';
	return out;
}

static int run(char *const argv[], const char *out, const char *err)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fo < 0 || fe < 0)
			_exit(127);
		dup2(fo, 1);
		dup2(fe, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int browser_load(const char *file, const char *hash, const char *png, char **dom,
		 char **console)
{
	char dir[] = "/tmp/vmm-browser-XXXXXX", ud[64], url[4200], shot[4200], out[64], err[64];
	const char *chromium = browser_path();
	char *log;
	int r;

	if (!chromium || !mkdtemp(dir))
		return -1;
	snprintf(ud, sizeof ud, "--user-data-dir=%s/profile", dir);
	snprintf(url, sizeof url, "file://%s%s", file, hash);
	snprintf(shot, sizeof shot, "--screenshot=%s", png ? png : "");
	snprintf(out, sizeof out, "%s/stdout", dir);
	snprintf(err, sizeof err, "%s/stderr", dir);
	char *const argv[] = {
		"timeout", "-k", "10", BROWSER_TIMEOUT, (char *)chromium,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		ud, "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
		"--window-size=1280,800", "--virtual-time-budget=5000",
		png ? shot : "--dump-dom", url, NULL,
	};
	r = run(argv, out, err);
	*dom = slurp(out);
	log = slurp(err);
	*console = console_lines(log);
	if (r != 0)
		fprintf(stderr, "browser failed on %s; its log:\n%s\n", url, log);
	free(log);
	snprintf(url, sizeof url, "rm -rf '%s'", dir);
	if (system(url) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return r;
}

void dom_body_attr(const char *dom, const char *name, char *buf, size_t len)
{
	const char *body = strstr(dom, "<body"), *end, *p;
	char key[64];

	buf[0] = '\0';
	if (!body || !(end = strchr(body, '>')))
		return;
	snprintf(key, sizeof key, " %s=\"", name);
	p = strstr(body, key);
	if (!p || p > end)
		return;
	p += strlen(key);
	snprintf(buf, len, "%.*s", (int)strcspn(p, "\""), p);
}

char *dom_strip(const char *dom)
{
	const char *a = strstr(dom, "<svg id=\"strip\""), *b = a ? strstr(a, "</svg>") : NULL;

	if (!a || !b)
		return strdup("");
	return strndup(a, (size_t)(b - a) + 6);
}
