/* Segment, entry point and ABI note defects. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_builder.h"
#include "shared/abi.h"
#include "vmm/elf_load.h"

#define RAM_SIZE (16ULL << 20)

TestSuite(elf_seg, .init = telf_setup, .fini = telf_teardown);

/* Load t into a fresh RAM buffer; expect failure with phrase and RAM that
 * is still all zero (nothing is written unless every check passes). */
static void expect(struct telf *t, const char *name, const char *phrase)
{
	const char *path = telf_write(t, name);
	uint8_t *ram = calloc(1, RAM_SIZE);
	cr_assert_not_null(ram);
	char err[512] = "";
	int rc = elf_load(path, ram, RAM_SIZE, NULL, err, sizeof(err));
	cr_log_info("%s", err);
	telf_expect_fail(rc, err, path, phrase);
	for (uint64_t a = TELF_TEXT_PA; a < TELF_TEXT_PA + TELF_TEXT_FILESZ; a++)
		cr_assert_eq(ram[a], 0, "RAM written at %#llx despite failure", (unsigned long long)a);
	free(ram);
}

/* Same with elf_check and an arbitrary RAM size. */
static void expect_check(struct telf *t, const char *name, uint64_t ram_size, const char *phrase)
{
	const char *path = telf_write(t, name);
	char err[512] = "";
	int rc = elf_check(path, ram_size, NULL, err, sizeof(err));
	cr_log_info("%s", err);
	telf_expect_fail(rc, err, path, phrase);
}

Test(elf_seg, filesz_larger_than_memsz)
{
	struct telf t;
	telf_init(&t);
	t.ph[1].p_memsz = TELF_DATA_FILESZ - 1;
	expect(&t, "filesz.elf", "PT_LOAD #1: p_filesz 0x80 is larger than p_memsz 0x7f");
}

Test(elf_seg, segment_beyond_ram)
{
	struct telf t;
	telf_init(&t);
	telf_set_pa(&t.ph[1], RAM_SIZE - TELF_DATA_MEMSZ / 2);
	expect(&t, "beyond.elf", "PT_LOAD #1: [0xfff800, 0x1000800) lies beyond RAM (0x1000000 bytes)");
}

Test(elf_seg, segment_start_beyond_ram)
{
	struct telf t;
	telf_init(&t);
	telf_set_pa(&t.ph[1], RAM_SIZE + 0x1000);
	expect(&t, "start-beyond.elf", "lies beyond RAM");
}

Test(elf_seg, segment_wraps_2_64)
{
	struct telf t;
	telf_init(&t);
	t.ph[1].p_paddr = UINT64_MAX - 0xfff;
	t.ph[1].p_vaddr = UINT64_MAX - 0xfff;
	t.ph[1].p_memsz = 0x2000;
	expect(&t, "wrap.elf", "wraps around 2^64");
}

Test(elf_seg, segment_wraps_even_with_all_of_memory)
{
	struct telf t;
	telf_init(&t);
	t.ph[1].p_paddr = UINT64_MAX;
	t.ph[1].p_memsz = UINT64_MAX;
	t.ph[1].p_filesz = 0;
	expect_check(&t, "wrap-max.elf", UINT64_MAX, "wraps around 2^64");
}

Test(elf_seg, segment_in_host_reserved_area)
{
	struct telf t;
	telf_init(&t);
	telf_set_pa(&t.ph[0], 0x8000);
	t.eh->e_entry = KERNEL_VIRT_BASE + 0x8000;
	expect(&t, "reserved.elf", "PT_LOAD #0: [0x8000, 0x8100) overlaps the host-reserved area [0, 0x100000)");
}

Test(elf_seg, segment_straddling_host_reserved_end)
{
	struct telf t;
	telf_init(&t);
	telf_set_pa(&t.ph[0], HOST_RESERVED_END - 0x10);
	t.eh->e_entry = KERNEL_VIRT_BASE + HOST_RESERVED_END;
	expect(&t, "straddle.elf", "host-reserved area");
}

Test(elf_seg, overlapping_segments)
{
	struct telf t;
	telf_init(&t);
	telf_set_pa(&t.ph[1], TELF_TEXT_PA + 0x80);
	expect(&t, "overlap.elf", "PT_LOAD #1 [0x200080, 0x201080) overlaps PT_LOAD #0 [0x200000, 0x200100)");
}

Test(elf_seg, vaddr_not_reachable_through_boot_mapping)
{
	struct telf t;
	telf_init(&t);
	t.ph[1].p_vaddr = 0x400000;
	expect(&t, "vaddr.elf", "not reachable through the boot mapping");
}

Test(elf_seg, segment_above_one_gib)
{
	struct telf t;
	telf_init(&t);
	telf_set_pa(&t.ph[1], (1ULL << 30) - 0x800);
	expect_check(&t, "above1g.elf", 4ULL << 30, "beyond the 1 GiB the boot mapping covers");
}

Test(elf_seg, entry_outside_every_segment)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_entry = KERNEL_VIRT_BASE + 0x300000;
	expect(&t, "entry-out.elf", "entry point 0xffffffff80300000 lies outside every PT_LOAD");
}

Test(elf_seg, entry_just_past_text)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_entry = KERNEL_VIRT_BASE + TELF_TEXT_PA + TELF_TEXT_FILESZ;
	expect(&t, "entry-end.elf", "outside every PT_LOAD");
}

Test(elf_seg, entry_in_non_executable_segment)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_entry = KERNEL_VIRT_BASE + TELF_DATA_PA + 0x10;
	expect(&t, "entry-data.elf", "lies in PT_LOAD #1, which is not executable (no PF_X)");
}

Test(elf_seg, entry_given_as_physical_address)
{
	struct telf t;
	telf_init(&t);
	t.eh->e_entry = TELF_TEXT_PA + 0x10;
	expect(&t, "entry-phys.elf", "outside every PT_LOAD");
}

Test(elf_seg, missing_abi_note)
{
	struct telf t;
	telf_init(&t);
	t.ph[2].p_type = PT_NULL;
	expect(&t, "nonote.elf", "has no VMM ABI note");
}

Test(elf_seg, note_with_other_name_is_not_the_abi_note)
{
	struct telf t;
	telf_init(&t);
	memcpy(t.buf + TELF_NOTE_OFF + sizeof(Elf64_Nhdr), "GNU", 4);
	expect(&t, "gnunote.elf", "has no VMM ABI note");
}

Test(elf_seg, abi_note_with_wrong_desc_size)
{
	struct telf t;
	telf_init(&t);
	Elf64_Nhdr *nh = (Elf64_Nhdr *)(void *)(t.buf + TELF_NOTE_OFF);
	nh->n_descsz = 0;
	t.ph[2].p_filesz = TELF_NOTE_SIZE - 4;
	expect(&t, "descsz.elf", "VMM ABI note has descsz 0 (expected 4)");
}

Test(elf_seg, note_past_eof)
{
	struct telf t;
	telf_init(&t);
	t.ph[2].p_offset = TELF_FILE_SIZE - 4;
	expect(&t, "note-eof.elf", "PT_NOTE #2: truncated");
}

Test(elf_seg, wrong_abi_version)
{
	struct telf t;
	telf_init(&t);
	*t.note_version = VMM_ABI_VERSION + 41;
	char phrase[128];
	snprintf(phrase, sizeof(phrase), "the guest has version %u, this vmm requires %u",
		 VMM_ABI_VERSION + 41, VMM_ABI_VERSION);
	expect(&t, "abi.elf", phrase);
}
