/*
 * bench-channel: how fast the guest boots and how fast the request channel
 * answers, on this machine, against the targets of the project.
 *
 *   1. start -> ready: fork + vm_create until the guest's HC_READY, in a
 *      fresh child each run; and the whole vmm process, from posix_spawn
 *      until the guest's "ready" console line reaches us on its stderr
 *      (and until it exits, with stdin at end of file);
 *   2. no-op round trip: vm_request(OP_NOP), one request per doorbell;
 *   3. 64 OP_NOPs per doorbell: per request, and the channel overhead of
 *      one more request in a batch, (batch64 - single) / 63;
 *   4. guest ring-0 instructions per no-op request (vm_insn_count deltas):
 *      on kvm_pvm every one of them is emulated;
 *   5. what one emulated ring-0 instruction costs here: the boot time of
 *      the test guest spin_1m (2,000,000 instructions of `dec; jnz` before
 *      ready) minus that of spin_0, divided by the instruction difference.
 *
 * 2 and 3 run twice: as the scheduler places the threads, and with the
 * calling thread and the vCPU thread pinned to different CPUs (vm_request
 * busy-polls for the responses; on the same CPU the poller and the vCPU
 * take turns).
 *
 * Prints a Markdown table (measured vs target) and the command line that
 * reproduces it.  See docs/benchmarks.md.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shared/channel.h"
#include "tools/bench/bench_channel_opts.h"
#include "vmm/vm.h"

extern char **environ;

#define TARGET_READY_MS     20.0
#define TARGET_NOP_US       40.0
#define TARGET_OVERHEAD_US  2.0
#define BATCH               64

struct stats {
	double median, min, max;
	unsigned n;
};

/* Channel figures of one VM. */
struct chan_result {
	struct stats single;      /* us per vm_request(OP_NOP) */
	struct stats batch;       /* us per vm_request_batch of BATCH no-ops */
	double overhead;          /* us, (batch - single) / (BATCH - 1) */
	double insn_single;       /* emulated instructions per no-op */
	double insn_batch;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v. */
static struct stats stats_of(double *v, unsigned n)
{
	struct stats s = { 0 };

	if (!n)
		return s;
	qsort(v, n, sizeof(*v), cmp_double);
	s.n = n;
	s.min = v[0];
	s.max = v[n - 1];
	s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	return s;
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "bench-channel: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("%s", "out of memory");
	return p;
}

/* What a forked child reports about its boot. */
struct boot_sample {
	double ready_us;          /* CLOCK_MONOTONIC when vm_create returned */
	int64_t insns;            /* emulated guest instructions until then */
	int status;
};

/* fork + vm_create -> ready, in a fresh child: ms, or -1. */
static double boot_in_child(const char *guest, int64_t *insns)
{
	int fds[2];
	struct boot_sample bs = { .status = -1 };

	if (pipe(fds))
		die("pipe: %s", strerror(errno));
	double t0 = now_us();
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		struct vm_config cfg = { .guest_path = guest, .quiet = true };
		struct vm *vm;
		char err[512];
		close(fds[0]);
		bs.status = vm_create(&cfg, &vm, err, sizeof(err));
		bs.ready_us = now_us();
		bs.insns = bs.status == 0 ? vm_insn_count(vm) : -1;
		if (bs.status != 0)
			fprintf(stderr, "bench-channel: %s\n", err);
		if (write(fds[1], &bs, sizeof(bs)) != sizeof(bs))
			_exit(1);
		vm_destroy(vm);
		_exit(0);
	}
	close(fds[1]);
	ssize_t n = read(fds[0], &bs, sizeof(bs));
	close(fds[0]);
	waitpid(pid, NULL, 0);
	if (n != sizeof(bs) || bs.status != 0)
		return -1;
	*insns = bs.insns;
	return (bs.ready_us - t0) / 1e3;
}

/* posix_spawn("vmm GUEST" </dev/null): ms until its stderr carries the
 * guest's "ready" line (*ready_ms, -1 if never) and until it exits. */
static double spawn_vmm(const struct opts *o, double *ready_ms)
{
	int errp[2];
	char *argv[] = { (char *)o->vmm, (char *)o->guest, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;

	if (pipe(errp))
		die("pipe: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawn_file_actions_addclose(&fa, errp[0]);
	double t0 = now_us();
	int r = posix_spawn(&pid, o->vmm, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(errp[1]);
	if (r)
		die("cannot run vmm: %s", strerror(r));

	char buf[4096];
	size_t len = 0;
	ssize_t n;
	*ready_ms = -1;
	while ((n = read(errp[0], buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += (size_t)n;
		buf[len] = 0;
		if (*ready_ms < 0 && strstr(buf, "ready\n"))
			*ready_ms = (now_us() - t0) / 1e3;
		if (len > sizeof(buf) / 2) {        /* keep the tail only */
			memmove(buf, buf + len - 64, 64);
			len = 64;
		}
	}
	close(errp[0]);
	int ws;
	waitpid(pid, &ws, 0);
	double end = (now_us() - t0) / 1e3;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		die("vmm exited abnormally running %s", o->guest);
	return end;
}

/* Median ms of fork + vm_create of path over runs (<= 16), and its
 * instruction count. */
static double boot_median(const char *path, unsigned runs, int64_t *insns)
{
	double v[16];

	if (runs > 16)
		runs = 16;
	for (unsigned i = 0; i < runs; i++)
		if ((v[i] = boot_in_child(path, insns)) < 0)
			return -1;
	return stats_of(v, runs).median;
}

/* Cost of one emulated ring-0 instruction in us, from the spin guests, or
 * -1 if they are not there. */
static double insn_cost_us(const char *dir)
{
	char p0[4096], p1[4096];
	int64_t n0 = -1, n1 = -1;

	snprintf(p0, sizeof(p0), "%s/spin_0.elf", dir);
	snprintf(p1, sizeof(p1), "%s/spin_1m.elf", dir);
	if (access(p0, R_OK) || access(p1, R_OK))
		return -1;
	double t0 = boot_median(p0, 5, &n0), t1 = boot_median(p1, 3, &n1);
	if (t0 < 0 || t1 < 0 || n0 < 0 || n1 <= n0)
		return -1;
	return (t1 - t0) * 1e3 / (double)(n1 - n0);
}

/* Pin this thread to CPU 0 and every other thread of the process (the
 * vCPU thread) to CPU 1.  False if there are fewer than two CPUs. */
static bool pin_apart(void)
{
	pid_t self = gettid();
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || !d) {
		if (d)
			closedir(d);
		return false;
	}
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		cpu_set_t set;
		if (tid <= 0)
			continue;
		CPU_ZERO(&set);
		CPU_SET(tid == self ? 0 : 1, &set);
		sched_setaffinity(tid, sizeof(set), &set);
	}
	closedir(d);
	return true;
}

static void unpin(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (long i = 0; i < sysconf(_SC_NPROCESSORS_ONLN) && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Round trips of single no-ops and of batches on a fresh VM. */
/* One no-op request: 0, or nonzero if it failed or answered something else. */
static int nop(struct vm *vm)
{
	struct chan_slot s = { .op = OP_NOP };
	int r = vm_request(vm, &s);
	return r ? r : s.result != 0;
}

static int run_channel(const struct opts *o, bool pin, struct chan_result *res)
{
	struct vm_config cfg = { .guest_path = o->guest, .quiet = true };
	struct vm *vm;
	char err[512];

	if (vm_create(&cfg, &vm, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench-channel: %s\n", err);
		if (vm)
			vm_report_failure(vm, stderr);
		vm_destroy(vm);
		return -1;
	}
	if (pin && !pin_apart()) {
		vm_destroy(vm);
		return -1;
	}
	for (unsigned i = 0; i < 200; i++)              /* warm up */
		if (nop(vm) != 0)
			die("warm-up failed: %s", vm_failure(vm));

	double *single = xcalloc(o->calls, sizeof(double));
	double *batch = xcalloc(o->batches, sizeof(double));
	int64_t i0 = vm_insn_count(vm);
	for (unsigned i = 0; i < o->calls; i++) {
		double t = now_us();
		if (nop(vm) != 0)
			die("no-op failed: %s", vm_failure(vm) ? vm_failure(vm) : "bad result");
		single[i] = now_us() - t;
	}
	int64_t i1 = vm_insn_count(vm);
	struct chan_slot reqs[BATCH];
	for (unsigned b = 0; b < o->batches; b++) {
		memset(reqs, 0, sizeof(reqs));
		double t = now_us();
		if (vm_request_batch(vm, reqs, BATCH) != 0)
			die("batch failed: %s", vm_failure(vm));
		batch[b] = now_us() - t;
		for (unsigned k = 0; k < BATCH; k++)
			if (reqs[k].result != 0)
				die("%s", "a no-op in a batch did not return 0");
	}
	int64_t i2 = vm_insn_count(vm);
	vm_destroy(vm);
	if (pin)
		unpin();

	res->single = stats_of(single, o->calls);
	res->batch = stats_of(batch, o->batches);
	res->overhead = (res->batch.median - res->single.median) / (BATCH - 1);
	res->insn_single = i0 >= 0 ? (double)(i1 - i0) / o->calls : -1;
	res->insn_batch = i0 >= 0 ? (double)(i2 - i1) / ((double)o->batches * BATCH) : -1;
	free(single);
	free(batch);
	return 0;
}

static const char *verdict(double v, double target)
{
	return v <= target ? "ok" : "MISSED";
}

static void print_channel(const struct chan_result *r, const char *how)
{
	printf("| no-op round trip, 1 request per doorbell, %s (%u calls) | %.1f us | %.1f us | %.1f us | <= %.0f us | %s |\n",
	       how, r->single.n, r->single.median, r->single.min, r->single.max, TARGET_NOP_US,
	       verdict(r->single.median, TARGET_NOP_US));
	printf("| per request, %d no-ops per doorbell, %s (%u batches) | %.2f us | %.2f us | %.2f us | - | |\n",
	       BATCH, how, r->batch.n, r->batch.median / BATCH, r->batch.min / BATCH,
	       r->batch.max / BATCH);
	printf("| channel overhead per request, (batch%d - single) / %d, %s | %.2f us | | | <= %.0f us | %s |\n",
	       BATCH, BATCH - 1, how, r->overhead, TARGET_OVERHEAD_US,
	       verdict(r->overhead, TARGET_OVERHEAD_US));
}

/* Parts 1 (start -> ready: fork, spawn to ready, spawn to exit) and 5. */
struct boot_result {
	struct stats boot, sready, sexit;
	unsigned nready;
	int64_t insns;                /* guest ring-0 instructions from entry to ready */
	double insn_us;               /* one emulated instruction, or <= 0 if unknown */
};

/* 1. start -> ready, before this process owns any VM or thread; and 5. */
static void measure_boot(const struct opts *o, struct boot_result *b)
{
	double *boot = xcalloc(o->runs, sizeof(double)), *spawn_ready = xcalloc(o->runs, sizeof(double));
	double *spawn_exit = xcalloc(o->runs, sizeof(double));

	b->insns = -1;
	b->nready = 0;
	for (unsigned i = 0; i < o->runs; i++)
		if ((boot[i] = boot_in_child(o->guest, &b->insns)) < 0)
			die("cannot boot %s", o->guest);
	for (unsigned i = 0; i < o->runs; i++) {
		double r;
		spawn_exit[i] = spawn_vmm(o, &r);
		if (r >= 0)
			spawn_ready[b->nready++] = r;
	}
	b->insn_us = insn_cost_us(o->spin_dir);
	b->boot = stats_of(boot, o->runs);
	b->sready = stats_of(spawn_ready, b->nready);
	b->sexit = stats_of(spawn_exit, o->runs);
	free(boot);
	free(spawn_ready);
	free(spawn_exit);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct boot_result b;
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r == 1 ? 0 : 2;
	char loadavg[64] = "?";
	FILE *la = fopen("/proc/loadavg", "r");
	if (la) {
		if (fgets(loadavg, sizeof(loadavg), la))
			loadavg[strcspn(loadavg, " ")] = 0;   /* the 1-minute figure */
		fclose(la);
	}
	measure_boot(&o, &b);
	/* 2-4. The channel, in this process. */
	struct chan_result free_run, pinned;
	if (run_channel(&o, false, &free_run))
		return 1;
	bool have_pinned = run_channel(&o, true, &pinned) == 0;

	printf("command: %s --guest %s --vmm %s --spin-dir %s --runs %u --calls %u --batches %u\n",
	       argv[0], o.guest, o.vmm, o.spin_dir, o.runs, o.calls, o.batches);
	printf("machine: %ld CPUs online, load average %s at start\n",
	       sysconf(_SC_NPROCESSORS_ONLN), loadavg);
	printf("\n| measurement | median | min | max | target | |\n");
	printf("|---|---:|---:|---:|---:|---|\n");
	printf("| start -> ready: fork + `vm_create` until HC_READY (%u runs) | %.2f ms | %.2f ms | %.2f ms | <= %.0f ms | %s |\n",
	       b.boot.n, b.boot.median, b.boot.min, b.boot.max, TARGET_READY_MS,
	       verdict(b.boot.median, TARGET_READY_MS));
	if (b.nready)
		printf("| start -> ready: spawn `vmm GUEST` until its ready console line (%u runs) | %.2f ms | %.2f ms | %.2f ms | <= %.0f ms | %s |\n",
		       b.sready.n, b.sready.median, b.sready.min, b.sready.max, TARGET_READY_MS,
		       verdict(b.sready.median, TARGET_READY_MS));
	else
		printf("| start -> ready: spawn `vmm GUEST` (no ready console line seen) | - | - | - | <= %.0f ms | - |\n",
		       TARGET_READY_MS);
	printf("| spawn `vmm GUEST </dev/null` until exit, teardown included (%u runs) | %.2f ms | %.2f ms | %.2f ms | - | |\n",
	       b.sexit.n, b.sexit.median, b.sexit.min, b.sexit.max);
	printf("| guest ring-0 instructions from entry to ready | %lld | | | - | |\n", (long long)b.insns);
	print_channel(&free_run, "threads as scheduled");
	if (have_pinned)
		print_channel(&pinned, "caller and vCPU on different CPUs");
	printf("| guest ring-0 instructions per no-op, 1 per doorbell | %.1f | | | - | |\n", free_run.insn_single);
	printf("| guest ring-0 instructions per no-op, %d per doorbell | %.1f | | | - | |\n", BATCH,
	       free_run.insn_batch);
	if (b.insn_us > 0)
		printf("| one emulated ring-0 instruction (spin_1m - spin_0 boot) | %.3f us | | | - | |\n", b.insn_us);
	else
		printf("| one emulated ring-0 instruction (spin guests not found) | - | | | - | |\n");

	const struct chan_result *m = have_pinned ? &pinned : &free_run;
	double cost = b.insn_us > 0 ? b.insn_us : 0.25;
	printf("\nmodel (%.3f us per emulated instruction, %s; channel figures %s):\n", cost,
	       b.insn_us > 0 ? "measured" : "assumed",
	       have_pinned ? "with the threads on different CPUs" : "as scheduled");
	printf("  boot:   %lld instructions x %.3f us = %.2f ms of the %.2f ms to ready\n",
	       (long long)b.insns, cost, (double)b.insns * cost / 1e3, b.boot.median);
	printf("  single: %.1f instructions x %.3f us = %.1f us of %.1f us; the rest is the doorbell\n"
	       "          (eventfd -> irqfd -> waking the halted vCPU) and the host seeing resp_prod\n",
	       m->insn_single, cost, m->insn_single * cost, m->single.median);
	printf("  batch:  %.1f instructions x %.3f us = %.2f us of the %.2f us overhead per request\n",
	       m->insn_batch, cost, m->insn_batch * cost, m->overhead);
	return 0;
}
