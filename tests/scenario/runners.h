/*
 * What the scenario tests share: running linux-runner and vmm on a scenario
 * file, the corpus in tests/scenarios, the spec's two examples.
 */
#ifndef TESTS_SCENARIO_RUNNERS_H
#define TESTS_SCENARIO_RUNNERS_H

#include <stddef.h>

/* RUNNER_VMM: vmm with its default CPUs; RUNNER_VMM4: vmm --cpus 4. */
enum runner { RUNNER_LINUX, RUNNER_VMM, RUNNER_VMM4 };

struct run {
	int status;               /* exit status (128 + signal if killed) */
	char *out;                /* standard output */
	char *err;                /* standard error */
};

/* Fill argv (at least 8 slots, strings in bufs[3][4096]) for a runner on scn. */
void runner_argv(enum runner which, const char *scn, char *argv[], char bufs[][4096]);
/* The command line, for messages: "build/bin/linux-runner FILE". */
void runner_command(enum runner which, const char *scn, char *buf, size_t size);
const char *runner_name(enum runner which);

/* Run a runner on scn, its output files under tmpdir with prefix tag. */
void runner_run(enum runner which, const char *scn, const char *tmpdir, const char *tag,
		struct run *r);
void run_free(struct run *r);

/* A runner's --out-dir outdir over scns[0..n): one process (for vmm one
 * guest boot; more if a scenario kills the guest: the rest run on a new
 * one).  Each scenario's results are then DIR/NAME.out, .err and .status
 * (NAME: its file name without .scn): runner_batch_read. */
void runner_batch(enum runner which, char *const *scns, size_t n, const char *outdir);
/* Two linux-runner --out-dir runs at once: a[0..na) into outa and
 * b[0..nb) into outb. */
void runner_batch_pair(char *const *a, size_t na, const char *outa, char *const *b, size_t nb,
		       const char *outb);
/* One scenario's results from runner_batch's outdir into r (status -1
 * and a note on err if it did not run). */
void runner_batch_read(const char *outdir, const char *scn, struct run *r);
/* scengen (v2: 0 version 1, 1 --v2, 2 --v2 --one-process) --out-dir dir:
 * dir/sSEED.scn for the count seeds from first, nops operations each. */
void scengen_batch(const char *dir, unsigned v2, unsigned first, unsigned count, unsigned nops);
/* outdir/NAME.suffix for scn into buf. */
void batch_result_path(const char *outdir, const char *scn, const char *suffix, char *buf,
		       size_t size);

/* The version-1 corpus (every runner speaks it) and the version-2 corpus
 * (only linux-runner speaks it for now: the guest does not). */
#define CORPUS_V1 "tests/scenarios"
#define CORPUS_V2 "tests/scenarios/v2"

/* A corpus: sorted malloc'ed paths of the .scn files directly in the source
 * folder rel (not in its subfolders). */
char **corpus_list(const char *rel, size_t *n);
void corpus_free(char **list, size_t n);
/* The exit status a scenario file declares with a "# exit: N" line (0 if none). */
int corpus_expected_exit(const char *text);

/* Run every file of corpus rel (at least min of them) through a runner and
 * compare with its .out file and declared exit status (Criterion
 * expectations, a diff for each mismatch). */
void check_corpus(enum runner which, const char *rel, size_t min);
/* Run the spec's two examples through a runner, compare with the spec. */
void check_spec_examples(enum runner which);

#endif
