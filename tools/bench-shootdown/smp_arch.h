/* bench-shootdown's simulated CPUs under the host-compiled guest mm (smp_arch.c). */
#ifndef TOOLS_BENCH_SHOOTDOWN_SMP_ARCH_H
#define TOOLS_BENCH_SHOOTDOWN_SMP_ARCH_H

#include <stdint.h>

#define SMP_BENCH_RAM  (64ULL << 20)
#define SMP_BENCH_CPUS 8

extern uint8_t *smp_ram;

/* Fresh RAM, mm_init, every fake CPU online (CPU 0 runs). */
void smp_arch_init(void);

#endif
