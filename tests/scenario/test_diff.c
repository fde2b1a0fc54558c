/*
 * The differential test: random scenarios (scengen seeds 1..N) run through
 * linux-runner (the host's Linux) and vmm (the guest); the transcripts and
 * exit statuses must be identical.
 *
 * Two stages, two ctest tests, so that the oracle is always this host's own
 * Linux even when the guest runs on a machine of its own
 * (tools/kvm-machine.sh, whose kernel is another Linux):
 *   differential/linux_oracle       generate the scenarios and run them
 *                                   through linux-runner (ctest
 *                                   scenario_diff_oracle, no KVM): two
 *                                   linux-runner --out-dir at once,
 *                                   results in the folder's linux/;
 *   differential/linux_and_vmm_agree run the same files through vmm and
 *                                   compare (ctest scenario_diff, KVM):
 *                                   the odd seeds on one guest with
 *                                   --cpus 4, the even ones on another
 *                                   with 2 (vmm --out-dir), results in
 *                                   the folder's vmm/.
 * The files live in SCEN_DIFF_DIR (default $VMM_BIN/../scenario-diff).
 *
 * Environment of the first stage (the second reads them back from the
 * folder): SCEN_DIFF_SEEDS (default 200), SCEN_DIFF_FIRST (default 1),
 * SCEN_DIFF_OPS (default 60), SCEN_DIFF_V2: 0 for version-1 scenarios
 * (scengen), 1 for version 2 with processes (scengen --v2), unset or 2 for
 * version 2 in one process (scengen --v2 --one-process: what the guest
 * implements, and no read of a page no write made present, which keeps the
 * transcripts independent of the kernel's zero-page policy: this host may
 * boot with pvm_no_zero_page=1, docs/scenarios.md).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <criterion/logging.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/scenario/proc.h"
#include "tests/scenario/runners.h"

#define MAX_REPORTED 5            /* mismatches shown in full */

static unsigned env_uint(const char *name, unsigned dflt)
{
	const char *v = getenv(name);

	return v && *v ? (unsigned)strtoul(v, NULL, 0) : dflt;
}

static void seed_path(const char *dir, unsigned seed, const char *what, char *buf, size_t size)
{
	snprintf(buf, size, "%s/s%u.%s", dir, seed, what);
}

/* scengen's options for SCEN_DIFF_V2's value v2. */
static const char *gen_flags(unsigned v2)
{
	return v2 == 0 ? "" : v2 == 1 ? "--v2 " : "--v2 --one-process ";
}

/* Write the scenarios of seeds [first, first + nseeds) into dir with
 * scengen (gen_flags(v2)); their paths into scns[0..nseeds). */
static void generate(const char *dir, unsigned first, unsigned nseeds, unsigned nops, unsigned v2,
		     char **scns)
{
	scengen_batch(dir, v2, first, nseeds, nops);
	for (unsigned i = 0; i < nseeds; i++) {
		char scn[4096];

		seed_path(dir, first + i, "scn", scn, sizeof(scn));
		scns[i] = strdup(scn);
		cr_assert(scns[i]);
	}
}

/* The stage folder: SCEN_DIFF_DIR, or scenario-diff beside the build's bin. */
static void stage_dir(char *buf, size_t size)
{
	const char *d = getenv("SCEN_DIFF_DIR");
	char bin[1024];

	if (d && *d) {
		snprintf(buf, size, "%s", d);
		return;
	}
	bin_path("scengen", bin, sizeof(bin));
	*strrchr(bin, '/') = '\0';
	snprintf(buf, size, "%s/../scenario-diff", bin);
}

/* The parameters of the oracle stage, written into and read from dir/params. */
struct params {
	unsigned nseeds, first, nops, v2;
};

static void params_path(const char *dir, char *buf, size_t size)
{
	snprintf(buf, size, "%s/params", dir);
}

/* The oracle's results: dir/linux. */
static void linux_dir(const char *dir, char *buf, size_t size)
{
	snprintf(buf, size, "%s/linux", dir);
}

Test(differential, linux_oracle, .timeout = 600)
{
	struct params p = {
		.nseeds = env_uint("SCEN_DIFF_SEEDS", 200), .first = env_uint("SCEN_DIFF_FIRST", 1),
		.nops = env_uint("SCEN_DIFF_OPS", 60), .v2 = env_uint("SCEN_DIFF_V2", 2),
	};
	char dir[2048], ldir[2100], path[4200], cmd[8400];
	char **scns = calloc(p.nseeds, sizeof(*scns));
	size_t half = p.nseeds / 2;
	FILE *f;

	cr_assert(scns && p.nseeds > 0);
	stage_dir(dir, sizeof(dir));
	linux_dir(dir, ldir, sizeof(ldir));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", dir, ldir);
	cr_assert_eq(system(cmd), 0, "cannot make %s", ldir);
	generate(dir, p.first, p.nseeds, p.nops, p.v2, scns);
	/* Two linux-runners at once, each over half the seeds. */
	runner_batch_pair(scns, half, ldir, scns + half, p.nseeds - half, ldir);
	for (unsigned i = 0; i < p.nseeds; i++) {
		struct run r;

		runner_batch_read(ldir, scns[i], &r);
		cr_expect(r.status == 0 || r.status == 1, "seed %u: linux-runner exited %d: %s",
			  p.first + i, r.status, r.err);
		run_free(&r);
		free(scns[i]);
	}
	free(scns);
	params_path(dir, path, sizeof(path));
	f = fopen(path, "w");
	cr_assert(f, "cannot write %s", path);
	fprintf(f, "%u %u %u %u\n", p.nseeds, p.first, p.nops, p.v2);
	cr_assert_eq(fclose(f), 0);
	cr_log_info("differential oracle: %u seeds from %u, %u ops each, in %s", p.nseeds,
		    p.first, p.nops, dir);
}

/* Tell one seed's mismatch: in full for the first MAX_REPORTED. */
static void report(const char *dir, const char *vdir, unsigned seed, int ls, int vs,
		   const struct params *p, unsigned nth)
{
	char lo[4096], vo[4096], ve[4096];

	if (nth > MAX_REPORTED) {
		cr_log_error("seed %u: linux-runner and vmm disagree (exit %d vs %d)", seed, ls, vs);
		return;
	}
	seed_path(dir, seed, "out", lo, sizeof(lo));     /* dir: the oracle's */
	seed_path(vdir, seed, "out", vo, sizeof(vo));
	seed_path(vdir, seed, "err", ve, sizeof(ve));
	char *diff = diff_files(lo, vo);
	char *verr = slurp(ve, NULL);

	cr_log_error("seed %u: linux-runner and vmm disagree (exit %d vs %d)\n"
		     "reproduce:\n"
		     "  build/bin/scengen %s%u %u > s%u.scn\n"
		     "  build/bin/linux-runner s%u.scn > linux.out\n"
		     "  build/bin/vmm%s --script s%u.scn build/bin/guest.elf > vmm.out\n"
		     "  diff -u linux.out vmm.out\n"
		     "--- linux +++ vmm\n%s\nvmm stderr (end):\n%s\n",
		     seed, ls, vs, gen_flags(p->v2), seed, p->nops, seed, seed,
		     seed % 2 ? " --cpus 4" : "", seed, diff,
		     verr ? verr + (strlen(verr) > 2000 ? strlen(verr) - 2000 : 0) : "");
	free(diff);
	free(verr);
}

Test(differential, linux_and_vmm_agree, .timeout = 600)
{
	unsigned mismatches = 0;
	char why[4200], dir[2048], path[4400];
	struct params p;
	struct timespec t0, t1;
	FILE *f;

	cr_assert(vmm_available(why, sizeof(why)), "%s", why);
	stage_dir(dir, sizeof(dir));
	params_path(dir, path, sizeof(path));
	f = fopen(path, "r");
	cr_assert(f, "%s missing: run the oracle stage first (ctest scenario_diff_oracle, or "
		  "scenario_diff --filter differential/linux_oracle)", path);
	cr_assert_eq(fscanf(f, "%u %u %u %u", &p.nseeds, &p.first, &p.nops, &p.v2), 4,
		     "%s is damaged", path);
	fclose(f);

	/* Odd seeds on vmm --cpus 4, even ones on its default 2 CPUs: the
	 * scenarios' cpu lines move them between CPUs either way.  Each set
	 * runs on one booted guest (vmm --out-dir), results in dir/vmm. */
	char **scns = calloc(p.nseeds, sizeof(*scns)), vdir[2100], ldir[2100];
	size_t nodd = 0, neven = 0;

	cr_assert(scns);
	snprintf(vdir, sizeof(vdir), "%s/vmm", dir);
	linux_dir(dir, ldir, sizeof(ldir));
	snprintf(path, sizeof(path), "rm -rf '%s' && mkdir -p '%s'", vdir, vdir);
	cr_assert_eq(system(path), 0, "cannot make %s", vdir);
	for (int odd = 1; odd >= 0; odd--) {
		for (unsigned i = 0; i < p.nseeds; i++) {
			unsigned seed = p.first + i;

			if ((int)(seed % 2) != odd)
				continue;
			seed_path(dir, seed, "scn", path, sizeof(path));
			scns[nodd + neven] = strdup(path);
			cr_assert(scns[nodd + neven]);
			*(odd ? &nodd : &neven) += 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	runner_batch(RUNNER_VMM4, scns, nodd, vdir);
	runner_batch(RUNNER_VMM, scns + nodd, neven, vdir);

	for (unsigned i = 0; i < p.nseeds; i++) {
		unsigned seed = p.first + i;
		char scn[4096];
		struct run l, v;

		seed_path(dir, seed, "scn", scn, sizeof(scn));
		runner_batch_read(ldir, scn, &l);
		cr_assert(l.status >= 0, "seed %u: the oracle's files are missing in %s", seed,
			  ldir);
		runner_batch_read(vdir, scn, &v);
		if (!(strcmp(l.out, v.out) == 0 && l.status == v.status))
			report(ldir, vdir, seed, l.status, v.status, &p, ++mismatches);
		run_free(&l);
		run_free(&v);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_log_info("differential: %u seeds from %u, %u ops each, %.1f s, %u mismatches",
		    p.nseeds, p.first, p.nops,
		    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
		    mismatches);
	cr_expect_eq(mismatches, 0, "%u of %u seeds disagree (files kept in %s)", mismatches,
		     p.nseeds, dir);
	for (unsigned i = 0; i < p.nseeds; i++)
		free(scns[i]);
	free(scns);
}
