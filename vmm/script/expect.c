/*
 * The scenario language's expectations (expect result, maps ... end,
 * mapped, unmapped, vmas): the second table of every session.  Each prints
 * its normalised line and "-> ok" or "-> FAIL: ..." (docs/scenarios.md).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/script/scen.h"

#define PAGE_4K            0x1000ULL
#define PAGE_MASK_4K       0xfffULL
#define PTE_BATCH_PAGES    65536u   /* pages asked of the backend at once */

/* ---- expect result ---- */

/* One-word VALUE: ok, an errno name, ERRNO_N or a number. */
static int result_word(const char *w, char *out, size_t size, char *msg, size_t msglen)
{
	const char *kw = "expect result";
	uint64_t v;

	if (strcmp(w, "ok") == 0) {
		snprintf(out, size, "ok");
		return 0;
	}
	if (w[0] == 'E' && scen_errno_from_name(w) != 0) {
		snprintf(out, size, "%s", w);
		return 0;
	}
	if (strncmp(w, "ERRNO_", 6) == 0 && scen_parse_number(w + 6, &v) == 0 && v > 0 &&
	    v < 4096 && strspn(w + 6, "0123456789") == strlen(w + 6)) {
		scen_format_errno((int)v, out, size);
		return 0;
	}
	if (w[0] >= '0' && w[0] <= '9') {
		if (scen_number_arg(kw, "VALUE", w, &v, msg, msglen))
			return -1;
		snprintf(out, size, "0x%" PRIx64, v);
		return 0;
	}
	scen_set_msg(msg, msglen, "%s: '%s' is not ok, an errno name, an address, "
		     "fault ADDR maperr|accerr|sigbus or mismatch ADDR BYTE", kw, w);
	return -1;
}

/* Normalise the VALUE of `expect result` into st->text. */
static int parse_result(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	const char *kw = "expect result";
	char **a = argv + 2;
	uint64_t v;
	uint8_t byte;

	if (argc < 3) {
		scen_set_msg(msg, msglen, "expect result: expected a VALUE");
		return -1;
	}
	if (argc == 3)
		return result_word(a[0], st->text, sizeof(st->text), msg, msglen);
	if (argc == 5 && strcmp(a[0], "fault") == 0) {
		if (scen_number_arg(kw, "ADDR", a[1], &v, msg, msglen))
			return -1;
		if (strcmp(a[2], "maperr") != 0 && strcmp(a[2], "accerr") != 0 &&
		    strcmp(a[2], "sigbus") != 0) {
			scen_set_msg(msg, msglen, "%s: fault kind '%s' is not maperr, accerr or sigbus",
				     kw, a[2]);
			return -1;
		}
		snprintf(st->text, sizeof(st->text), "fault 0x%" PRIx64 " %s", v, a[2]);
		return 0;
	}
	if (argc == 5 && strcmp(a[0], "mismatch") == 0) {
		if (scen_number_arg(kw, "ADDR", a[1], &v, msg, msglen) ||
		    scen_byte_arg(kw, a[2], &byte, msg, msglen))
			return -1;
		snprintf(st->text, sizeof(st->text), "mismatch 0x%" PRIx64 " 0x%02x", v, byte);
		return 0;
	}
	scen_set_msg(msg, msglen, "%s: expected ok, an errno name, an address, "
		     "fault ADDR maperr|accerr|sigbus or mismatch ADDR BYTE", kw);
	return -1;
}

/* Do two result texts say the same?  Numbers compare as values, so that
 * `expect result 2` holds after `fork -> 2` (a decimal result). */
static bool same_result(const char *got, const char *want)
{
	uint64_t a, b;

	if (strcmp(got, want) == 0)
		return true;
	return got[0] >= '0' && got[0] <= '9' && want[0] >= '0' && want[0] <= '9' &&
	       scen_parse_number(got, &a) == 0 && scen_parse_number(want, &b) == 0 && a == b;
}

static int run_result(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;

	if (!s->has_prev) {
		fprintf(io->out, "expect result %s -> FAIL: no operation before it\n", st->text);
		return SCEN_CMD_FAIL;
	}
	if (!same_result(s->prev, st->text)) {
		fprintf(io->out, "expect result %s -> FAIL: %s\n", st->text, s->prev);
		return SCEN_CMD_FAIL;
	}
	fprintf(io->out, "expect result %s -> ok\n", st->text);
	return SCEN_CMD_OK;
}

/* ---- expect maps ... end ---- */

static int parse_maps(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	(void)argv;
	(void)st;
	if (argc != 2) {
		scen_set_msg(msg, msglen, "expect maps: expected nothing after 'maps' "
			     "(the mapping lines follow, then 'end')");
		return -1;
	}
	return SCEN_PARSE_BLOCK;
}

static bool maps_equal(const struct scen_map *a, size_t na, const struct scen_map *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].start != b[i].start || a[i].end != b[i].end ||
		    a[i].prot != b[i].prot || a[i].shared != b[i].shared)
			return false;
	return true;
}

static int run_maps(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	struct scen_map *maps;
	size_t n;
	int ret = SCEN_CMD_OK;

	if (scen_window_maps(s, &maps, &n))
		return scen_backend_dead(s, io);
	if (maps_equal(maps, n, st->maps, st->nmaps)) {
		fprintf(io->out, "expect maps -> ok\n");
	} else {
		fprintf(io->out, "expect maps -> FAIL: got\n");
		scen_print_maps(maps, n, io->out);
		ret = SCEN_CMD_FAIL;
	}
	free(maps);
	return ret;
}

/* ---- expect mapped / unmapped ---- */

static int parse_pages(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	const char *kw = st->cmd->name;

	if (argc != 4) {
		scen_set_msg(msg, msglen, "%s: expected ADDR LEN", kw);
		return -1;
	}
	if (scen_number_arg(kw, "ADDR", argv[2], &st->addr, msg, msglen) ||
	    scen_number_arg(kw, "LEN", argv[3], &st->len, msg, msglen))
		return -1;
	if (st->addr > UINT64_MAX - PAGE_MASK_4K || st->len > UINT64_MAX - PAGE_MASK_4K - st->addr) {
		scen_set_msg(msg, msglen, "%s: the range wraps around the address space", kw);
		return -1;
	}
	if (st->len > SCEN_EXPECT_RANGE_MAX) {
		scen_set_msg(msg, msglen, "%s: LEN is larger than the 1G this check accepts", kw);
		return -1;
	}
	st->write = strcmp(kw, "expect mapped") == 0;   /* the presence wanted */
	/* expect shared / exclusive: the page state wanted */
	st->how = strcmp(kw, "expect shared") == 0 ? SCEN_PAGE_SHARED : SCEN_PAGE_EXCLUSIVE;
	return 0;
}

/* The pages [first, first + npages) of a range (page aligned first). */
static void range_pages(uint64_t addr, uint64_t len, uint64_t *first, uint64_t *npages)
{
	*first = addr & ~(PAGE_4K - 1);
	*npages = len ? (addr + len - *first + PAGE_4K - 1) / PAGE_4K : 0;
}

/*
 * Find the first page of [addr, addr + len) whose presence differs from
 * want.  Returns 0 (*found set if one does), or -1 if the backend died.
 */
static int find_pte_mismatch(struct script_session *s, uint64_t addr, uint64_t len,
			     bool want, bool *found, uint64_t *page)
{
	uint64_t first, npages;
	bool *present = NULL;
	int ret = 0;

	range_pages(addr, len, &first, &npages);
	*found = false;
	if (npages)
		present = malloc((npages < PTE_BATCH_PAGES ? npages : PTE_BATCH_PAGES) * sizeof(bool));
	if (npages && !present) {
		snprintf(s->be->failure, sizeof(s->be->failure), "out of memory");
		return -1;
	}
	for (uint64_t done = 0; done < npages && !*found;) {
		uint64_t n = npages - done < PTE_BATCH_PAGES ? npages - done : PTE_BATCH_PAGES;
		uint64_t base = first + done * PAGE_4K;

		if (s->be->ops->pte_present(s->be, base, n, present)) {
			ret = -1;
			break;
		}
		for (uint64_t i = 0; i < n; i++) {
			if (present[i] != want) {
				*found = true;
				*page = base + i * PAGE_4K;
				break;
			}
		}
		done += n;
	}
	free(present);
	return ret;
}

static int run_pages(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	uint64_t page;
	bool found;

	if (find_pte_mismatch(s, st->addr, st->len, st->write, &found, &page))
		return scen_backend_dead(s, io);
	fprintf(io->out, "%s 0x%" PRIx64 " 0x%" PRIx64 " -> ", st->cmd->name, st->addr, st->len);
	if (!found) {
		fprintf(io->out, "ok\n");
		return SCEN_CMD_OK;
	}
	fprintf(io->out, "FAIL: 0x%" PRIx64 " %s\n", page, st->write ? "unmapped" : "mapped");
	return SCEN_CMD_FAIL;
}

/* ---- expect shared / exclusive ---- */

/*
 * Find the first page of [addr, addr + len) whose SCEN_PAGE_* state is not
 * want.  Returns 0 (*found, *page and *state set if one is), or -1 if the
 * backend died.
 */
static int find_share_mismatch(struct script_session *s, uint64_t addr, uint64_t len,
			       unsigned want, bool *found, uint64_t *page, uint8_t *state)
{
	uint64_t first, npages;
	uint8_t *v = NULL;
	int ret = 0;

	*found = false;
	range_pages(addr, len, &first, &npages);
	if (npages)
		v = malloc(npages < PTE_BATCH_PAGES ? npages : PTE_BATCH_PAGES);
	if (npages && !v) {
		snprintf(s->be->failure, sizeof(s->be->failure), "out of memory");
		return -1;
	}
	for (uint64_t done = 0; done < npages && !*found;) {
		uint64_t n = npages - done < PTE_BATCH_PAGES ? npages - done : PTE_BATCH_PAGES;
		uint64_t base = first + done * PAGE_4K;

		if (s->be->ops->page_share(s->be, base, n, v)) {
			ret = -1;
			break;
		}
		for (uint64_t i = 0; i < n && !*found; i++) {
			if (v[i] != want) {
				*found = true;
				*page = base + i * PAGE_4K;
				*state = v[i];
			}
		}
		done += n;
	}
	free(v);
	return ret;
}

/* FAIL: the first page that does not hold and what it is (unmapped,
 * exclusive or shared), as `expect mapped` names it. */
static int run_share(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	uint64_t page;
	uint8_t state;
	bool found;

	if (!s->be->ops->page_share) {
		fprintf(io->out, "%s 0x%" PRIx64 " 0x%" PRIx64 " -> FAIL: ENOSYS\n", st->cmd->name,
			st->addr, st->len);
		return SCEN_CMD_FAIL;
	}
	if (find_share_mismatch(s, st->addr, st->len, st->how, &found, &page, &state))
		return scen_backend_dead(s, io);
	fprintf(io->out, "%s 0x%" PRIx64 " 0x%" PRIx64 " -> ", st->cmd->name, st->addr, st->len);
	if (!found) {
		fprintf(io->out, "ok\n");
		return SCEN_CMD_OK;
	}
	fprintf(io->out, "FAIL: 0x%" PRIx64 " %s\n", page,
		state == SCEN_PAGE_SHARED ? "shared" :
		state == SCEN_PAGE_EXCLUSIVE ? "exclusive" : "unmapped");
	return SCEN_CMD_FAIL;
}

/* ---- expect vmas ---- */

static int parse_vmas(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	if (argc != 3) {
		scen_set_msg(msg, msglen, "expect vmas: expected a count N");
		return -1;
	}
	return scen_number_arg("expect vmas", "N", argv[2], &st->n, msg, msglen);
}

static int run_vmas(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	uint64_t count;

	if (s->be->ops->vma_count(s->be, &count))
		return scen_backend_dead(s, io);
	if (count != st->n) {
		fprintf(io->out, "expect vmas %" PRIu64 " -> FAIL: %" PRIu64 "\n", st->n, count);
		return SCEN_CMD_FAIL;
	}
	fprintf(io->out, "expect vmas %" PRIu64 " -> ok\n", st->n);
	return SCEN_CMD_OK;
}

static const struct scen_cmd expect_cmds[] = {
	{ "expect result", "VALUE", "the previous operation's result was VALUE",
	  1, 3, parse_result, run_result },
	{ "expect maps", "", "the mapping lines that follow, up to 'end', are what maps prints",
	  0, 0, parse_maps, run_maps },
	{ "expect mapped", "ADDR LEN", "every page of the range has a present page-table entry",
	  2, 2, parse_pages, run_pages },
	{ "expect unmapped", "ADDR LEN", "no page of the range has a present page-table entry",
	  2, 2, parse_pages, run_pages },
	{ "expect vmas", "N", "the address space holds exactly N mappings",
	  1, 1, parse_vmas, run_vmas },
	{ "expect shared", "ADDR LEN",
	  "every page of the range is present and mapped more than once (or the zero page)",
	  2, 2, parse_pages, run_share },
	{ "expect exclusive", "ADDR LEN",
	  "every page of the range is present and mapped by this entry alone",
	  2, 2, parse_pages, run_share },
};

const struct scen_cmd_table scen_expectations = {
	expect_cmds, sizeof(expect_cmds) / sizeof(expect_cmds[0])
};
