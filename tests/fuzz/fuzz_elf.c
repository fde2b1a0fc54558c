/*
 * libFuzzer target: the guest kernel ELF loader (vmm/elf_load.c) on
 * arbitrary files.  The input is written to a memory file and loaded, by
 * its /proc/self/fd path, into a small RAM buffer, then checked against a
 * tiny RAM.  The loader must answer 0 or -errno with one message, never
 * crash, and never write outside the segments it accepted (ASan watches
 * the buffer's edges).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/elf_load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define RAM_SIZE (4u << 20)   /* the test images load at 2 MiB */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static int fd = -1;
	static char path[64];
	static uint8_t *ram;
	struct elf_image img;
	char err[512];

	if (fd < 0) {
		fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
		ram = malloc(RAM_SIZE);
		if (fd < 0 || !ram)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, len, 0) != (ssize_t)len)
		abort();
	int r = elf_load(path, ram, RAM_SIZE, &img, err, sizeof err);
	/* The contract: 0, or -errno with a message naming the file. */
	if (r > 0 || (r < 0 && strncmp(err, path, strlen(path)) != 0))
		abort();
	elf_check(path, 1u << 20, &img, err, sizeof err);
	elf_check(path, UINT64_MAX & ~0xfffULL, NULL, NULL, 0);
	return 0;
}
