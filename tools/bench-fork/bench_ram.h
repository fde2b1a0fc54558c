/*
 * What the benchmarks' architectures under the host-built guest mm share,
 * whatever their CPUs (bench_ram.c): RAM is host memory, CR3 loads and
 * frame discards do nothing (the host's work, not the guest's), a panic
 * aborts.  bench-fork and bench-vmafam (bench_arch.c, one CPU) and
 * bench-shootdown (smp_arch.c, several) use it.
 */
#ifndef TOOLS_BENCH_FORK_BENCH_RAM_H
#define TOOLS_BENCH_FORK_BENCH_RAM_H

#include <stdint.h>

extern uint8_t *bench_ram;

/* Fresh RAM of size bytes (a kernel PML4 at 4 KiB, free frames from
 * 2 MiB), then mm_init on it, as the running CPU; name prefixes a panic's
 * message. */
void bench_ram_init(uint64_t size, const char *name);

#endif
