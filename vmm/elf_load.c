/*
 * Guest kernel ELF loader (see vmm/elf_load.h and docs/elf-loading.md).
 *
 * The file is read into memory whole and parsed with libelf.  All offsets
 * and addresses come from an untrusted file, so every range test is written
 * as "off <= size && len <= size - off", which cannot wrap.  RAM is written
 * only after every check has passed.
 */
#include "vmm/elf_load.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/abi.h"
#include "shared/layout.h"

#define MAX_FILE_SIZE  (1ULL << 30)   /* no kernel image is this large */
#define BOOT_MAP_LIMIT (1ULL << 30)   /* the boot page tables map 1 GiB */

struct ld {
	const char *path;
	char *err;
	size_t errlen;
	uint8_t *buf;            /* whole file */
	size_t size;
	Elf *e;
	Elf64_Phdr *ph;
	size_t phnum;
	int error;               /* what fail() returns, negated: ENOEXEC by default */
};

/* The one message of a failed load, "PATH: problem"; returns -l->error. */
__attribute__((format(printf, 2, 3)))
static int fail(struct ld *l, const char *fmt, ...)
{
	if (!l->err || l->errlen == 0)
		return -l->error;
	int n = snprintf(l->err, l->errlen, "%s: ", l->path);
	if (n >= 0 && (size_t)n < l->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -l->error;
}

static bool in_file(const struct ld *l, uint64_t off, uint64_t len)
{
	return off <= l->size && len <= l->size - off;
}

static int read_file(struct ld *l)
{
	struct stat st;
	int fd = open(l->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		l->error = errno;
		return fail(l, "cannot open: %s", strerror(errno));
	}
	const char *why = NULL;
	int e = 0;
	if (fstat(fd, &st) < 0)
		why = strerror(e = errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file", e = S_ISDIR(st.st_mode) ? EISDIR : EACCES;
	else if ((uint64_t)st.st_size > MAX_FILE_SIZE)
		why = "larger than 1 GiB", e = EFBIG;
	else if (st.st_size > 0 && !(l->buf = malloc((size_t)st.st_size)))
		why = "out of memory", e = ENOMEM;
	while (!why && l->size < (size_t)st.st_size) {
		ssize_t n = read(fd, l->buf + l->size, (size_t)st.st_size - l->size);
		if (n < 0 && errno != EINTR)
			why = strerror(e = errno);
		else if (n == 0)
			break;          /* shrank while reading: use what is there */
		else if (n > 0)
			l->size += (size_t)n;
	}
	close(fd);
	if (why) {
		l->error = e;
		return fail(l, "cannot read: %s", why);
	}
	return l->size ? 0 : fail(l, "empty file");
}

/* File identification and ELF header, checked by hand before libelf. */
static int check_ident(struct ld *l)
{
	const uint8_t *id = l->buf;
	if (l->size < SELFMAG || memcmp(id, ELFMAG, SELFMAG) != 0)
		return fail(l, "not an ELF file (no \\177ELF magic)");
	if (l->size < EI_NIDENT)
		return fail(l, "truncated ELF header (%zu of %zu bytes)", l->size, sizeof(Elf64_Ehdr));
	if (id[EI_CLASS] != ELFCLASS64)
		return fail(l, "is not ELF64 (EI_CLASS %s); a kernel must be ELFCLASS64",
			    id[EI_CLASS] == ELFCLASS32 ? "ELFCLASS32, 32-bit" : "invalid");
	if (id[EI_DATA] != ELFDATA2LSB)
		return fail(l, "is not little-endian (EI_DATA %s); a kernel must be ELFDATA2LSB",
			    id[EI_DATA] == ELFDATA2MSB ? "ELFDATA2MSB, big-endian" : "invalid");
	if (id[EI_VERSION] != EV_CURRENT)
		return fail(l, "has unknown ELF version %u in EI_VERSION (expected EV_CURRENT = 1)",
			    id[EI_VERSION]);
	if (l->size < sizeof(Elf64_Ehdr))
		return fail(l, "truncated ELF header (%zu of %zu bytes)", l->size, sizeof(Elf64_Ehdr));
	Elf64_Ehdr eh;
	memcpy(&eh, l->buf, sizeof(eh));
	if (eh.e_machine != EM_X86_64)
		return fail(l, "is not x86-64 (e_machine %u); a kernel must be EM_X86_64 (%u)",
			    eh.e_machine, EM_X86_64);
	static const char *const types[] = { "ET_NONE", "ET_REL (relocatable object)",
		"ET_EXEC", "ET_DYN (position-independent)", "ET_CORE (core dump)" };
	if (eh.e_type != ET_EXEC)
		return fail(l, "is %s; a kernel must be ET_EXEC",
			    eh.e_type < 5 ? types[eh.e_type] : "of unknown e_type");
	if (eh.e_phnum != 0 && eh.e_phentsize != sizeof(Elf64_Phdr))
		return fail(l, "bad e_phentsize %u (expected %zu)", eh.e_phentsize, sizeof(Elf64_Phdr));
	/* libelf refuses a file whose section header table is cut off. */
	uint64_t shnum = eh.e_shnum ? eh.e_shnum : 1;
	if (eh.e_shoff != 0 &&
	    (eh.e_shentsize != sizeof(Elf64_Shdr) || !in_file(l, eh.e_shoff, shnum * sizeof(Elf64_Shdr))))
		return fail(l, "truncated or malformed section header table (e_shoff 0x%llx, e_shnum %u, e_shentsize %u)",
			    (unsigned long long)eh.e_shoff, eh.e_shnum, eh.e_shentsize);
	/* libelf silently shortens a cut-off program header table: check here. */
	uint64_t phnum = eh.e_phnum;
	if (phnum == PN_XNUM && eh.e_shoff != 0) {
		Elf64_Shdr sh0;     /* extended numbering: the count is in section 0 */
		memcpy(&sh0, l->buf + eh.e_shoff, sizeof(sh0));
		phnum = sh0.sh_info;
	}
	if (!in_file(l, eh.e_phoff, phnum * sizeof(Elf64_Phdr)))
		return fail(l, "truncated program header table (%llu entries at offset 0x%llx, file is %zu bytes)",
			    (unsigned long long)phnum, (unsigned long long)eh.e_phoff, l->size);
	return 0;
}

static int open_phdrs(struct ld *l)
{
	elf_version(EV_CURRENT);
	elf_errno();            /* forget errors of earlier calls */
	l->e = elf_memory((char *)l->buf, l->size);
	if (!l->e || elf_kind(l->e) != ELF_K_ELF)
		return fail(l, "libelf cannot parse it: %s", elf_errmsg(-1));
	const Elf64_Ehdr *eh = elf64_getehdr(l->e);
	if (!eh || elf_getphdrnum(l->e, &l->phnum) != 0)
		return fail(l, "libelf cannot parse it: %s", elf_errmsg(-1));
	if (l->phnum == 0)
		return fail(l, "has no PT_LOAD segment (no program headers)");
	const Elf64_Phdr *ph = elf64_getphdr(l->e);
	if (!ph || !in_file(l, eh->e_phoff, l->phnum * sizeof(Elf64_Phdr)))
		return fail(l, "libelf cannot read the program headers: %s", elf_errmsg(-1));
	/* libelf may hand back a pointer into the file at an unaligned e_phoff. */
	l->ph = malloc(l->phnum * sizeof(Elf64_Phdr));
	if (!l->ph) {
		l->error = ENOMEM;
		return fail(l, "out of memory for %zu program headers", l->phnum);
	}
	memcpy(l->ph, ph, l->phnum * sizeof(Elf64_Phdr));
	return 0;
}

/* One PT_LOAD on its own: sizes, file range, RAM range, boot mapping. */
static int check_load(struct ld *l, size_t i, uint64_t ram_size)
{
	const Elf64_Phdr *p = &l->ph[i];
	unsigned long long pa = p->p_paddr, msz = p->p_memsz;
	if (p->p_filesz > p->p_memsz)
		return fail(l, "PT_LOAD #%zu: p_filesz 0x%llx is larger than p_memsz 0x%llx",
			    i, (unsigned long long)p->p_filesz, msz);
	if (p->p_filesz && !in_file(l, p->p_offset, p->p_filesz))
		return fail(l, "PT_LOAD #%zu: truncated, file data [0x%llx, +0x%llx) lies past end of file (%zu bytes)",
			    i, (unsigned long long)p->p_offset, (unsigned long long)p->p_filesz, l->size);
	if (msz > UINT64_MAX - pa)
		return fail(l, "PT_LOAD #%zu: p_paddr 0x%llx + p_memsz 0x%llx wraps around 2^64", i, pa, msz);
	if (pa > ram_size || msz > ram_size - pa)
		return fail(l, "PT_LOAD #%zu: [0x%llx, 0x%llx) lies beyond RAM (0x%llx bytes)",
			    i, pa, pa + msz, (unsigned long long)ram_size);
	if (pa < HOST_RESERVED_END)
		return fail(l, "PT_LOAD #%zu: [0x%llx, 0x%llx) overlaps the host-reserved area [0, 0x%llx)",
			    i, pa, pa + msz, HOST_RESERVED_END);
	if (pa + msz > BOOT_MAP_LIMIT)
		return fail(l, "PT_LOAD #%zu: ends at 0x%llx, beyond the 1 GiB the boot mapping covers",
			    i, pa + msz);
	if (p->p_vaddr != KERNEL_VIRT_BASE + pa && p->p_vaddr != pa)
		return fail(l, "PT_LOAD #%zu: p_vaddr 0x%llx is not reachable through the boot mapping "
			    "(must be KERNEL_VIRT_BASE + p_paddr = 0x%llx, or p_paddr)",
			    i, (unsigned long long)p->p_vaddr, KERNEL_VIRT_BASE + pa);
	return 0;
}

/* All PT_LOADs, pairwise overlap, entry point; fills start/end/entry. */
static int check_segments(struct ld *l, uint64_t ram_size, struct elf_image *img)
{
	size_t loads = 0;
	img->kernel_start = UINT64_MAX;
	img->kernel_end = 0;
	for (size_t i = 0; i < l->phnum; i++) {
		const Elf64_Phdr *p = &l->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		int r = check_load(l, i, ram_size);
		if (r)
			return r;
		for (size_t j = 0; j < i; j++) {
			const Elf64_Phdr *q = &l->ph[j];
			unsigned long long ps = p->p_paddr, pe = ps + p->p_memsz;
			unsigned long long qs = q->p_paddr, qe = qs + q->p_memsz;
			if (q->p_type == PT_LOAD && ps < qe && qs < pe)
				return fail(l, "PT_LOAD #%zu [0x%llx, 0x%llx) overlaps PT_LOAD #%zu [0x%llx, 0x%llx)",
					    i, ps, pe, j, qs, qe);
		}
		loads++;
		if (p->p_paddr < img->kernel_start)
			img->kernel_start = p->p_paddr;
		if (p->p_paddr + p->p_memsz > img->kernel_end)
			img->kernel_end = p->p_paddr + p->p_memsz;
	}
	if (loads == 0)
		return fail(l, "has no PT_LOAD segment");
	img->entry = elf64_getehdr(l->e)->e_entry;
	for (size_t i = 0; i < l->phnum; i++) {
		const Elf64_Phdr *p = &l->ph[i];
		if (p->p_type != PT_LOAD || img->entry < p->p_vaddr ||
		    img->entry - p->p_vaddr >= p->p_memsz)
			continue;
		if (!(p->p_flags & PF_X))
			return fail(l, "entry point 0x%llx lies in PT_LOAD #%zu, which is not executable (no PF_X)",
				    (unsigned long long)img->entry, i);
		return 0;
	}
	return fail(l, "entry point 0x%llx lies outside every PT_LOAD segment",
		    (unsigned long long)img->entry);
}

/* Look for the VMM ABI note in one block of notes: 1 found, 0 not, -1 error. */
static int scan_notes(struct ld *l, Elf_Data *d, uint32_t *version)
{
	GElf_Nhdr nh;
	size_t off = 0, name_off, desc_off, next;
	while (d && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) != 0) {
		const char *name = (const char *)d->d_buf + name_off;
		if (nh.n_namesz == sizeof(VMM_NOTE_NAME) && nh.n_type == VMM_NOTE_TYPE_ABI &&
		    memcmp(name, VMM_NOTE_NAME, sizeof(VMM_NOTE_NAME)) == 0) {
			if (nh.n_descsz != sizeof(uint32_t))
				return fail(l, "VMM ABI note has descsz %u (expected 4)", (unsigned)nh.n_descsz);
			memcpy(version, (const char *)d->d_buf + desc_off, sizeof(*version));
			return 1;
		}
		off = next;
	}
	return 0;
}

/* ABI note from a PT_NOTE segment, else from an SHT_NOTE section. */
static int check_note(struct ld *l, struct elf_image *img)
{
	int found = 0;
	for (size_t i = 0; i < l->phnum && !found; i++) {
		const Elf64_Phdr *p = &l->ph[i];
		if (p->p_type != PT_NOTE)
			continue;
		if (!in_file(l, p->p_offset, p->p_filesz))
			return fail(l, "PT_NOTE #%zu: truncated, note data lies past end of file", i);
		Elf_Data *d = elf_getdata_rawchunk(l->e, (int64_t)p->p_offset, p->p_filesz,
						   p->p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
		found = scan_notes(l, d, &img->abi_version);
	}
	for (Elf_Scn *s = NULL; !found && (s = elf_nextscn(l->e, s)) != NULL;) {
		GElf_Shdr shm, *sh = gelf_getshdr(s, &shm);    /* a copy: aligned */
		if (sh && sh->sh_type == SHT_NOTE && in_file(l, sh->sh_offset, sh->sh_size))
			found = scan_notes(l, elf_getdata(s, NULL), &img->abi_version);
	}
	if (found < 0)
		return found;
	if (!found)
		return fail(l, "has no VMM ABI note (PT_NOTE or SHT_NOTE, name \"%s\", type %d)",
			    VMM_NOTE_NAME, VMM_NOTE_TYPE_ABI);
	if (img->abi_version != VMM_ABI_VERSION)
		return fail(l, "ABI version mismatch: the guest has version %u, this vmm requires %u",
			    img->abi_version, VMM_ABI_VERSION);
	return 0;
}

static void copy_segments(struct ld *l, uint8_t *ram)
{
	for (size_t i = 0; i < l->phnum; i++) {
		const Elf64_Phdr *p = &l->ph[i];
		if (p->p_type != PT_LOAD)
			continue;
		/* Checked: [p_offset, +p_filesz) in the file, [p_paddr, +p_memsz) in RAM. */
		memcpy(ram + p->p_paddr, l->buf + p->p_offset, p->p_filesz);
		memset(ram + p->p_paddr + p->p_filesz, 0, p->p_memsz - p->p_filesz);
	}
}

int elf_load(const char *path, uint8_t *ram, uint64_t ram_size,
	     struct elf_image *out, char *err, size_t errlen)
{
	struct ld l = { .path = path, .err = err, .errlen = errlen, .error = ENOEXEC };
	struct elf_image img = { 0 };
	if (err && errlen)
		err[0] = '\0';
	int rc = read_file(&l);
	if (rc == 0)
		rc = check_ident(&l);
	if (rc == 0)
		rc = open_phdrs(&l);
	if (rc == 0)
		rc = check_segments(&l, ram_size, &img);
	if (rc == 0)
		rc = check_note(&l, &img);
	if (rc == 0 && ram)
		copy_segments(&l, ram);
	if (rc == 0 && out)
		*out = img;
	if (l.e)
		elf_end(l.e);
	free(l.ph);
	free(l.buf);
	return rc;
}

int elf_check(const char *path, uint64_t ram_size,
	      struct elf_image *img, char *err, size_t errlen)
{
	return elf_load(path, NULL, ram_size, img, err, errlen);
}
