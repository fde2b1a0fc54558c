/* File-level defects: opening, reading, identification, ELF header, program
 * header table. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_builder.h"
#include "vmm/elf_load.h"

#define RAM_SIZE (16ULL << 20)

TestSuite(elf_file, .init = telf_setup, .fini = telf_teardown);

/* Write t, load it into a fresh RAM buffer, expect phrase in the message. */
static void expect(struct telf *t, const char *name, const char *phrase)
{
	const char *path = telf_write(t, name);
	uint8_t *ram = calloc(1, RAM_SIZE);
	cr_assert_not_null(ram);
	char err[512] = "";
	int rc = elf_load(path, ram, RAM_SIZE, NULL, err, sizeof(err));
	cr_log_info("%s", err);
	telf_expect_fail(rc, err, path, phrase);
	free(ram);
}

Test(elf_file, nonexistent_file)
{
	char path[256], err[512];
	snprintf(path, sizeof(path), "%s/does-not-exist.elf", telf_dir());
	int rc = elf_load(path, (uint8_t[16]){ 0 }, 16, NULL, err, sizeof(err));
	telf_expect_fail_errno(rc, ENOENT, err, path, "cannot open: No such file or directory");
}

Test(elf_file, directory_is_not_a_regular_file)
{
	char err[512];
	int rc = elf_check(telf_dir(), RAM_SIZE, NULL, err, sizeof(err));
	telf_expect_fail_errno(rc, EISDIR, err, telf_dir(), "not a regular file");
}

Test(elf_file, empty_file)
{
	struct telf t;
	telf_init(&t);
	t.size = 0;
	expect(&t, "empty.elf", "empty file");
}

Test(elf_file, not_elf)
{
	static const char text[] = "#!/bin/sh\necho this is not a kernel\n";
	const char *path = telf_write_raw(text, sizeof(text) - 1, "script.sh");
	char err[512];
	int rc = elf_check(path, RAM_SIZE, NULL, err, sizeof(err));
	telf_expect_fail(rc, err, path, "not an ELF file");
}

Test(elf_file, truncated_header)
{
	struct telf t;
	telf_init(&t);
	t.size = 40;
	expect(&t, "trunc-ehdr.elf", "truncated ELF header (40 of 64 bytes)");
}

Test(elf_file, truncated_ident)
{
	struct telf t;
	telf_init(&t);
	t.size = 6;
	expect(&t, "trunc-ident.elf", "truncated ELF header");
}

Test(elf_file, truncated_program_headers)
{
	struct telf t;
	telf_init(&t);
	t.size = sizeof(Elf64_Ehdr) + sizeof(Elf64_Phdr) + 10;
	expect(&t, "trunc-phdr.elf", "truncated program header table");
}

Test(elf_file, program_headers_offset_huge)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_phoff = UINT64_MAX - 8;
	expect(&t, "phoff.elf", "truncated program header table");
}

Test(elf_file, segment_data_past_eof)
{
	struct telf t;
	telf_init(&t);
	t.size = TELF_DATA_OFF + TELF_DATA_FILESZ / 2;
	expect(&t, "trunc-data.elf", "PT_LOAD #1: truncated");
}

Test(elf_file, segment_offset_wraps)
{
	struct telf t;
	telf_init(&t);
	t.ph[1].p_offset = UINT64_MAX - 0x10;
	expect(&t, "offset-wrap.elf", "past end of file");
}

Test(elf_file, elfclass32)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_ident[EI_CLASS] = ELFCLASS32;
	expect(&t, "class32.elf", "is not ELF64 (EI_CLASS ELFCLASS32");
}

Test(elf_file, big_endian)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_ident[EI_DATA] = ELFDATA2MSB;
	expect(&t, "msb.elf", "is not little-endian");
}

Test(elf_file, wrong_machine)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_machine = EM_AARCH64;
	expect(&t, "arm64.elf", "is not x86-64 (e_machine 183)");
}

Test(elf_file, et_dyn)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_type = ET_DYN;
	expect(&t, "pie.elf", "is ET_DYN (position-independent); a kernel must be ET_EXEC");
}

Test(elf_file, et_rel)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_type = ET_REL;
	expect(&t, "object.o", "is ET_REL");
}

Test(elf_file, bad_phentsize)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_phentsize = 32;
	expect(&t, "phentsize.elf", "bad e_phentsize 32");
}

Test(elf_file, truncated_section_headers)
{
	struct telf t;
	telf_init(&t);
	telf_add_note_section(&t);
	t.eh->e_shoff = TELF_FILE_SIZE - 8;
	expect(&t, "trunc-shdr.elf", "section header table");
}

Test(elf_file, no_program_headers)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_phnum = 0;
	expect(&t, "nophdr.elf", "has no PT_LOAD segment");
}

Test(elf_file, no_pt_load)
{
	struct telf t;
	telf_init(&t);
	t.ph[0].p_type = PT_NULL;
	t.ph[1].p_type = PT_NULL;
	expect(&t, "noload.elf", "has no PT_LOAD segment");
}

Test(elf_file, unknown_elf_version)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_ident[EI_VERSION] = 2;
	expect(&t, "version.elf", "unknown ELF version 2");
}
