/* bench-fork's architecture under the host-compiled guest mm (bench_arch.c). */
#ifndef TOOLS_BENCH_FORK_BENCH_ARCH_H
#define TOOLS_BENCH_FORK_BENCH_ARCH_H

#include <stdint.h>

#include "tools/bench-fork/bench_ram.h"

#define BENCH_RAM_SIZE (256ULL << 20)

/* Fresh RAM and mm_init. */
void bench_arch_init(void);

#endif
