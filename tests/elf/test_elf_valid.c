/* The loader accepts a valid minimal kernel and copies it correctly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elf_builder.h"
#include "shared/abi.h"
#include "vmm/elf_load.h"

#define RAM_SIZE (16ULL << 20)

TestSuite(elf_valid, .init = telf_setup, .fini = telf_teardown);

static uint8_t *ram_filled(uint8_t byte)
{
	uint8_t *ram = malloc(RAM_SIZE);
	cr_assert_not_null(ram);
	memset(ram, byte, RAM_SIZE);
	return ram;
}

Test(elf_valid, minimal_image_loads)
{
	struct telf t;
	telf_init(&t);
	const char *path = telf_write(&t, "kernel.elf");
	uint8_t *ram = ram_filled(0xaa);
	struct elf_image img;
	char err[256] = "";
	int rc = elf_load(path, ram, RAM_SIZE, &img, err, sizeof(err));
	cr_assert_eq(rc, 0, "load failed: %s", err);
	cr_assert_str_empty(err);
	cr_assert_eq(img.entry, TELF_ENTRY);
	cr_assert_eq(img.kernel_start, TELF_TEXT_PA);
	cr_assert_eq(img.kernel_end, TELF_DATA_PA + TELF_DATA_MEMSZ);
	cr_assert_eq(img.abi_version, VMM_ABI_VERSION);
	/* Bytes copied. */
	cr_assert(memcmp(ram + TELF_TEXT_PA, t.buf + TELF_TEXT_OFF, TELF_TEXT_FILESZ) == 0);
	cr_assert(memcmp(ram + TELF_DATA_PA, t.buf + TELF_DATA_OFF, TELF_DATA_FILESZ) == 0);
	/* bss zeroed. */
	for (uint64_t i = TELF_DATA_FILESZ; i < TELF_DATA_MEMSZ; i++)
		cr_assert_eq(ram[TELF_DATA_PA + i], 0, "bss byte %#llx not zero", (unsigned long long)i);
	/* Nothing else touched: the gap between the segments and both ends. */
	for (uint64_t a = TELF_TEXT_PA + TELF_TEXT_FILESZ; a < TELF_DATA_PA; a++)
		cr_assert_eq(ram[a], 0xaa, "gap byte %#llx written", (unsigned long long)a);
	cr_assert_eq(ram[TELF_TEXT_PA - 1], 0xaa);
	cr_assert_eq(ram[TELF_DATA_PA + TELF_DATA_MEMSZ], 0xaa);
	for (uint64_t a = 0; a < HOST_RESERVED_END; a++)
		cr_assert_eq(ram[a], 0xaa, "reserved byte %#llx written", (unsigned long long)a);
	free(ram);
}

Test(elf_valid, check_only_gives_same_image_without_ram)
{
	struct telf t;
	telf_init(&t);
	const char *path = telf_write(&t, "kernel.elf");
	struct elf_image img;
	char err[256];
	cr_assert_eq(elf_check(path, RAM_SIZE, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img.entry, TELF_ENTRY);
	cr_assert_eq(img.kernel_start, TELF_TEXT_PA);
	cr_assert_eq(img.kernel_end, TELF_DATA_PA + TELF_DATA_MEMSZ);
}

Test(elf_valid, identity_mapped_vaddr_accepted)
{
	struct telf t;
	telf_init(&t);
	t.ph[0].p_vaddr = t.ph[0].p_paddr;
	t.ph[1].p_vaddr = t.ph[1].p_paddr;
	t.eh->e_entry = TELF_TEXT_PA;
	const char *path = telf_write(&t, "identity.elf");
	uint8_t *ram = ram_filled(0);
	struct elf_image img;
	char err[256];
	cr_assert_eq(elf_load(path, ram, RAM_SIZE, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img.entry, TELF_TEXT_PA);
	cr_assert(memcmp(ram + TELF_TEXT_PA, t.buf + TELF_TEXT_OFF, TELF_TEXT_FILESZ) == 0);
	free(ram);
}

Test(elf_valid, note_in_section_only_accepted)
{
	struct telf t;
	telf_init(&t);
	telf_add_note_section(&t);
	const char *path = telf_write(&t, "section-note.elf");
	struct elf_image img;
	char err[256];
	cr_assert_eq(elf_check(path, RAM_SIZE, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img.abi_version, VMM_ABI_VERSION);
}

Test(elf_valid, segment_ending_exactly_at_ram_end_accepted)
{
	struct telf t;
	telf_init(&t);
	telf_set_pa(&t.ph[1], RAM_SIZE - TELF_DATA_MEMSZ);
	const char *path = telf_write(&t, "top.elf");
	uint8_t *ram = ram_filled(0xaa);
	char err[256];
	cr_assert_eq(elf_load(path, ram, RAM_SIZE, NULL, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(ram[RAM_SIZE - 1], 0);
	free(ram);
}

Test(elf_valid, small_or_missing_error_buffer_is_safe)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_machine = EM_386;
	const char *path = telf_write(&t, "i386.elf");
	char err[8];
	memset(err, 'x', sizeof(err));
	cr_assert_eq(elf_check(path, RAM_SIZE, NULL, err, sizeof(err)), -ENOEXEC);
	cr_assert_eq(err[sizeof(err) - 1], '\0');
	cr_assert_eq(elf_check(path, RAM_SIZE, NULL, NULL, 0), -ENOEXEC);
	cr_assert_eq(elf_check(path, RAM_SIZE, NULL, err, 0), -ENOEXEC);
}

Test(elf_valid, extended_program_header_numbering_accepted)
{
	struct telf t;
	telf_init(&t);
	telf_add_note_section(&t);          /* gives a section header table */
	t.ph[2].p_type = PT_NOTE;
	Elf64_Shdr *sh0 = (Elf64_Shdr *)(void *)(t.buf + TELF_SHDR_OFF);
	sh0->sh_info = t.eh->e_phnum;
	t.eh->e_phnum = PN_XNUM;
	const char *path = telf_write(&t, "xnum.elf");
	struct elf_image img;
	char err[256];
	cr_assert_eq(elf_check(path, RAM_SIZE, &img, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(img.kernel_end, TELF_DATA_PA + TELF_DATA_MEMSZ);

	sh0->sh_info = 100000;              /* now the table runs past the end */
	path = telf_write(&t, "xnum-big.elf");
	int rc = elf_check(path, RAM_SIZE, &img, err, sizeof(err));
	telf_expect_fail(rc, err, path, "truncated program header table (100000 entries");
}
