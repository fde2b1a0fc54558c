/*
 * What scengen's generators share (scengen.c: version 1 and the program;
 * scengen_v2.c and v2_model.c: version 2): the random number generator,
 * the number printer and the collision windows.
 */
#ifndef TOOLS_SCENGEN_SCENGEN_H
#define TOOLS_SCENGEN_SCENGEN_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE            0x1000ULL
#define TASK_SIZE_4L    0x7ffffffff000ULL
#define WINDOW_PAGES    32            /* pages of one collision window */
#define NR_WINDOWS      5

/* Start of each collision window, ascending: half of it below the boundary
 * it straddles (2 MiB, 1 GiB, 512 GiB). */
extern const uint64_t windows[NR_WINDOWS];

/* splitmix64 state: the seed. */
extern uint64_t rng_state;
/* The next 64 random bits. */
uint64_t rng_next(void);
/* Uniform in [0, n) (n > 0). */
uint64_t rng_below(uint64_t n);
/* True with the given percentage. */
int chance(unsigned percent);
/* Print " NUMBER" in one of the forms the language accepts. */
void put_num(uint64_t v);

/* Print a version-2 scenario of nops lines for seed (rng_state is set). */
/* A version-2 scenario; one_process: no fork, process, exit or
 * expect shared|exclusive lines. */
void scengen_v2(unsigned long long seed, unsigned long long nops, bool one_process);

#endif
