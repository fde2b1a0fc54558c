/* Test ELF image builder (see elf_builder.h). */
#include "elf_builder.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/abi.h"

static char tmpdir[128];

void telf_setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vmm-elf-test-XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp failed");
}

void telf_teardown(void)
{
	DIR *d = opendir(tmpdir);
	if (!d)
		return;
	struct dirent *de;
	char p[512];
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", tmpdir, de->d_name);
		if (unlink(p) != 0)
			rmdir(p);
	}
	closedir(d);
	rmdir(tmpdir);
}

const char *telf_dir(void)
{
	return tmpdir;
}

void telf_set_pa(Elf64_Phdr *p, uint64_t pa)
{
	p->p_paddr = pa;
	p->p_vaddr = KERNEL_VIRT_BASE + pa;
}

static void init_load(Elf64_Phdr *p, uint64_t off, uint64_t pa, uint64_t filesz,
		      uint64_t memsz, uint32_t flags)
{
	p->p_type = PT_LOAD;
	p->p_flags = flags;
	p->p_offset = off;
	telf_set_pa(p, pa);
	p->p_filesz = filesz;
	p->p_memsz = memsz;
	p->p_align = 0x1000;
}

void telf_init(struct telf *t)
{
	memset(t, 0, sizeof(*t));
	t->size = TELF_FILE_SIZE;
	t->eh = (Elf64_Ehdr *)(void *)t->buf;
	t->ph = (Elf64_Phdr *)(void *)(t->buf + sizeof(Elf64_Ehdr));

	Elf64_Ehdr *eh = t->eh;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_SYSV;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = TELF_ENTRY;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 3;

	init_load(&t->ph[0], TELF_TEXT_OFF, TELF_TEXT_PA, TELF_TEXT_FILESZ,
		  TELF_TEXT_FILESZ, PF_R | PF_X);
	init_load(&t->ph[1], TELF_DATA_OFF, TELF_DATA_PA, TELF_DATA_FILESZ,
		  TELF_DATA_MEMSZ, PF_R | PF_W);
	Elf64_Phdr *n = &t->ph[2];
	n->p_type = PT_NOTE;
	n->p_flags = PF_R;
	n->p_offset = TELF_NOTE_OFF;
	n->p_filesz = TELF_NOTE_SIZE;
	n->p_align = 4;

	Elf64_Nhdr nh = { .n_namesz = 4, .n_descsz = 4, .n_type = VMM_NOTE_TYPE_ABI };
	memcpy(t->buf + TELF_NOTE_OFF, &nh, sizeof(nh));
	memcpy(t->buf + TELF_NOTE_OFF + sizeof(nh), VMM_NOTE_NAME, 4);
	t->note_version = (uint32_t *)(void *)(t->buf + TELF_NOTE_OFF + sizeof(nh) + 4);
	*t->note_version = VMM_ABI_VERSION;

	for (size_t i = 0; i < TELF_TEXT_FILESZ; i++)
		t->buf[TELF_TEXT_OFF + i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < TELF_DATA_FILESZ; i++)
		t->buf[TELF_DATA_OFF + i] = (uint8_t)(0xff - i);
}

void telf_add_note_section(struct telf *t)
{
	Elf64_Shdr *sh = (Elf64_Shdr *)(void *)(t->buf + TELF_SHDR_OFF);
	memset(sh, 0, 2 * sizeof(*sh));
	sh[1].sh_type = SHT_NOTE;
	sh[1].sh_flags = SHF_ALLOC;
	sh[1].sh_offset = TELF_NOTE_OFF;
	sh[1].sh_size = TELF_NOTE_SIZE;
	sh[1].sh_addralign = 4;
	t->eh->e_shoff = TELF_SHDR_OFF;
	t->eh->e_shentsize = sizeof(Elf64_Shdr);
	t->eh->e_shnum = 2;
	t->eh->e_shstrndx = SHN_UNDEF;
	t->ph[2].p_type = PT_NULL;
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f, "cannot create %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len, "short write to %s", path);
	cr_assert_eq(fclose(f), 0);
}

const char *telf_write(struct telf *t, const char *name)
{
	snprintf(t->path, sizeof(t->path), "%s/%s", tmpdir, name);
	write_file(t->path, t->buf, t->size);
	return t->path;
}

const char *telf_write_raw(const void *data, size_t len, const char *name)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	write_file(path, data, len);
	return path;
}

void telf_expect_fail_errno(int rc, int want, const char *err, const char *path,
			    const char *phrase)
{
	size_t n = strlen(path);
	cr_assert_eq(rc, -want, "expected failure -%d (%s), got rc %d", want, phrase, rc);
	cr_assert(strncmp(err, path, n) == 0 && err[n] == ':' && err[n + 1] == ' ',
		  "message does not start with \"%s: \": %s", path, err);
	cr_assert(strstr(err + n, phrase) != NULL,
		  "message lacks \"%s\": %s", phrase, err);
	cr_assert(strchr(err, '\n') == NULL, "message has a newline: %s", err);
}

void telf_expect_fail(int rc, const char *err, const char *path, const char *phrase)
{
	telf_expect_fail_errno(rc, ENOEXEC, err, path, phrase);
}
