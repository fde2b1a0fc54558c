/*
 * Guest kernel loader: validates an x86-64 ELF executable against the boot
 * contract (shared/layout.h, shared/abi.h) and copies its PT_LOAD segments
 * into guest RAM.  The rules and every message are listed in
 * docs/elf-loading.md.
 */
#ifndef VMM_ELF_LOAD_H
#define VMM_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

struct elf_image {
	uint64_t entry;          /* e_entry (a virtual address) */
	uint64_t kernel_start;   /* lowest guest-physical byte loaded */
	uint64_t kernel_end;     /* end (p_paddr + p_memsz) of the highest PT_LOAD */
	uint32_t abi_version;    /* from the note */
};

/*
 * Load the ELF at path into guest RAM (ram, ram_size bytes, guest-physical
 * 0 = ram[0]).  Returns 0 and fills *img (may be NULL), or a negative
 * errno with exactly one message "PATH: problem" in err (errlen bytes; err
 * may be NULL): -ENOEXEC if the file is not a kernel this vmm can load,
 * otherwise why it could not be read (open's or read's errno, -EISDIR or
 * -EACCES for a directory or other non-regular file, -EFBIG over 1 GiB,
 * -ENOMEM).
 * Never writes RAM outside the accepted segments, and writes nothing at all
 * unless every check passed.  ram == NULL checks only (as elf_check).
 */
int elf_load(const char *path, uint8_t *ram, uint64_t ram_size,
	     struct elf_image *img, char *err, size_t errlen);

/*
 * Same checks as elf_load for a RAM of ram_size bytes, without touching any
 * RAM: 0 and *img (may be NULL), or the same -errno and message elf_load
 * gives.
 */
int elf_check(const char *path, uint64_t ram_size,
	      struct elf_image *img, char *err, size_t errlen);

#endif
