/*
 * The manual pages and the bash completion against what the programs and
 * the command tables say: every option of `PROG --help` is in PROG(1)'s
 * OPTIONS and the other way round; every command of vmm's tables (the
 * scenario language and the guest-only commands) is in vmm-scenario(5)
 * or vmm(1), and its first word in the completion's command list.
 */
#include <criterion/criterion.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tests/cli/run.h"
#include "vmm/inspect/icmd.h"
#include "vmm/inspect/session.h"
#include "vmm/script/cmd.h"
#include "vmm/trace/trace_cmd.h"

/* Roff text with its font changes and escaped minus signs removed. */
static char *plain(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] == '-') {
			*o++ = '-';
			p++;
		} else if (p[0] == '\\' && p[1] == 'f' && p[2]) {
			p += 2;
		} else {
			*o++ = *p;
		}
	}
	*o = 0;
	return s;
}

/* Does text hold "--name" as a whole option word? */
static bool has_option(const char *text, const char *opt)
{
	size_t n = strlen(opt);

	for (const char *p = strstr(text, opt); p; p = strstr(p + 1, opt))
		if ((p == text || (!isalnum((unsigned char)p[-1]) && p[-1] != '-')) &&
		    !isalnum((unsigned char)p[n]) && p[n] != '-')
			return true;
	return false;
}

/* Call fn for every "--word" in text. */
static void each_option(const char *text, void (*fn)(const char *opt, void *ctx), void *ctx)
{
	for (const char *p = strstr(text, "--"); p; p = strstr(p + 2, "--")) {
		char opt[64];
		size_t n = 2;

		if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '-'))
			continue;
		while (n < sizeof opt - 1 && (isalnum((unsigned char)p[n]) || p[n] == '-'))
			n++;
		if (n == 2)
			continue;
		snprintf(opt, sizeof opt, "%.*s", (int)n, p);
		fn(opt, ctx);
	}
}

struct pair {
	const char *prog;
	const char *other;
	const char *what;
};

static void must_have(const char *opt, void *ctx)
{
	const struct pair *p = ctx;

	cr_expect(has_option(p->other, opt), "%s: %s is in %s only", p->prog, opt, p->what);
}

Test(manpages, options_match_help)
{
	static const char *const progs[] = { "vmm", "vmmctl", "linux-runner", "scengen" };

	for (size_t i = 0; i < 4; i++) {
		char man[256], *page, *opts, *end;
		struct prog_run r = prog_run((const char *[]){ prog_path(progs[i]), "--help", NULL });

		snprintf(man, sizeof man, "docs/man/%s.1", progs[i]);
		page = read_file(src_path(man));
		cr_assert(page, "%s", man);
		plain(page);
		opts = strstr(page, ".SH OPTIONS");
		cr_assert(opts, "%s has no OPTIONS", man);
		end = strstr(opts + 1, ".SH ");
		if (end)
			*end = 0;
		/* vmm's help also names commands (maps --full) next to its options. */
		struct pair help_in_man = { progs[i], page, "--help" };
		struct pair man_in_help = { progs[i], r.out, man };
		each_option(opts, must_have, &man_in_help);
		if (strcmp(progs[i], "vmm") != 0)
			each_option(r.out, must_have, &help_in_man);
		else
			each_option(strstr(r.out, "options:"), must_have, &help_in_man);
		free(page);
		prog_run_free(&r);
	}
}

static const struct scen_cmd_table *const tables[] = {
	&scen_operations, &scen_expectations, &icmd_commands, &inspect_vm_commands, &trace_commands,
};

Test(manpages, every_command_is_documented_and_completed)
{
	char *scen = read_file(src_path("docs/man/vmm-scenario.5"));
	char *vmm = read_file(src_path("docs/man/vmm.1"));
	char *comp = read_file(src_path("tools/completion/vmm-mm.bash"));

	cr_assert(scen && vmm && comp);
	plain(scen);
	plain(vmm);
	char *list = strstr(comp, "_vmm_mm_commands=\"");
	cr_assert(list);
	char *list_end = strchr(list + 18, '"');
	*list_end = 0;
	for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
		for (size_t i = 0; i < tables[t]->n; i++) {
			const char *name = tables[t]->cmds[i].name;
			char first[32];

			cr_expect(strstr(scen, name) || strstr(vmm, name),
				  "'%s' is in neither vmm-scenario(5) nor vmm(1)", name);
			snprintf(first, sizeof first, "%.*s", (int)strcspn(name, " "), name);
			cr_expect(strstr(list, first), "'%s' is not in the completion's list", first);
		}
	}
	free(scen);
	free(vmm);
	free(comp);
}
