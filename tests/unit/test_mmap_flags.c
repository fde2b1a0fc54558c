/*
 * mmap flags: noreserve (VM_NORESERVE, no VM_ACCOUNT, so no merge with an
 * accounted neighbour, and mprotect never adds it), populate and locked
 * (populated, errors ignored), growsdown (growth on a fault below, within
 * the stack guard gap and RLIMIT_STACK, else maperr).  Compared with the
 * host's Linux (oracle.h).
 */
#include <criterion/criterion.h>

#include "tests/unit/fake_arch.h"
#include "tests/unit/oracle.h"

TestSuite(mmap_flags, .init = fake_setup);

Test(mmap_flags, noreserve)
{
	oracle_compare("mmap 0 4 rw- noreserve\nmmap 4 4 rw-\nmaps\n"
		       "mprotect 0 4 r--\nmprotect 0 4 rw-\nmaps\n"
		       "mmap 10 2 r-- noreserve\nmmap 12 2 r--\nmaps\n"
		       "mprotect 10 4 rw-\nmaps\n"
		       "mmap 20 2 rw- noreserve\nmmap 22 2 rw- noreserve\nmaps\n");
}

Test(mmap_flags, populate_and_locked)
{
	oracle_compare("mmap 0 4 rw- populate\npresent 0 4\nmaps\n"
		       "mmap 10 4 rw- locked\npresent 10 4\nmaps\n"
		       "mmap 20 4 --- populate\npresent 20 4\n"
		       "mmap 30 4 --- locked\npresent 30 4\nmaps\n"
		       "mmap 14 2 rw- locked populate\nmaps\n"
		       "mmap 8 4 rw- noreplace populate\n");
}

Test(mmap_flags, growsdown)
{
	oracle_compare("mmap 1000 4 rw- growsdown\nmaps\n"
		       "touch fff 1 r\nmaps\ntouch ff0 1 w\nmaps\n"
		       "touch c00 1 w\nmaps\ntouch bff 1 w\nmaps\n");
	oracle_compare("mmap 1000 4 rw- growsdown\ntouch 800 1 r\ntouch 7ff 1 w\nmaps\n"
		       "touch 804 1 w\nmaps\n");
	oracle_compare("mmap 1000 4 rw- growsdown\nmmap e00 1 rw-\n"
		       "touch f00 1 r\nmaps\ntouch eff 1 r\ntouch f01 1 r\nmaps\n");
	oracle_compare("mmap 1000 4 rw- growsdown\nmmap e00 1 ---\ntouch e01 1 r\nmaps\n");
	oracle_compare("mmap 1000 4 rw- growsdown\nmmap e00 1 r-- growsdown\ntouch e01 1 r\nmaps\n");
	oracle_compare("mmap 1000 4 r-- growsdown\ntouch ff0 1 w\nmaps\n");
	oracle_compare("mmap 1000 4 rw- growsdown\nmmap 1004 4 rw- growsdown\nmmap ff0 10 rw-\nmaps\n"
		       "munmap ff0 10\nmmap ffc 4 rw- growsdown\nmaps\n");
	oracle_compare("mmap 1000 4 rw- growsdown\nmadvise fff 1 normal\nmlock ff0 20\nmaps\n"
		       "mremap 1000 4 8\nmaps\nmremap 1000 8 8 maymove fixed 2000\n"
		       "touch 1fff 1 w\nmaps\n");
}
