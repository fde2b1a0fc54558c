/*
 * Guest RAM made from fuzzer bytes, laid out as the guest publishes its
 * state and as the inspection tests' synthetic memory builds it
 * (tests/inspect/synth.h, synth_init_at): the mm table at MM_TABLE_GPA, the
 * page array at FUZZ_DATA_GPA, then the frames.  An input is the first
 * FUZZ_TABLE_BYTES of the mm table (its header and the first FUZZ_MMS
 * slots), then the bytes from FUZZ_DATA_GPA on; RAM not covered is zero.
 * So a seed is a real published state (tests/fuzz/seedgen.c), and every
 * pointer in it a real address.
 *
 * The RAM is small (512 KiB) and only FUZZ_MMS of the 64 mm slots can be
 * used, because the work of a snapshot grows with both (a walk visits up to
 * RAM frames + 64 tables): the code that reads slot 5 is the code that
 * reads slot 1, and what all 64 slots can make the host allocate is
 * tests/inspect/test_bound.c's business.  The mm table's seq is always
 * made even (a quiet guest: busy guests are tests/inspect/test_snapshot.c's).
 */
#ifndef TESTS_FUZZ_FUZZ_RAM_H
#define TESTS_FUZZ_FUZZ_RAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shared/mm_abi.h"
#include "vmm/gmem.h"

#define FUZZ_RAM_SIZE    0x80000ULL   /* 512 KiB: 128 frames */
#define FUZZ_DATA_GPA    0x60000ULL   /* the page array, then the frames */
#define FUZZ_MMS         4
#define FUZZ_TABLE_BYTES (offsetof(struct mm_table, mms) + FUZZ_MMS * sizeof(struct mm_desc))

/* The RAM (allocated once, FUZZ_RAM_SIZE bytes). */
struct gmem fuzz_ram(void);

/* Zero the RAM and fill it from the len bytes of data as described above;
 * returns how many bytes it took. */
size_t fuzz_ram_fill(const uint8_t *data, size_t len);

/* Write the parts of g (laid out as above, g->size >= FUZZ_DATA_GPA) that
 * fuzz_ram_fill reads, trailing zero bytes dropped, to f (seedgen): 0 or -1. */
int fuzz_ram_save(const struct gmem *g, FILE *f);

#endif
