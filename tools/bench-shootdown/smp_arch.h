/* bench-shootdown's simulated CPUs under the guest mm (smp_arch.c). */
#ifndef TOOLS_BENCH_SHOOTDOWN_SMP_ARCH_H
#define TOOLS_BENCH_SHOOTDOWN_SMP_ARCH_H

#include <stdint.h>

#define SMP_BENCH_RAM  (64ULL << 20)
#define SMP_BENCH_CPUS 8
/* mm_host_cpu while the simulation's own code runs: attributed to nobody. */
#define SMP_NOBODY     99

/* The simulated CPU running (stepcount_who). */
extern unsigned mm_host_cpu;

/* Fresh RAM, mm_init, every fake CPU online (CPU 0 runs). */
void smp_arch_init(void);
/* Run as CPU cpu from now on (its per-CPU area in GS). */
void smp_run_as(unsigned cpu);
/* The addresses of the simulation's own code (stepcount_skip_lo/hi). */
void smp_sim_range(uint64_t *lo, uint64_t *hi);

#endif
