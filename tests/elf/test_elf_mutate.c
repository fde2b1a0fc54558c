/* Randomly corrupted images never crash the loader and never make it write
 * outside RAM; a failure always comes with one "PATH: ..." message. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_builder.h"
#include "vmm/elf_load.h"

#define RAM_SIZE (16ULL << 20)
#define ROUNDS   3000

TestSuite(elf_mutate, .init = telf_setup, .fini = telf_teardown);

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Overwrite one byte, or one 8-byte field with an extreme value, inside the
 * headers and note (the first 0x220 bytes), or cut the file short. */
static void mutate(struct telf *t)
{
	static const uint64_t extremes[] = { 0, 1, 0xfff, 0x100000, 0x7fffffff,
		0x80000000, 0xffffffff, UINT64_MAX, UINT64_MAX - 0xfff,
		KERNEL_VIRT_BASE, 1ULL << 63 };
	switch (rng() % 4) {
	case 0:
	case 1:
		t->buf[rng() % (TELF_NOTE_OFF + TELF_NOTE_SIZE)] = (uint8_t)rng();
		break;
	case 2: {
		uint64_t v = extremes[rng() % (sizeof(extremes) / sizeof(extremes[0]))];
		memcpy(t->buf + (rng() % ((TELF_NOTE_OFF + TELF_NOTE_SIZE) / 8)) * 8, &v, 8);
		break;
	}
	default:
		t->size = rng() % TELF_FILE_SIZE;
		break;
	}
}

Test(elf_mutate, corrupted_images_fail_cleanly)
{
	uint8_t *ram = malloc(RAM_SIZE + 2 * 4096);
	cr_assert_not_null(ram);
	memset(ram, 0x5a, RAM_SIZE + 2 * 4096);
	uint8_t *guest = ram + 4096;          /* guard bytes on both sides */
	unsigned ok = 0;
	for (unsigned i = 0; i < ROUNDS; i++) {
		struct telf t;
		telf_init(&t);
		unsigned n = 1 + (unsigned)(rng() % 3);
		for (unsigned k = 0; k < n; k++)
			mutate(&t);
		const char *path = telf_write(&t, "m.elf");
		char err[512] = "";
		int rc = elf_load(path, guest, RAM_SIZE, NULL, err, sizeof(err));
		if (rc == 0) {
			ok++;
			continue;
		}
		cr_assert_eq(rc, -ENOEXEC, "round %u: rc %d", i, rc);
		size_t len = strlen(path);
		cr_assert(strncmp(err, path, len) == 0 && err[len] == ':' && strlen(err) > len + 2,
			  "round %u: bad message \"%s\"", i, err);
	}
	for (size_t g = 0; g < 4096; g++) {
		cr_assert_eq(ram[g], 0x5a, "wrote below RAM");
		cr_assert_eq(ram[4096 + RAM_SIZE + g], 0x5a, "wrote above RAM");
	}
	cr_log_info("%u of %u corrupted images still loaded", ok, ROUNDS);
	free(ram);
}
