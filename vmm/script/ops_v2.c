/*
 * The memory operations of language version 2: mremap, madvise, mlock and
 * munlock (docs/scenarios.md).  Entries of the engine's operation table
 * (ops.c); a backend without the operation makes the line print ENOSYS.
 */
#include <inttypes.h>
#include <string.h>

#include "vmm/script/scen.h"

#define TEXT_MAX 192

static const char *const advice_words[SCEN_ADV_COUNT] = {
	[SCEN_ADV_NORMAL] = "normal",
	[SCEN_ADV_RANDOM] = "random",
	[SCEN_ADV_SEQUENTIAL] = "sequential",
	[SCEN_ADV_DONTNEED] = "dontneed",
	[SCEN_ADV_DONTFORK] = "dontfork",
	[SCEN_ADV_DOFORK] = "dofork",
	[SCEN_ADV_WIPEONFORK] = "wipeonfork",
	[SCEN_ADV_KEEPONFORK] = "keeponfork",
	[SCEN_ADV_POPULATE_READ] = "populate_read",
	[SCEN_ADV_POPULATE_WRITE] = "populate_write",
};

const char *scen_advice_name(enum scen_advice advice)
{
	return (unsigned)advice < SCEN_ADV_COUNT ? advice_words[advice] : NULL;
}

/* ADDR LEN of kw into st: 0 or -1 with msg. */
static int range_args(const char *kw, char **argv, struct scen_stmt *st, char *msg,
		      size_t msglen)
{
	if (scen_number_arg(kw, "ADDR", argv[1], &st->addr, msg, msglen) ||
	    scen_number_arg(kw, "LEN", argv[2], &st->len, msg, msglen))
		return -1;
	return 0;
}

/* ---- mremap ADDR OLDLEN NEWLEN [maymove] [dontunmap] [fixed NEWADDR] ---- */

/* One word (or `fixed NEWADDR`) at argv[*i] into st; advances *i. */
static int mremap_word(int argc, char **argv, int *i, struct scen_stmt *st, char *msg,
		       size_t msglen)
{
	static const char *const words[] = { "maymove", "dontunmap", "fixed" };
	unsigned k = 0;

	while (k < 3 && strcmp(argv[*i], words[k]) != 0)
		k++;
	if (k == 3) {
		scen_set_msg(msg, msglen, "mremap: expected maymove, dontunmap or fixed NEWADDR "
			     "after NEWLEN, not '%s'", argv[*i]);
		return -1;
	}
	if (st->flags & (1u << k)) {
		scen_set_msg(msg, msglen, "mremap: %s given twice", words[k]);
		return -1;
	}
	st->flags |= 1u << k;   /* SCEN_MREMAP_* follow the words' order */
	if (1u << k == SCEN_MREMAP_FIXED) {
		if (*i + 1 >= argc) {
			scen_set_msg(msg, msglen, "mremap: fixed needs NEWADDR");
			return -1;
		}
		++*i;
		if (scen_number_arg("mremap", "NEWADDR", argv[*i], &st->addr2, msg, msglen))
			return -1;
	}
	++*i;
	return 0;
}

int scen_parse_mremap(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	if (argc < 4) {
		scen_set_msg(msg, msglen, "mremap: expected ADDR OLDLEN NEWLEN [maymove] "
			     "[dontunmap] [fixed NEWADDR]");
		return -1;
	}
	if (scen_number_arg("mremap", "ADDR", argv[1], &st->addr, msg, msglen) ||
	    scen_number_arg("mremap", "OLDLEN", argv[2], &st->len, msg, msglen) ||
	    scen_number_arg("mremap", "NEWLEN", argv[3], &st->n, msg, msglen))
		return -1;
	st->flags = 0;
	for (int i = 4; i < argc;)
		if (mremap_word(argc, argv, &i, st, msg, msglen))
			return -1;
	return 0;
}

int scen_run_mremap(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char text[TEXT_MAX], result[SCEN_RESULT_MAX];
	int64_t res;
	int n;

	n = snprintf(text, sizeof(text), "mremap 0x%" PRIx64 " 0x%" PRIx64 " 0x%" PRIx64 "%s%s",
		     st->addr, st->len, st->n,
		     st->flags & SCEN_MREMAP_MAYMOVE ? " maymove" : "",
		     st->flags & SCEN_MREMAP_DONTUNMAP ? " dontunmap" : "");
	if ((st->flags & SCEN_MREMAP_FIXED) && n > 0 && (size_t)n < sizeof(text))
		snprintf(text + n, sizeof(text) - (size_t)n, " fixed 0x%" PRIx64, st->addr2);
	if (!s->be->ops->mremap)
		return scen_print_enosys(s, io, text);
	if (s->be->ops->mremap(s->be, st->addr, st->len, st->n, st->flags,
			       st->flags & SCEN_MREMAP_FIXED ? st->addr2 : 0, &res))
		return scen_backend_dead(s, io);
	scen_format_call(res, true, result, sizeof(result));
	return scen_print_result(s, io, text, result);
}

/* ---- madvise ADDR LEN ADVICE ---- */

int scen_parse_madvise(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	unsigned k = 0;

	if (argc != 4) {
		scen_set_msg(msg, msglen, "madvise: expected ADDR LEN ADVICE");
		return -1;
	}
	if (range_args("madvise", argv, st, msg, msglen))
		return -1;
	while (k < SCEN_ADV_COUNT && strcmp(argv[3], advice_words[k]) != 0)
		k++;
	if (k == SCEN_ADV_COUNT) {
		scen_set_msg(msg, msglen, "madvise: ADVICE '%s' is not normal, random, sequential, "
			     "dontneed, dontfork, dofork, wipeonfork, keeponfork, populate_read "
			     "or populate_write", argv[3]);
		return -1;
	}
	st->how = k;
	return 0;
}

int scen_run_madvise(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char text[TEXT_MAX], result[SCEN_RESULT_MAX];
	int64_t res;

	snprintf(text, sizeof(text), "madvise 0x%" PRIx64 " 0x%" PRIx64 " %s", st->addr, st->len,
		 advice_words[st->how]);
	if (!s->be->ops->madvise)
		return scen_print_enosys(s, io, text);
	if (s->be->ops->madvise(s->be, st->addr, st->len, (enum scen_advice)st->how, &res))
		return scen_backend_dead(s, io);
	scen_format_call(res, false, result, sizeof(result));
	return scen_print_result(s, io, text, result);
}

/* ---- mlock ADDR LEN [onfault], munlock ADDR LEN ---- */

int scen_parse_mlock(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	if ((argc != 3 && argc != 4) || (argc == 4 && strcmp(argv[3], "onfault") != 0)) {
		scen_set_msg(msg, msglen, "mlock: expected ADDR LEN [onfault]");
		return -1;
	}
	st->flags = argc == 4;
	return range_args("mlock", argv, st, msg, msglen);
}

int scen_run_mlock(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char text[TEXT_MAX], result[SCEN_RESULT_MAX];
	int64_t res;

	snprintf(text, sizeof(text), "mlock 0x%" PRIx64 " 0x%" PRIx64 "%s", st->addr, st->len,
		 st->flags ? " onfault" : "");
	if (!s->be->ops->mlock)
		return scen_print_enosys(s, io, text);
	if (s->be->ops->mlock(s->be, st->addr, st->len, st->flags != 0, &res))
		return scen_backend_dead(s, io);
	scen_format_call(res, false, result, sizeof(result));
	return scen_print_result(s, io, text, result);
}

int scen_parse_munlock(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	if (argc != 3) {
		scen_set_msg(msg, msglen, "munlock: expected ADDR LEN");
		return -1;
	}
	return range_args("munlock", argv, st, msg, msglen);
}

int scen_run_munlock(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char text[TEXT_MAX], result[SCEN_RESULT_MAX];
	int64_t res;

	snprintf(text, sizeof(text), "munlock 0x%" PRIx64 " 0x%" PRIx64, st->addr, st->len);
	if (!s->be->ops->munlock)
		return scen_print_enosys(s, io, text);
	if (s->be->ops->munlock(s->be, st->addr, st->len, &res))
		return scen_backend_dead(s, io);
	scen_format_call(res, false, result, sizeof(result));
	return scen_print_result(s, io, text, result);
}
