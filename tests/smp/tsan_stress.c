/*
 * The SMP stress workload (stress_ops.h) as a plain program, for the
 * ThreadSanitizer build (build-tsan, ctest smp_stress_tsan): Criterion's
 * arena cannot start under TSan.  It boots STRESS_THREADS CPUs with the
 * TLB-coherence log on, runs the workload, then wants every request
 * answered, the invariant checker and the TLB-coherence checker clean and
 * both address spaces destroyed.  TSan itself fails the run (exit 66) on
 * a data race in the host.
 *   tsan_stress GUEST_ELF
 */
#include <stdio.h>
#include <string.h>

#include "shared/channel.h"
#include "tests/smp/stress_ops.h"
#include "vmm/inspect/icmd.h"
#include "vmm/tlbcheck/vm_tlbcheck.h"

static int fail(struct vm *vm, const char *what)
{
	fprintf(stderr, "tsan_stress: %s%s%s\n", what, vm && vm_failure(vm) ? ": " : "",
		vm && vm_failure(vm) ? vm_failure(vm) : "");
	vm_destroy(vm);
	return 1;
}

static int64_t req(struct vm *vm, unsigned cpu, struct chan_slot *s)
{
	return vm_request_on(vm, cpu, s, 1) == 0 ? s->result : INT64_MIN;
}

/* Two mms with the shared window mapped read-write. */
static int setup(struct stress *st)
{
	for (unsigned m = 0; m < 2; m++) {
		struct chan_slot c = { .op = OP_MM_CREATE };
		if (req(st->vm, m, &c) != 0 || c.mm_create.id == 0)
			return -1;
		st->mms[m] = c.mm_create.id;
		struct chan_slot s = { .op = OP_MMAP, .mm = st->mms[m],
				       .mmap = { .addr = STRESS_WIN, .len = STRESS_PAGES * 0x1000ULL,
						 .prot = PROT_READ_ABI | PROT_WRITE_ABI,
						 .flags = MMAP_F_FIXED } };
		if (req(st->vm, 0, &s) != (int64_t)STRESS_WIN)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct stress st;
	char err[512], msg[256];

	if (argc != 2) {
		fprintf(stderr, "usage: tsan_stress GUEST_ELF\n");
		return 2;
	}
	struct vm_config cfg = { .guest_path = argv[1], .nr_cpus = STRESS_THREADS, .quiet = true,
				 .tlblog = true };
	if (vm_create(&cfg, &st.vm, err, sizeof err) != 0) {
		fprintf(stderr, "tsan_stress: booting %s: %s\n", argv[1], err);
		vm_destroy(st.vm);
		return 1;
	}
	if (setup(&st) != 0)
		return fail(st.vm, "cannot set up the address spaces");
	if (stress_run(&st) != 0)
		return fail(st.vm, "cannot start the threads");
	if (atomic_load(&st.failures) != 0)
		return fail(st.vm, "requests unanswered or wrong");

	struct check_report rep;
	struct gmem g = vm_gmem(st.vm);
	long v = icmd_run_checker(&g, &rep, msg, sizeof msg);
	check_report_free(&rep);
	if (v != 0)
		return fail(st.vm, "the invariant checker found violations");
	struct tlbcheck_counts tc;
	if (vm_tlbcheck(st.vm, msg, sizeof msg, &tc) != TLBV_CLEAN) {
		fprintf(stderr, "tsan_stress: %s\n", msg);
		return fail(st.vm, "the TLB-coherence checker is not clean");
	}
	for (unsigned m = 0; m < 2; m++) {
		struct chan_slot d = { .op = OP_MM_DESTROY, .mm = st.mms[m] };
		if (req(st.vm, 3 - m, &d) != 0)
			return fail(st.vm, "cannot destroy an address space");
	}
	printf("tsan_stress: %u threads x %u requests, %lu TLB events replayed: clean\n",
	       STRESS_THREADS, STRESS_OPS, (unsigned long)tc.events);
	vm_destroy(st.vm);
	return 0;
}
