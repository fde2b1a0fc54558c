/*
 * What the discard_bad test guest leaves at CHANNEL_GPA + CHANNEL_DATA_OFFSET
 * for the test (tests/vm/) to read after HC_READY.
 */
#ifndef TESTS_GUESTS_DISCARD_RESULT_H
#define TESTS_GUESTS_DISCARD_RESULT_H

#include <stdint.h>

#define DISCARD_RESULT_MAGIC 0x4452414353494444ULL /* "DDISCARD" */

struct discard_result {
	uint64_t magic;
	int64_t ret_bad;          /* HC_DISCARD of only refusable frames: want -1 */
	int64_t ret_mixed;        /* one good frame and one refusable: want -1 */
	int64_t ret_good;         /* two good frames: want 0 */
	int64_t ret_empty;        /* count 0: want 0 */
	uint64_t reserved_intact; /* marker in a host-reserved frame survived */
	uint64_t pml4_intact;     /* the boot PML4 survived (we are still running) */
	uint64_t kernel_intact;   /* marker in an image .data frame survived */
	uint64_t unaligned_intact;/* frame named with an unaligned address survived */
	uint64_t mixed_zeroed;    /* the good frame of the mixed call reads zero */
	uint64_t good_zeroed;     /* both frames of the good call read zero */
	uint64_t kernel_frame;    /* guest-physical address of the .data frame */
	uint64_t reserved_frame;  /* guest-physical address of the reserved frame */
	uint64_t good_frame;      /* first frame of the good call */
};

#endif
