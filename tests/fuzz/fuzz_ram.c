/*
 * Guest RAM from fuzzer bytes: see fuzz_ram.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_ram.h"

static uint8_t *ram;

struct gmem fuzz_ram(void)
{
	if (!ram && !(ram = aligned_alloc(4096, FUZZ_RAM_SIZE)))
		abort();
	return (struct gmem){ .ram = ram, .size = FUZZ_RAM_SIZE };
}

size_t fuzz_ram_fill(const uint8_t *data, size_t len)
{
	struct gmem g = fuzz_ram();
	size_t tab = FUZZ_TABLE_BYTES, n;

	memset(g.ram, 0, g.size);
	n = len < tab ? len : tab;
	memcpy(g.ram + MM_TABLE_GPA, data, n);
	/* A busy seq makes every reader wait for its timeout: that is the
	 * seqlock's business, not the readers', and would only slow fuzzing
	 * down. */
	((struct mm_table *)(void *)(g.ram + MM_TABLE_GPA))->seq &= ~MM_SEQ_WRITERS;
	if (len == n)
		return n;
	size_t rest = len - n;
	if (rest > g.size - FUZZ_DATA_GPA)
		rest = g.size - FUZZ_DATA_GPA;
	memcpy(g.ram + FUZZ_DATA_GPA, data + n, rest);
	return n + rest;
}

int fuzz_ram_save(const struct gmem *g, FILE *f)
{
	size_t end = g->size < FUZZ_RAM_SIZE ? g->size : FUZZ_RAM_SIZE;

	while (end > FUZZ_DATA_GPA && g->ram[end - 1] == 0)
		end--;
	fwrite(g->ram + MM_TABLE_GPA, 1, FUZZ_TABLE_BYTES, f);
	fwrite(g->ram + FUZZ_DATA_GPA, 1, end - FUZZ_DATA_GPA, f);
	return ferror(f) ? -1 : 0;
}
