/*
 * The command line every benchmark of tools/bench* shares: --help (the
 * program's help on standard output, exit 0), --version (`NAME (vmm-mm)
 * VERSION`, as vmm prints it) and an argument it does not know refused with
 * its usage line on standard error (exit 2), all before anything is
 * measured.  Programs with options of their own (getopt_long) use
 * bench_version() and BENCH_OPT_VERSION; the others bench_args().
 */
#ifndef TOOLS_BENCH_BENCH_CLI_H
#define TOOLS_BENCH_BENCH_CLI_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VMM_MM_VERSION
#error "VMM_MM_VERSION: set for the target in CMakeLists.txt (vmm_host_target)"
#endif

/* getopt_long's value for { "version", no_argument, NULL, BENCH_OPT_VERSION }. */
#define BENCH_OPT_VERSION 0x100

/* Print the version line; 0, the exit status. */
static inline int bench_version(const char *name)
{
	printf("%s (vmm-mm) " VMM_MM_VERSION "\n", name);
	return 0;
}

/* "NAME: unknown argument: ARG" (if arg), then help's first line (its
 * usage line), on standard error; 2, the exit status. */
static inline int bench_refuse(const char *name, const char *help, const char *arg)
{
	if (arg)
		fprintf(stderr, "%s: unknown argument: %s\n", name, arg);
	fprintf(stderr, "%.*s\ntry '%s --help'\n", (int)strcspn(help, "\n"), help, name);
	return 2;
}

/* The arguments of a program that takes at most one, of its own if
 * accept(it) (accept NULL: none): --help and -h, --version answered here
 * (exit 0), anything else refused (exit 2).  Returns the accepted argument,
 * or NULL without one. */
static inline const char *bench_args(int argc, char **argv, const char *name,
				     const char *help, int (*accept)(const char *))
{
	if (argc < 2)
		return NULL;
	if (argc > 2)
		exit(bench_refuse(name, help, argv[2]));
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(help, stdout);
		exit(0);
	}
	if (!strcmp(argv[1], "--version"))
		exit(bench_version(name));
	if (accept && accept(argv[1]))
		return argv[1];
	exit(bench_refuse(name, help, argv[1]));
}

#endif
