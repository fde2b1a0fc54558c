/*
 * Fuzzer bytes consumed as answers (of a fake backend, of a fake guest):
 * each take_* takes the next bytes, or gives 0 and reports exhaustion, so
 * that an answer stream that ran dry means "the default, sane answer".
 */
#ifndef TESTS_FUZZ_FUZZ_BYTES_H
#define TESTS_FUZZ_FUZZ_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fuzz_bytes {
	const uint8_t *p;
	size_t n;
};

/* Next byte into *v: true, or false (and 0) when none is left. */
static inline bool take_u8(struct fuzz_bytes *b, uint8_t *v)
{
	*v = 0;
	if (b->n == 0)
		return false;
	*v = *b->p++;
	b->n--;
	return true;
}

/* Up to len bytes into buf (the rest zero); how many there were. */
static inline size_t take_bytes(struct fuzz_bytes *b, void *buf, size_t len)
{
	size_t k = len < b->n ? len : b->n;

	memset(buf, 0, len);
	memcpy(buf, b->p, k);
	b->p += k;
	b->n -= k;
	return k;
}

static inline uint64_t take_u64(struct fuzz_bytes *b)
{
	uint64_t v;

	take_bytes(b, &v, sizeof v);
	return v;
}

/* Split an input "u16 length, that many bytes, the rest" (the length is
 * clamped to what there is): *head and *tail. */
static inline void split_u16(const uint8_t *data, size_t len, struct fuzz_bytes *head,
			     struct fuzz_bytes *tail)
{
	size_t n = len >= 2 ? (size_t)(data[0] | data[1] << 8) : 0;
	size_t skip = len >= 2 ? 2 : len;

	if (n > len - skip)
		n = len - skip;
	*head = (struct fuzz_bytes){ data + skip, n };
	*tail = (struct fuzz_bytes){ data + skip + n, len - skip - n };
}

#endif
