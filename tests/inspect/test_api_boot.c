/*
 * The public API booting the real guest (KVM): vmm_config.cpus reaches the
 * guest, which brings every CPU up (the `tlb` command lists the CPUs the
 * guest's channel says it has, and each has run on its own loaded tables),
 * and a scenario's `cpu N` line runs on CPU N.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm-mm/vmm.h"

static struct vmm *boot(unsigned cpus)
{
	const char *bin = getenv("VMM_BIN");
	char guest[4096], err[2048];
	struct vmm *v;

	snprintf(guest, sizeof guest, "%s/guest.elf", bin ? bin : "build/bin");
	struct vmm_config cfg = { .guest = guest, .quiet = true, .cpus = cpus };
	cr_assert_eq(vmm_boot(&cfg, &v, err, sizeof err), 0, "vmm_boot: %s", err);
	return v;
}

/* The lines "cpu N ..." of the tlb command's transcript. */
static unsigned cpus_listed(struct vmm *v, char *text, size_t len)
{
	struct vmm_transcript t;
	unsigned n = 0;

	cr_assert_eq(vmm_run(v, "tlb\n", &t), VMM_OK, "%s", t.err);
	snprintf(text, len, "%s", t.out);
	for (const char *p = t.out; (p = strstr(p, "\ncpu ")); p++)
		n++;
	vmm_transcript_free(&t);
	return n;
}

Test(api_boot, four_cpus_online)
{
	struct vmm *v = boot(4);
	struct vmm_transcript t;
	char text[4096];

	cr_assert_eq(cpus_listed(v, text, sizeof text), 4, "%s", text);
	cr_assert(strstr(text, "\ncpu 3 "), "%s", text);
	/* CPU 3 really serves requests: a fault there loads the mm on it. */
	cr_assert_eq(vmm_run(v, "mmap 0x100000000000 4K rw-\ncpu 3\ntouch 0x100000000000 4K write\n",
			     &t), VMM_OK, "%s%s", t.out, t.err);
	vmm_transcript_free(&t);
	cpus_listed(v, text, sizeof text);
	cr_assert(!strstr(strstr(text, "\ncpu 3 "), "\ncpu 3 mm=0 "), "%s", text);
	vmm_destroy(v);
}

Test(api_boot, default_is_two_cpus)
{
	struct vmm *v = boot(0);
	char text[4096];

	cr_assert_eq(cpus_listed(v, text, sizeof text), 2, "%s", text);
	vmm_destroy(v);
}
