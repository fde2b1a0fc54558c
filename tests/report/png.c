/*
 * A small PNG reader for the report tests (browser.h): 8-bit RGB or RGBA,
 * not interlaced (what Chromium's --screenshot writes), inflated with zlib
 * and unfiltered, to count colours and non-white pixels.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "tests/report/browser.h"

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n > 0 ? (size_t)n : 1);
	*len = buf && n > 0 ? fread(buf, 1, (size_t)n, f) : 0;
	fclose(f);
	return buf;
}

/* Concatenate the IDAT chunks; read IHDR.  The zlib data, malloc'ed. */
static unsigned char *idat(const unsigned char *p, size_t len, struct png_stats *st,
			   unsigned *bpp, size_t *zlen)
{
	unsigned char *z = malloc(len);
	size_t off = 8;

	*zlen = 0;
	if (!z || len < 8 || memcmp(p, "\x89PNG\r\n\x1a\n", 8) != 0) {
		free(z);
		return NULL;
	}
	while (off + 12 <= len) {
		uint32_t n = be32(p + off);
		const unsigned char *type = p + off + 4, *data = p + off + 8;
		if (n > len - off - 12)
			break;
		if (!memcmp(type, "IHDR", 4) && n >= 13) {
			st->width = be32(data);
			st->height = be32(data + 4);
			*bpp = data[9] == 6 ? 4 : data[9] == 2 ? 3 : 0;
			if (data[8] != 8 || data[12] != 0)
				*bpp = 0;
		} else if (!memcmp(type, "IDAT", 4)) {
			memcpy(z + *zlen, data, n);
			*zlen += n;
		}
		off += 12 + n;
	}
	return z;
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undo the per-row filters in place; rows of 1 + stride bytes. */
static int unfilter(unsigned char *raw, unsigned h, size_t stride, unsigned bpp)
{
	for (unsigned y = 0; y < h; y++) {
		unsigned char *row = raw + y * (stride + 1), *cur = row + 1;
		const unsigned char *up = y ? cur - (stride + 1) : NULL;
		for (size_t i = 0; i < stride; i++) {
			int a = i >= bpp ? cur[i - bpp] : 0, b = up ? up[i] : 0;
			int c = up && i >= bpp ? up[i - bpp] : 0;
			switch (row[0]) {
			case 0: break;
			case 1: cur[i] += a; break;
			case 2: cur[i] += b; break;
			case 3: cur[i] += (a + b) / 2; break;
			case 4: cur[i] += paeth(a, b, c); break;
			default: return -1;
			}
		}
	}
	return 0;
}

/* Add colour c to the set (open addressing; 0 = empty slot). */
static void see(uint32_t *set, unsigned *n, uint32_t c)
{
	unsigned i = (c * 2654435761u) >> 19;     /* 13 bits: 8192 slots */

	c += 1;
	while (set[i] && set[i] != c)
		i = (i + 1) & 8191;
	if (!set[i] && *n < 4096) {
		set[i] = c;
		(*n)++;
	}
}

static void count(const unsigned char *raw, size_t stride, unsigned bpp, struct png_stats *st)
{
	uint32_t *set = calloc(8192, sizeof(*set));
	size_t white = 0, total = (size_t)st->width * st->height;

	st->colors = 0;
	for (unsigned y = 0; set && y < st->height; y++) {
		const unsigned char *px = raw + y * (stride + 1) + 1;
		for (unsigned x = 0; x < st->width; x++, px += bpp) {
			if (px[0] > 240 && px[1] > 240 && px[2] > 240)
				white++;
			see(set, &st->colors, (uint32_t)px[0] << 16 | (uint32_t)px[1] << 8 | px[2]);
		}
	}
	free(set);
	st->nonwhite = total ? 1.0 - (double)white / (double)total : 0;
}

int png_read_stats(const char *path, struct png_stats *st)
{
	size_t len = 0, zlen, stride;
	unsigned bpp = 0;
	unsigned char *file = read_file(path, &len), *z, *raw = NULL;
	uLongf rawlen;
	int r = -1;

	memset(st, 0, sizeof *st);
	if (!file)
		return -1;
	z = idat(file, len, st, &bpp, &zlen);
	if (z && bpp && st->width && st->height && st->width < 20000 && st->height < 20000) {
		stride = (size_t)st->width * bpp;
		rawlen = (uLongf)((stride + 1) * st->height);
		raw = malloc(rawlen);
		if (raw && uncompress(raw, &rawlen, z, zlen) == Z_OK &&
		    rawlen == (stride + 1) * st->height && unfilter(raw, st->height, stride, bpp) == 0) {
			count(raw, stride, bpp, st);
			r = 0;
		}
	}
	free(raw);
	free(z);
	free(file);
	return r;
}
