/*
 * Builds small ELF64 test images byte by byte for the loader tests.
 *
 * telf_init() lays out a valid minimal kernel in t->buf; a test then breaks
 * one thing (through t->eh, t->ph, t->note_version, t->size ...) and calls
 * telf_write() to get a file to hand to elf_load().
 *
 *   0x0000  Elf64_Ehdr
 *   0x0040  Elf64_Phdr[TELF_MAX_PH]: #0 text (R+X), #1 data+bss (R+W), #2 PT_NOTE
 *   0x0200  VMM ABI note (20 bytes)
 *   0x0400  optional section headers (telf_add_note_section)
 *   0x1000  text payload, TELF_TEXT_FILESZ bytes, loaded at TELF_TEXT_PA
 *   0x2000  data payload, TELF_DATA_FILESZ bytes, loaded at TELF_DATA_PA,
 *           followed in memory by bss up to TELF_DATA_MEMSZ
 */
#ifndef TESTS_ELF_BUILDER_H
#define TESTS_ELF_BUILDER_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/layout.h"

#define TELF_MAX_PH        4
#define TELF_NOTE_OFF      0x200
#define TELF_NOTE_SIZE     20
#define TELF_SHDR_OFF      0x400
#define TELF_TEXT_OFF      0x1000
#define TELF_TEXT_PA       0x200000ULL
#define TELF_TEXT_FILESZ   0x100
#define TELF_DATA_OFF      0x2000
#define TELF_DATA_PA       0x201000ULL
#define TELF_DATA_FILESZ   0x80
#define TELF_DATA_MEMSZ    0x1000
#define TELF_FILE_SIZE     (TELF_DATA_OFF + TELF_DATA_FILESZ)
#define TELF_ENTRY         (KERNEL_VIRT_BASE + TELF_TEXT_PA + 0x10)

struct telf {
	_Alignas(8) uint8_t buf[TELF_FILE_SIZE];
	size_t size;               /* bytes telf_write writes (truncate by lowering) */
	Elf64_Ehdr *eh;            /* views into buf */
	Elf64_Phdr *ph;            /* TELF_MAX_PH entries; e_phnum of them used */
	uint32_t *note_version;    /* the note's desc */
	char path[256];            /* set by telf_write */
};

/* Fill t with the valid minimal image described above. */
void telf_init(struct telf *t);

/* Place segment p at guest-physical pa with the high kernel mapping. */
void telf_set_pa(Elf64_Phdr *p, uint64_t pa);

/* Drop the PT_NOTE and describe the note by an SHT_NOTE section instead. */
void telf_add_note_section(struct telf *t);

/* Write the first t->size bytes of t->buf to a fresh file named name in the
 * test's temporary directory; returns t->path.  Aborts the test on error. */
const char *telf_write(struct telf *t, const char *name);

/* Write len raw bytes to a file in the temporary directory; returns its path
 * in a static buffer. */
const char *telf_write_raw(const void *data, size_t len, const char *name);

/* Assert that a loader call failed with -ENOEXEC (not a loadable kernel)
 * and one message of the form "PATH: ..." that contains phrase. */
void telf_expect_fail(int rc, const char *err, const char *path, const char *phrase);
/* The same for a failure with -want (a file that cannot be read). */
void telf_expect_fail_errno(int rc, int want, const char *err, const char *path,
			    const char *phrase);

/* Temporary directory of the current test (created by telf_setup). */
const char *telf_dir(void);

/* Criterion fixtures: make / remove the temporary directory. */
void telf_setup(void);
void telf_teardown(void);

#endif
