/*
 * The command lines of vmm, vmmctl, linux-runner and scengen without a VM:
 * --help and --version everywhere, arguments refused before the guest
 * boots (exit 2, no word about /dev/kvm), and on a machine where /dev/kvm
 * cannot be used (this project's CI machine), vmm's message naming the
 * cause and the remedy.
 */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/cli/run.h"

static const char *const programs[] = { "vmm", "vmmctl", "linux-runner", "scengen" };

Test(cli, every_program_answers_help_and_version)
{
	for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++) {
		char path[4096], want[128];

		snprintf(path, sizeof path, "%s", prog_path(programs[i]));
		for (int h = 0; h < 2; h++) {
			const char *argv[] = { path, h ? "-h" : "--help", NULL };
			struct prog_run r = prog_run(argv);

			cr_assert_eq(r.status, 0, "%s %s: %d %s", programs[i], argv[1], r.status, r.err);
			cr_assert(strncmp(r.out, "usage: ", 7) == 0, "%s: %s", programs[i], r.out);
			cr_assert_str_eq(r.err, "", "%s %s", programs[i], argv[1]);
			prog_run_free(&r);
		}
		const char *argv[] = { path, "--version", NULL };
		struct prog_run r = prog_run(argv);

		snprintf(want, sizeof want, "%s (vmm-mm) ", programs[i]);
		cr_assert_eq(r.status, 0, "%s --version", programs[i]);
		cr_assert(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
		prog_run_free(&r);
	}
}

/* Run vmm with args; expect exit 2 and msg on stderr, and nothing about
 * KVM: it stopped before trying to boot. */
static void refused(const char *const *args, const char *msg)
{
	const char *argv[16] = { NULL };
	char vmm[4096];
	int n = 0;

	snprintf(vmm, sizeof vmm, "%s", prog_path("vmm"));
	argv[n++] = vmm;
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	struct prog_run r = prog_run(argv);
	cr_assert_eq(r.status, 2, "%s: status %d, %s", msg, r.status, r.err);
	cr_assert(strstr(r.err, msg), "want '%s' in: %s", msg, r.err);
	cr_assert_null(strstr(r.err, "kvm"), "checked before boot: %s", r.err);
	cr_assert_str_eq(r.out, "");
	prog_run_free(&r);
}

Test(cli, vmm_refuses_bad_arguments_before_boot)
{
	char guest[4096], file[] = "/tmp/vmm-cli-file-XXXXXX";
	char longpath[200];
	int fd = mkstemp(file);

	snprintf(guest, sizeof guest, "%s", prog_path("guest.elf"));
	close(fd);
	memset(longpath, 'x', sizeof longpath - 1);
	longpath[0] = '/';
	longpath[sizeof longpath - 1] = 0;
	refused((const char *[]){ "--script", "/nonexistent/x.scn", guest, NULL },
		"cannot read /nonexistent/x.scn");
	refused((const char *[]){ "--control", "/nonexistent/dir/vmm.sock", guest, NULL },
		"/nonexistent/dir: No such file or directory");
	refused((const char *[]){ "--control", file, guest, NULL }, "is not a socket");
	refused((const char *[]){ "--control", longpath, guest, NULL }, "path too long");
	refused((const char *[]){ "--control", "", guest, NULL }, "path is empty");
	refused((const char *[]){ "--bogus", guest, NULL }, "unknown option: --bogus");
	refused((const char *[]){ "--mem", "12Q", guest, NULL }, "--mem needs a size");
	refused((const char *[]){ "--mem", NULL }, "option needs an argument");
	refused((const char *[]){ "--cpus", "0", guest, NULL }, "--cpus needs a number of CPUs from 1 to 8: 0");
	refused((const char *[]){ "--cpus", "9", guest, NULL }, "--cpus needs a number of CPUs from 1 to 8: 9");
	refused((const char *[]){ "--cpus", "two", guest, NULL }, "--cpus needs a number");
	refused((const char *[]){ guest, guest, NULL }, "more than one guest ELF");
	refused((const char *[]){ "--script", file, "--control", "x.sock", guest, NULL },
		"exclude each other");
	refused((const char *[]){ "--script", file, file, NULL }, ": empty file");
	/* Several scenarios on one guest (--out-dir). */
	refused((const char *[]){ "--script", file, "--script", file, guest, NULL },
		"several --script need --out-dir DIR");
	refused((const char *[]){ "--out-dir", "/tmp", guest, NULL }, "--out-dir needs --script");
	refused((const char *[]){ "--out-dir", "/tmp", "--script", file, "--report", "r.html",
				  guest, NULL }, "--report shows one scenario: not with --out-dir");
	refused((const char *[]){ "--out-dir", "/tmp", "--script", file, "--script", file, guest,
				  NULL }, "would both write /tmp/");
	refused((const char *[]){ "--out-dir", "/nonexistent/dir/out", "--script", file, guest,
				  NULL }, "--out-dir /nonexistent/dir/out: No such file or directory");
	refused((const char *[]){ "--out-dir", file, "--script", file, guest, NULL },
		"not a directory");
	refused((const char *[]){ "--out-dir", "/tmp", "--script", file, "--script",
				  "/nonexistent/y.scn", guest, NULL },
		"cannot read /nonexistent/y.scn");
	unlink(file);
}

Test(cli, vmm_default_guest_is_found_in_the_build_tree)
{
	/* No guest named: build/bin/guest.elf, next to vmm.  A missing script
	 * is then the first problem, so nothing boots. */
	struct prog_run r = prog_run((const char *[]){ prog_path("vmm"), "--script",
						       "/nonexistent/x.scn", NULL });

	cr_assert_eq(r.status, 2, "%s", r.err);
	cr_assert(strstr(r.err, "cannot read /nonexistent/x.scn"), "%s", r.err);
	prog_run_free(&r);
	setenv("VMM_GUEST", "/nonexistent/guest.elf", 1);
	r = prog_run((const char *[]){ prog_path("vmm"), "--script", "/nonexistent/x.scn", NULL });
	unsetenv("VMM_GUEST");
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "no guest ELF given, and no installed one (looked at "
			 "$VMM_GUEST=/nonexistent/guest.elf)"), "%s", r.err);
	prog_run_free(&r);
}

Test(cli, unusable_kvm_is_explained)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	char script[] = "/tmp/vmm-cli-scn-XXXXXX";
	int sfd;

	if (fd >= 0) {
		/* KVM works here: this machine shows no error to explain (the
		 * cases are unit-tested in test_kvm_diag). */
		close(fd);
		return;
	}
	sfd = mkstemp(script);
	cr_assert(write(sfd, "maps\n", 5) == 5);
	close(sfd);
	struct prog_run r = prog_run((const char *[]){ prog_path("vmm"), "--script", script,
						       prog_path("guest.elf"), NULL });
	unlink(script);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strncmp(r.err, "vmm: cannot open /dev/kvm: ", 27) == 0, "%s", r.err);
	/* A cause and a remedy, whichever this machine's case is. */
	cr_assert(strstr(r.err, "modprobe kvm_intel") || strstr(r.err, "usermod -aG") ||
		  strstr(r.err, "nested virtualization") || strstr(r.err, "remove it"), "%s", r.err);
	prog_run_free(&r);
	r = prog_run((const char *[]){ prog_path("vmm"), "--info", NULL });
	cr_assert_eq(r.status, 1);
	cr_assert(strncmp(r.err, "vmm: cannot open /dev/kvm: ", 27) == 0, "%s", r.err);
	prog_run_free(&r);
}

Test(cli, vmmctl_usage_and_connection_errors)
{
	struct prog_run r = prog_run((const char *[]){ prog_path("vmmctl"), "--bogus", NULL });

	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "try 'vmmctl --help'"), "%s", r.err);
	prog_run_free(&r);
	r = prog_run((const char *[]){ prog_path("vmmctl"), "-s", "/nonexistent/vmm.sock",
				       "maps", NULL });
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "cannot connect to /nonexistent/vmm.sock"), "%s", r.err);
	prog_run_free(&r);
}

Test(cli, scengen_and_linux_runner_options)
{
	struct prog_run r = prog_run((const char *[]){ prog_path("scengen"), "--seed", NULL });

	cr_assert_eq(r.status, 2, "an option is not a seed");
	prog_run_free(&r);
	r = prog_run((const char *[]){ prog_path("scengen"), "7", "3", NULL });
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, "# scengen 7 3\n", 14) == 0, "%s", r.out);
	prog_run_free(&r);
	r = prog_run((const char *[]){ prog_path("linux-runner"), "--frobnicate", NULL });
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "unknown option --frobnicate"), "%s", r.err);
	prog_run_free(&r);
	/* --out-dir: scenarios into files, whole arguments checked first. */
	r = prog_run((const char *[]){ prog_path("linux-runner"), "--out-dir", "/tmp", NULL });
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "--out-dir needs DIR and at least one FILE"), "%s", r.err);
	prog_run_free(&r);
	r = prog_run((const char *[]){ prog_path("linux-runner"), "--out-dir", "/tmp",
				       "/nonexistent/a.scn", NULL });
	cr_assert_eq(r.status, 2);
	cr_assert(strstr(r.err, "linux-runner: cannot read /nonexistent/a.scn"), "%s", r.err);
	prog_run_free(&r);
	r = prog_run((const char *[]){ prog_path("scengen"), "--out-dir", "/tmp", "7", NULL });
	cr_assert_eq(r.status, 2, "COUNT missing");
	prog_run_free(&r);
	r = prog_run((const char *[]){ prog_path("scengen"), "--out-dir", "/nonexistent", "7", "1",
				       NULL });
	cr_assert_eq(r.status, 1);
	cr_assert(strstr(r.err, "cannot write /nonexistent/s7.scn"), "%s", r.err);
	prog_run_free(&r);
}

/* The names a declaration line of the public header declares ("vmm_x(" at
 * the start of a line or after its return type), space-separated. */
static void header_functions(const char *text, char *names, size_t len)
{
	names[0] = 0;
	for (const char *line = text; *line;) {
		const char *eol = strchr(line, '\n'), *p = strstr(line, "vmm_");
		const char *next = eol ? eol + 1 : line + strlen(line);

		if (!strchr(" \t*/#", *line) && p && (!eol || p < eol)) {
			size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");

			if (p[n] == '(')
				snprintf(names + strlen(names), len - strlen(names), "%.*s ", (int)n, p);
		}
		line = next;
	}
}

Test(cli, library_exports_exactly_the_header)
{
	char *hdr = read_file(src_path("include/vmm-mm/vmm.h"));
	char *map = read_file(src_path("vmm/api/libvmm-mm.map"));
	char names[4096], lib[4096];
	unsigned n = 0;

	cr_assert(hdr && map);
	header_functions(hdr, names, sizeof names);
	snprintf(lib, sizeof lib, "%s/../lib/libvmm-mm.so", getenv("VMM_BIN") ? getenv("VMM_BIN") : "build/bin");
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	cr_assert(h, "%s", dlerror());
	for (char *name = strtok(names, " "); name; name = strtok(NULL, " "), n++) {
		char entry[96];

		snprintf(entry, sizeof entry, "\t\t%s;\n", name);
		cr_expect(strstr(map, entry), "%s is not exported by libvmm-mm.map", name);
		cr_expect(dlsym(h, name), "%s is not in %s", name, lib);
	}
	cr_assert_geq(n, 20);
	/* ...and nothing of the layers inside. */
	cr_expect_null(dlsym(h, "vm_create"));
	cr_expect_null(dlsym(h, "scen_parse_number"));
	cr_expect_null(dlsym(h, "vmm_path_find"));
	dlclose(h);
	free(hdr);
	free(map);
}
