/*
 * A fake scenario backend for the engine's unit tests: it records every
 * call in a log and answers what the test set up (fake_backend.h).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/scenario/fake_backend.h"

void logf_(struct fake *f, const char *fmt, uint64_t a, uint64_t b)
{
	size_t n = strlen(f->log);

	snprintf(f->log + n, sizeof(f->log) - n, fmt, (unsigned long long)a,
		 (unsigned long long)b);
}

static int fake_tick(struct fake *f)
{
	if (f->die_after == 0) {
		snprintf(f->be.failure, sizeof(f->be.failure), "fake death");
		return -1;
	}
	if (f->die_after > 0)
		f->die_after--;
	return 0;
}

static int fake_mmap(struct scen_backend *be, uint64_t addr, uint64_t len,
		     unsigned prot, unsigned how, unsigned flags, int64_t *result)
{
	struct fake *f = (struct fake *)be;

	(void)prot;
	f->mmap_flags = flags;
	if (fake_tick(f))
		return -1;
	logf_(f, "mmap %llx %llx\n", addr, len);
	*result = how == SCEN_MMAP_ANY ? 0x7f0000000000LL : (addr & 0xfff) ? -22 : (int64_t)addr;
	return 0;
}

static int fake_munmap(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logf_(f, "munmap %llx %llx\n", addr, len);
	*result = (addr & 0xfff) ? -22 : 0;
	return 0;
}

static int fake_mprotect(struct scen_backend *be, uint64_t addr, uint64_t len,
			 unsigned prot, int64_t *result)
{
	struct fake *f = (struct fake *)be;

	(void)prot;
	if (fake_tick(f))
		return -1;
	logf_(f, "mprotect %llx %llx\n", addr, len);
	*result = -12;
	return 0;
}

static int fake_access(struct scen_backend *be, enum scen_access_op op, uint64_t addr,
		       uint64_t len, uint8_t byte, struct scen_access_result *res)
{
	struct fake *f = (struct fake *)be;

	(void)byte;
	if (fake_tick(f))
		return -1;
	logf_(f, "access %llx %llx\n", addr, len);
	(void)op;
	*res = f->access;
	return 0;
}

static int fake_maps(struct scen_backend *be, uint64_t lo, uint64_t hi,
		     struct scen_map **maps, size_t *n)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logf_(f, "maps %llx %llx\n", lo, hi);
	*maps = malloc(sizeof(f->maps));
	memcpy(*maps, f->maps, sizeof(f->maps));
	*n = f->nmaps;
	return 0;
}

static int fake_vma_count(struct scen_backend *be, uint64_t *count)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	*count = f->vmas;
	return 0;
}

static int fake_pte_present(struct scen_backend *be, uint64_t addr, uint64_t npages,
			    bool *present)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logf_(f, "pte %llx %llx\n", addr, npages);
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t page = addr / 0x1000 + i;

		present[i] = page >= f->present_from && page < f->present_to;
	}
	return 0;
}

static void fake_destroy(struct scen_backend *be)
{
	(void)be;
}


/* ---- version 2 ---- */

static void logp(struct fake *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logp(struct fake *f, const char *fmt, ...)
{
	size_t n = strlen(f->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->log + n, sizeof(f->log) - n, fmt, ap);
	va_end(ap);
}

static int fake_mremap(struct scen_backend *be, uint64_t addr, uint64_t old_len,
		       uint64_t new_len, unsigned flags, uint64_t new_addr, int64_t *result)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logp(f, "mremap %" PRIx64 " %" PRIx64 " %" PRIx64 " %x %" PRIx64 "\n", addr, old_len,
	     new_len, flags, new_addr);
	*result = f->v2_result ? f->v2_result :
		  flags & SCEN_MREMAP_FIXED ? (int64_t)new_addr : (int64_t)addr;
	return 0;
}

static int fake_madvise(struct scen_backend *be, uint64_t addr, uint64_t len,
			enum scen_advice advice, int64_t *result)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logp(f, "madvise %" PRIx64 " %" PRIx64 " %d\n", addr, len, (int)advice);
	*result = f->v2_result;
	return 0;
}

static int fake_mlock(struct scen_backend *be, uint64_t addr, uint64_t len, bool onfault,
		      int64_t *result)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logp(f, "mlock %" PRIx64 " %" PRIx64 " %d\n", addr, len, onfault);
	*result = f->v2_result;
	return 0;
}

static int fake_munlock(struct scen_backend *be, uint64_t addr, uint64_t len, int64_t *result)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logf_(f, "munlock %llx %llx\n", addr, len);
	*result = f->v2_result;
	return 0;
}

static int fake_fork(struct scen_backend *be, unsigned *child, int64_t *result)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	*result = f->fork_result;
	if (*result == 0)
		*child = f->next_handle++;
	logp(f, "fork %u -> %" PRId64 "\n", f->selected, *result == 0 ? (int64_t)*child : *result);
	return 0;
}

static int fake_select(struct scen_backend *be, unsigned handle)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logp(f, "select %u\n", handle);
	f->selected = handle;
	return 0;
}

static int fake_exit(struct scen_backend *be, unsigned handle)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logp(f, "exit %u\n", handle);
	f->selected = ~0u;
	return 0;
}

static int fake_set_cpu(struct scen_backend *be, unsigned cpu)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logp(f, "cpu %u\n", cpu);
	return 0;
}

static int fake_page_share(struct scen_backend *be, uint64_t addr, uint64_t npages,
			   uint8_t *state)
{
	struct fake *f = (struct fake *)be;

	if (fake_tick(f))
		return -1;
	logf_(f, "share %llx %llx\n", addr, npages);
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t page = addr / 0x1000 + i - 0x100000000ULL;

		state[i] = page < 16 ? f->share[page] : SCEN_PAGE_NONE;
	}
	return 0;
}

static const struct scen_backend_ops fake_ops = {
	.name = "fake",
	.mmap = fake_mmap,
	.munmap = fake_munmap,
	.mprotect = fake_mprotect,
	.access = fake_access,
	.maps = fake_maps,
	.vma_count = fake_vma_count,
	.pte_present = fake_pte_present,
	.destroy = fake_destroy,
	.mremap = fake_mremap,
	.madvise = fake_madvise,
	.mlock = fake_mlock,
	.munlock = fake_munlock,
	.fork = fake_fork,
	.select = fake_select,
	.exit = fake_exit,
	.set_cpu = fake_set_cpu,
	.page_share = fake_page_share,
};

/* The same backend without the version-2 operations. */
const struct scen_backend_ops fake_ops_v1 = {
	.name = "fake",
	.mmap = fake_mmap,
	.munmap = fake_munmap,
	.mprotect = fake_mprotect,
	.access = fake_access,
	.maps = fake_maps,
	.vma_count = fake_vma_count,
	.pte_present = fake_pte_present,
	.destroy = fake_destroy,
};

struct fake fake;

void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
	fake.be.ops = &fake_ops;
	fake.die_after = -1;
	fake.next_handle = 10;
}

/* Run text as a file through the fake backend; out/err are malloc'ed. */
int run_text(const char *text, char **out, char **err)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	size_t ol, el;
	FILE *o = open_memstream(out, &ol), *e = open_memstream(err, &el);
	int r;

	cr_assert(in && o && e);
	r = script_run_file(in, "t.scn", &fake.be, o, e);
	fclose(in);
	fclose(o);
	fclose(e);
	return r;
}

int run_stream_text(const char *text, char **out, char **err)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	size_t ol, el;
	FILE *o = open_memstream(out, &ol), *e = open_memstream(err, &el);
	int r;

	cr_assert(in && o && e);
	r = script_run_stream(in, "<stdin>", &fake.be, o, e, NULL);
	fclose(in);
	fclose(o);
	fclose(e);
	return r;
}

/* Expect text to run with status and print exactly transcript. */
void check_run(const char *text, int status, const char *transcript)
{
	char *out, *err;
	int r;

	fake_reset();
	r = run_text(text, &out, &err);
	cr_expect_eq(r, status, "status %d, expected %d; stderr: %s", r, status, err);
	cr_expect_str_eq(out, transcript);
	free(out);
	free(err);
}

/* Expect text to be refused with "t.scn:LINE: ..." mentioning what, nothing run. */
void check_parse_error(const char *text, unsigned line, const char *what)
{
	char *out, *err, prefix[32];
	int r;

	fake_reset();
	r = run_text(text, &out, &err);
	cr_expect_eq(r, SCRIPT_PARSE, "status %d for %s", r, text);
	snprintf(prefix, sizeof(prefix), "t.scn:%u: ", line);
	cr_expect(strncmp(err, prefix, strlen(prefix)) == 0, "stderr '%s' lacks '%s'", err, prefix);
	cr_expect(strstr(err, what) != NULL, "stderr '%s' lacks '%s'", err, what);
	cr_expect_str_eq(out, "");
	cr_expect_str_eq(fake.log, "", "ran something: %s", fake.log);
	free(out);
	free(err);
}

