/*
 * Random scripts of every operation of the language's version 2 (mmap with
 * its flags, munmap, mprotect, mremap, madvise, mlock, munlock, touch,
 * fill, check) on a small window, each run on the guest mm and on the
 * host's Linux and compared line by line, VMA lists and present pages
 * included.  Reads are avoided where the host's pvm_no_zero_page would
 * make a difference (see oracle_host.c): touches are writes, populate is
 * populate_write, and either no mapping is read-only (mode A) or nothing
 * is populated by reading (mode B: mlock on fault only, no MAP_LOCKED);
 * the data read back at the end comes after the last merge.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake_arch.h"
#include "tests/unit/oracle.h"

#define WIN 48                  /* pages */
#define SCRIPTS 150     /* of each mode */
#define LINES 30

TestSuite(random_oracle, .init = fake_setup);

/* Mode B allows read-only mappings but then never populates by reading:
 * mlock only on fault, no MAP_LOCKED (and so no locked growth). */
static bool read_only_mode;

static unsigned rnd(unsigned n)
{
	return (unsigned)random() % n;
}

static const char *a_prot(void)
{
	/* Mode A: no read-only VMAs, since mlock would populate them by reading. */
	static const char *const p[] = { "rw-", "rw-", "---", "rwx", "r--" };
	return p[rnd(read_only_mode ? 5 : 4)];
}

static void line_mmap(char *l, size_t n)
{
	const char *prot = a_prot();
	bool rw = prot[1] == 'w';

	snprintf(l, n, "mmap %x %x %s%s%s%s%s\n", rnd(WIN), 1 + rnd(8), prot,
		 rnd(4) == 0 ? " noreserve" : "", rw && rnd(4) == 0 ? " populate" : "",
		 rw && !read_only_mode && rnd(6) == 0 ? " locked" : "",
		 rnd(6) == 0 ? " growsdown" : "");
}

static void line_mremap(char *l, size_t n)
{
	unsigned a = rnd(WIN), o = 1 + rnd(6), nl = 1 + rnd(8);

	switch (rnd(4)) {
	case 0:
		snprintf(l, n, "mremap %x %x %x\n", a, o, nl);
		break;
	case 1:
		snprintf(l, n, "mremap %x %x %x maymove fixed %x\n", a, o, nl, rnd(WIN));
		break;
	case 2:
		snprintf(l, n, "mremap %x %x %x maymove fixed %x\n", a, o, o, rnd(WIN));
		break;
	default:
		snprintf(l, n, "mremap %x %x %x maymove dontunmap fixed %x\n", a, o, o, rnd(WIN));
		break;
	}
}

static void line(char *l, size_t n)
{
	static const char *const adv[] = { "normal", "random", "sequential", "dontneed", "dontfork",
					   "dofork", "wipeonfork", "keeponfork", "populate_write" };
	unsigned a = rnd(WIN), len = 1 + rnd(8);

	switch (rnd(11)) {
	case 0: case 1: line_mmap(l, n); break;
	case 2: snprintf(l, n, "munmap %x %x\n", a, len); break;
	case 3: snprintf(l, n, "mprotect %x %x %s\n", a, len, a_prot()); break;
	case 4: case 5: line_mremap(l, n); break;
	case 6: snprintf(l, n, "madvise %x %x %s\n", a, len, adv[rnd(9)]); break;
	case 7:
		snprintf(l, n, "mlock %x %x%s\n", a, len, rnd(3) && !read_only_mode ? "" : " onfault");
		break;
	case 8: snprintf(l, n, "munlock %x %x\n", a, len); break;
	case 9: snprintf(l, n, "touch %x %x w\n", a, len); break;
	default: snprintf(l, n, "fill %x %x %x\nmaps\n", a, len, 1 + rnd(255)); break;
	}
}

/* A script that ends by reading back the whole window's data and pages. */
static void make_script(char *s, size_t size)
{
	size_t k = 0;

	for (int i = 0; i < LINES; i++)
		line(s + k, size - k), k += strlen(s + k);
	for (unsigned p = 0; p < WIN; p++)
		k += (size_t)snprintf(s + k, size - k, "present %x 1\n", p);
	k += (size_t)snprintf(s + k, size - k, "maps\n");
	for (unsigned p = 0; p < WIN; p++)
		k += (size_t)snprintf(s + k, size - k, "check %x 1 0\n", p);
}

Test(random_oracle, scripts, .timeout = 240)
{
	static char script[16384];

	srandom(20251);
	for (int i = 0; i < 2 * SCRIPTS; i++) {
		read_only_mode = i >= SCRIPTS;
		make_script(script, sizeof script);
		oracle_compare(script);
	}
}
