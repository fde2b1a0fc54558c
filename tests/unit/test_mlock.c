/*
 * mlock / mlock onfault / munlock: argument checks and rounding, split and
 * merge back, populate (not for onfault), holes, PROT_NONE, munmap and
 * madvise dontneed of locked ranges, mremap of a locked VMA.  Compared with
 * the host's Linux (oracle.h; the host runs the tests as root, so no
 * RLIMIT_MEMLOCK applies, as in the scenario language).
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"
#include "tests/unit/oracle.h"

TestSuite(mlock, .init = fake_setup);

Test(mlock, arguments_and_rounding)
{
	oracle_compare("mmap 0 4 rw-\n"
		       "mlock b:800 1\nmaps\n"
		       "mlock 0 b:1 onfault\nmaps\n"
		       "mlock 0 0\nmlock 10 0\nmlock 10 1\n"
		       "mlock 0 b:fffffffffffff000\nmunlock 0 b:fffffffffffff000\n"
		       "munlock b:fff 1\nmaps\n");
}

Test(mlock, split_merge_and_holes)
{
	oracle_compare("mmap 0 4 rw-\nmmap 6 4 rw-\n"
		       "mlock 2 6\nmaps\npresent 0 a\n"
		       "munlock 0 a\nmaps\n"
		       "mlock 5 1\nmunlock 5 1\nmunlock 0 4\nmaps\n"
		       "mlock 0 4\npresent 0 4\nmlock 1 2\nmunlock 1 2\nmaps\nmunlock 0 4\nmaps\n");
}

Test(mlock, onfault)
{
	oracle_compare("mmap 0 4 rw-\nmlock 0 4 onfault\npresent 0 4\nmaps\n"
		       "mlock 1 2\nmaps\npresent 0 4\nmunlock 0 4\nmaps\n"
		       "touch 0 1 w\nmlock 0 4 onfault\npresent 0 4\n");
}

Test(mlock, prot_none_and_populate)
{
	oracle_compare("mmap 0 4 ---\nmlock 0 4\nmaps\npresent 0 4\n"
		       "mmap 20 2 rw-\nmmap 22 2 ---\nmmap 24 2 rw-\nmlock 20 6\npresent 20 6\nmaps\n"
		       "munlock 20 6\nmaps\n");
}

Test(mlock, munmap_dontneed_mremap)
{
	oracle_compare("mmap 0 4 rw-\nfill 0 4 9\nmlock 0 4\nmunmap 1 1\nmaps\n"
		       "madvise 0 4 dontneed\nmadvise 2 2 dontneed\ncheck 2 2 9\n"
		       "mremap 2 2 4 maymove fixed 10\npresent 10 4\nmaps\n"
		       "mremap 10 4 6\npresent 10 6\nmaps\ncheck 10 2 9\n");
}

/* mprotect making a locked VMA writable populates it (not onfault). */
Test(mlock, mprotect_of_locked_populates)
{
	oracle_compare("mmap 0 4 ---\nmlock 0 4\nmprotect 1 2 rw-\npresent 0 4\nmaps\n"
		       "mmap 10 4 ---\nmlock 10 4 onfault\nmprotect 10 4 rw-\npresent 10 4\nmaps\n");
}
