/*
 * Writes the fuzz targets' seed corpora (tests/fuzz/corpus/TARGET/), small
 * and meaningful: ELF images from the loader tests' builder, the scenario
 * corpus, published guest states from the inspection tests' synthetic
 * memory (valid ones, and the hostile shapes the inspection code must
 * survive), control sessions over them with sane and hostile guest
 * answers, and the trace of real guest runs (seedgen_trace.c).  Run by tools/fuzz.sh --seeds; its output is checked in.
 *
 *   fuzz_seedgen REPO_ROOT OUT_DIR
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/elf/elf_builder.h"
#include "tests/fuzz/fuzz_ram.h"
#include "shared/pte.h"
#include "tests/inspect/synth.h"

#define UVA 0x100000000000ULL
#define RW  (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE)

static const char *out_dir;

/* seedgen_trace.c */
void trace_seeds(const char *dir);

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static FILE *create(const char *target, const char *name)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", out_dir, target);
	mkdir(path, 0755);
	snprintf(path, sizeof path, "%s/%s/%s", out_dir, target, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		die(path);
	return f;
}

static void put(const char *target, const char *name, const void *data, size_t len)
{
	FILE *f = create(target, name);

	if (fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die(name);
}

/* ---- fuzz_elf ---- */

static void elf_seeds(void)
{
	struct telf t;

	telf_init(&t);
	put("fuzz_elf", "minimal.elf", t.buf, t.size);
	telf_add_note_section(&t);
	put("fuzz_elf", "note-section.elf", t.buf, t.size);
	telf_init(&t);
	telf_set_pa(&t.ph[0], TELF_TEXT_PA);
	t.ph[0].p_vaddr = TELF_TEXT_PA;           /* identity-mapped vaddr */
	put("fuzz_elf", "identity.elf", t.buf, t.size);
	telf_init(&t);
	t.eh->e_phnum = 2;                        /* no note: refused */
	put("fuzz_elf", "no-note.elf", t.buf, t.size);
	telf_init(&t);
	put("fuzz_elf", "truncated.elf", t.buf, 0x48);
}

/* ---- fuzz_scenario ---- */

/* Every SUB/NAME.scn of the corpus as PREFIX-NAME.scn, with no backend
 * answers (the sane ones). */
static void scenario_dir_seeds(const char *root, const char *sub, const char *prefix)
{
	char dir[512], path[1024], name[512];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/%s", root, sub);
	if (!(d = opendir(dir)))
		die(dir);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 4, ".scn") != 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		snprintf(name, sizeof name, "%s%s", prefix, de->d_name);
		FILE *in = fopen(path, "rb");
		FILE *out = create("fuzz_scenario", name);
		int c;
		if (!in)
			die(path);
		fputc(0, out);    /* no backend answers: the sane ones */
		fputc(0, out);
		while ((c = fgetc(in)) != EOF)
			fputc(c, out);
		fclose(in);
		fclose(out);
	}
	closedir(d);
}

static void scenario_seeds(const char *root)
{
	scenario_dir_seeds(root, "tests/scenarios", "");
	scenario_dir_seeds(root, "tests/scenarios/v2", "v2-");
	/* Hostile answers: an errno, INT64_MIN, a death, a fault, a list. */
	static const uint8_t hostile[] = {
		18, 0,
		1, 12,                                       /* mmap: -ENOMEM */
		2, 0, 0, 0, 0, 0, 0, 0, 0x80,                /* munmap: INT64_MIN */
		2, 1, 0, 0, 0, 0, 0x10, 0, 0, 4,             /* touch: result, fault */
		5,                                           /* maps: 5 ascending */
	};
	static const char script[] = "mmap 0x100000000000 16K rw-\nmunmap 0x100000000000 4K\n"
		"touch 0x100000000000 16K write\nmaps\nexpect vmas 2\n"
		"expect mapped 0x100000000000 16K\nexpect result 0\nhelp\n";
	FILE *out = create("fuzz_scenario", "hostile-answers");
	fwrite(hostile, 1, sizeof hostile, out);
	fwrite(script, 1, sizeof script - 1, out);
	fclose(out);
}

/* ---- fuzz_memory: published states ---- */

static void state_valid(struct synth *s)
{
	uint32_t a = synth_mm_new(s), b = synth_mm_new(s);

	synth_vma(s, a, UVA, UVA + 0x8000, RW);
	synth_vma(s, a, UVA + 0x10000, UVA + 0x11000, VM_READ);
	synth_vma(s, b, UVA, UVA + 0x4000, RW);
	for (int i = 0; i < 6; i++)
		synth_map(s, a, UVA + 0x1000ULL * i, SYN_RW | (i & 1 ? SYN_NX : 0), i % 3 == 0);
	synth_map(s, a, UVA + 0x10000, SYN_RO, 1);
	synth_map(s, b, UVA, SYN_RW, 0);
	/* A PROT_NONE entry holding its frame. */
	uint64_t *e = synth_entry(s, synth_mm(s, a), synth_mm(s, a)->pml4, UVA + 0x7000, 1);
	*e = synth_alloc(s, PAGE_T_USER, 1) | PTE_PROTNONE | PTE_A;
	synth_mm(s, a)->rss_pages++;
}

static void state_bad_entries(struct synth *s)
{
	uint32_t a = synth_mm_new(s);
	struct mm_desc *m = synth_mm(s, a);

	synth_vma(s, a, UVA, UVA + 0x400000, RW);
	synth_map(s, a, UVA, SYN_RW, 0);
	/* A 2 MiB leaf, a PDE with reserved bits, a PDPT entry with PS, a
	 * table outside RAM. */
	*synth_entry(s, m, m->pml4, UVA + 0x200000, 2) = 0 | PTE_PS | SYN_RW;
	*synth_entry(s, m, m->pml4, UVA + 0x40000000, 2) = 0x4000 | PTE_PS | SYN_RW;
	*synth_entry(s, m, m->pml4, UVA + 0x8000000000ULL, 3) = PTE_PS | SYN_RW;
	*synth_entry(s, m, m->pml4, UVA + 0x10000000000ULL, 4) = 0x7ff000000000ULL | SYN_RW;
	s->tab->frames_free += 3;                   /* counters off */
}

static void state_self_reference(struct synth *s)
{
	uint32_t a = synth_mm_new(s);
	uint64_t t = synth_mm(s, a)->pml4;
	uint64_t *e = (uint64_t *)(void *)(s->g.ram + t);

	for (unsigned i = 0; i < 512; i += 3)
		e[i] = t | SYN_RW;
	for (unsigned i = 1; i < FUZZ_MMS; i++)
		s->tab->mms[i] = s->tab->mms[0], s->tab->mms[i].id = i + 1;
}

static void state_vma_cycle(struct synth *s)
{
	uint32_t a = synth_mm_new(s);
	uint64_t v1 = synth_vma(s, a, UVA, UVA + 0x1000, RW);
	uint64_t v2 = synth_vma(s, a, UVA + 0x2000, UVA + 0x3000, RW);

	synth_vma_ptr(s, v2)->vm_next = v1;         /* points back */
	synth_mm_new(s);                            /* an empty mm besides */
}

static void state_empty(struct synth *s)
{
	synth_mm_new(s);
}

static const struct {
	const char *name;
	void (*build)(struct synth *s);
} STATES[] = {
	{ "valid", state_valid }, { "bad-entries", state_bad_entries },
	{ "self-reference", state_self_reference }, { "vma-cycle", state_vma_cycle },
	{ "empty", state_empty },
};

#define NSTATES (sizeof STATES / sizeof STATES[0])

/* The fuzz_ram bytes of state i, in a malloc'ed buffer. */
static uint8_t *state_bytes(unsigned i, size_t *len)
{
	struct synth s;
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	synth_init_at(&s, FUZZ_RAM_SIZE, FUZZ_DATA_GPA);
	STATES[i].build(&s);
	if (!f || fuzz_ram_save(&s.g, f) != 0 || fclose(f) != 0)
		die("state");
	synth_free(&s);
	return (uint8_t *)buf;
}

static void memory_seeds(void)
{
	for (unsigned i = 0; i < NSTATES; i++) {
		size_t len;
		uint8_t *b = state_bytes(i, &len);
		put("fuzz_memory", STATES[i].name, b, len);
		free(b);
	}
}

/* ---- fuzz_control: sessions over the states ---- */

static const char SESSION_INSPECT[] =
	"ptdump\nptdump leaves\nptdump json 0x100000000000 0x100000010000\nptdump json-leaves\n"
	"vmas\nwalk 0x100000001000\nstats\nmm list\ncheck\nexpect clean\nhelp\n";
static const char SESSION_SCENARIO[] =
	"mmap 0x100000000000 16K rw-\ntouch 0x100000000000 8K write\nmaps\nexpect vmas 1\n"
	"expect maps\n100000000000-100000004000 rw-p\nend\nexpect result ok\n"
	"expect mapped 0x100000000000 4K\nexpect unmapped 0x100000004000 4K\n"
	"mprotect 0x100000000000 4K r--\nmunmap 0x100000000000 16K\nmmap - 4K r--\n";
static const char SESSION_MM[] =
	"mm new\nmm use 1\nmm use 2\nmm destroy 1\nmm list\n"
	"inject stray-pte 0x100000000000\ninject writable-zero 0x100000001000\n";
static const char SESSION_BAD[] =
	"frobnicate\n# a comment\n\n   \nmmap\nptdump sideways\nexpect\ncheck 1\nmm use 0\n"
	"walk \x01\x7f\nmaps\x00 trailing\nlast line without a newline";

static void control_seed(const char *name, uint8_t flags, unsigned state, const uint8_t *ans,
			 size_t nans, const char *lines, size_t nlines)
{
	size_t len = 0;
	uint8_t *ram = state < NSTATES ? state_bytes(state, &len) : NULL;
	FILE *f = create("fuzz_control", name);

	fputc(flags, f);
	fputc((int)(len & 0xff), f);
	fputc((int)(len >> 8), f);
	fwrite(ram, 1, len, f);
	fputc((int)(nans & 0xff), f);
	fputc((int)(nans >> 8), f);
	fwrite(ans, 1, nans, f);
	fwrite(lines, 1, nlines, f);
	fclose(f);
	free(ram);
}

static void control_seeds(void)
{
	/* Hostile answers: INT64_MIN, a result above any errno, a flood of
	 * one-page VMAs, garbage in the OUT fields, a death. */
	static const uint8_t int64_min[] = { 2, 0, 0, 0, 0, 0, 0, 0, 0x80 };
	static const uint8_t flood[] = {
		4, 3, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0, 0, 0x10, 0, 0,
		4, 255, 1, 2, 3,
	};
	static const uint8_t garbage[] = { 3, 1, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef };
	static const uint8_t death[] = { 0, 0, 0x45 };
	char overlong[5000];

	control_seed("inspect-valid", 0, 0, NULL, 0, SESSION_INSPECT, sizeof SESSION_INSPECT - 1);
	control_seed("inspect-bad-entries", 0, 1, NULL, 0, SESSION_INSPECT,
		     sizeof SESSION_INSPECT - 1);
	control_seed("inspect-self-reference", 0, 2, NULL, 0, SESSION_INSPECT,
		     sizeof SESSION_INSPECT - 1);
	control_seed("inspect-vma-cycle", 0, 3, NULL, 0, SESSION_INSPECT,
		     sizeof SESSION_INSPECT - 1);
	control_seed("scenario-check", 1, 0, NULL, 0, SESSION_SCENARIO, sizeof SESSION_SCENARIO - 1);
	control_seed("scenario-int64-min", 0, 4, int64_min, sizeof int64_min, SESSION_SCENARIO,
		     sizeof SESSION_SCENARIO - 1);
	control_seed("scenario-flood", 0, 4, flood, sizeof flood, SESSION_SCENARIO,
		     sizeof SESSION_SCENARIO - 1);
	control_seed("mm-garbage", 0, 0, garbage, sizeof garbage, SESSION_MM, sizeof SESSION_MM - 1);
	control_seed("mm-death", 0, 0, death, sizeof death, SESSION_MM, sizeof SESSION_MM - 1);
	control_seed("bad-lines", 0, 4, NULL, 0, SESSION_BAD, sizeof SESSION_BAD - 1);
	memset(overlong, 'a', sizeof overlong);
	overlong[sizeof overlong - 1] = '\n';
	control_seed("overlong-line", 0, NSTATES, NULL, 0, overlong, sizeof overlong);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fuzz_seedgen REPO_ROOT OUT_DIR\n");
		return 2;
	}
	out_dir = argv[2];
	mkdir(out_dir, 0755);
	elf_seeds();
	scenario_seeds(argv[1]);
	memory_seeds();
	control_seeds();
	trace_seeds(out_dir);
	return 0;
}
