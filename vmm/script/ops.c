/*
 * The scenario language's operations (mmap, munmap, mprotect, touch, fill,
 * check, maps) and `help`: the first table of every session.  Each entry
 * parses its words into a statement and runs it on the session's backend,
 * printing the normalised line and its result (docs/scenarios.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/script/scen.h"

#define TEXT_MAX 160

/* ---- parsing ---- */

/* mmap's FLAG words in the transcript's order; [0] is a placement. */
static const char *const mmap_words[] = {
	"noreplace", "shared", "noreserve", "populate", "locked", "growsdown",
};
#define MMAP_WORDS (sizeof(mmap_words) / sizeof(mmap_words[0]))

/* The FLAG words after PROT into st->how (noreplace) and st->flags. */
static int parse_mmap_flags(int argc, char **argv, struct scen_stmt *st, char *msg,
			    size_t msglen)
{
	unsigned seen = 0;

	for (int i = 4; i < argc; i++) {
		unsigned k = 0;

		while (k < MMAP_WORDS && strcmp(argv[i], mmap_words[k]) != 0)
			k++;
		if (k == MMAP_WORDS) {
			scen_set_msg(msg, msglen, "mmap: expected noreplace, shared, noreserve, "
				     "populate, locked or growsdown after PROT, not '%s'", argv[i]);
			return -1;
		}
		if (seen & (1u << k)) {
			scen_set_msg(msg, msglen, "mmap: %s given twice", mmap_words[k]);
			return -1;
		}
		seen |= 1u << k;
	}
	if ((seen & 1u) && st->how == SCEN_MMAP_ANY) {
		scen_set_msg(msg, msglen, "mmap: noreplace needs an address, not -");
		return -1;
	}
	if (seen & 1u)
		st->how = SCEN_MMAP_NOREPLACE;
	st->flags = seen >> 1;   /* SCEN_MAP_* follow the table's order */
	return 0;
}

static int parse_mmap(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	const char *kw = "mmap";

	if (argc < 4 || argc > 4 + (int)MMAP_WORDS) {
		scen_set_msg(msg, msglen, "mmap: expected ADDR LEN PROT [FLAG...] or - LEN PROT [FLAG...]");
		return -1;
	}
	if (strcmp(argv[1], "-") == 0) {
		st->how = SCEN_MMAP_ANY;
		st->addr = 0;
	} else {
		st->how = SCEN_MMAP_FIXED;
		if (scen_number_arg(kw, "ADDR", argv[1], &st->addr, msg, msglen))
			return -1;
	}
	if (scen_number_arg(kw, "LEN", argv[2], &st->len, msg, msglen) ||
	    scen_prot_arg(kw, argv[3], &st->prot, msg, msglen))
		return -1;
	return parse_mmap_flags(argc, argv, st, msg, msglen);
}

static int parse_munmap(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	if (argc != 3) {
		scen_set_msg(msg, msglen, "munmap: expected ADDR LEN");
		return -1;
	}
	if (scen_number_arg("munmap", "ADDR", argv[1], &st->addr, msg, msglen) ||
	    scen_number_arg("munmap", "LEN", argv[2], &st->len, msg, msglen))
		return -1;
	return 0;
}

static int parse_mprotect(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	const char *kw = "mprotect";

	if (argc != 4) {
		scen_set_msg(msg, msglen, "mprotect: expected ADDR LEN PROT");
		return -1;
	}
	if (scen_number_arg(kw, "ADDR", argv[1], &st->addr, msg, msglen) ||
	    scen_number_arg(kw, "LEN", argv[2], &st->len, msg, msglen) ||
	    scen_prot_arg(kw, argv[3], &st->prot, msg, msglen))
		return -1;
	return 0;
}

static int parse_touch(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	if (argc != 4 || (strcmp(argv[3], "read") != 0 && strcmp(argv[3], "write") != 0)) {
		scen_set_msg(msg, msglen, "touch: expected ADDR LEN read|write");
		return -1;
	}
	st->write = strcmp(argv[3], "write") == 0;
	st->how = st->write ? SCEN_ACCESS_WRITE : SCEN_ACCESS_READ;
	if (scen_number_arg("touch", "ADDR", argv[1], &st->addr, msg, msglen) ||
	    scen_number_arg("touch", "LEN", argv[2], &st->len, msg, msglen))
		return -1;
	return 0;
}

/* fill and check ADDR LEN BYTE. */
static int parse_bytes(int argc, char **argv, struct scen_stmt *st, char *msg, size_t msglen)
{
	const char *kw = st->cmd->name;

	if (argc != 4) {
		scen_set_msg(msg, msglen, "%s: expected ADDR LEN BYTE", kw);
		return -1;
	}
	st->how = kw[0] == 'f' ? SCEN_ACCESS_FILL : SCEN_ACCESS_CHECK;
	if (scen_number_arg(kw, "ADDR", argv[1], &st->addr, msg, msglen) ||
	    scen_number_arg(kw, "LEN", argv[2], &st->len, msg, msglen) ||
	    scen_byte_arg(kw, argv[3], &st->byte, msg, msglen))
		return -1;
	return 0;
}

/* ---- running ---- */

int scen_backend_dead(struct script_session *s, struct scen_io *io)
{
	scen_io_msg(io, "%s", s->be->failure);
	return SCEN_CMD_DEAD;
}

int scen_print_result(struct script_session *s, struct scen_io *io, const char *text,
		      const char *result)
{
	fprintf(io->out, "%s -> %s\n", text, result);
	script_session_set_result(s, result);
	return SCEN_CMD_OK;
}

int scen_print_enosys(struct script_session *s, struct scen_io *io, const char *text)
{
	char result[SCEN_RESULT_MAX];

	scen_format_errno(ENOSYS, result, sizeof(result));
	return scen_print_result(s, io, text, result);
}

void scen_format_call(int64_t res, bool is_addr, char *buf, size_t size)
{
	if (res < 0 && res >= -4095)
		scen_format_errno((int)-res, buf, size);
	else if (!is_addr && res == 0)
		snprintf(buf, size, "ok");
	else
		snprintf(buf, size, "0x%" PRIx64, (uint64_t)res);
}

/* The normalised text of an mmap line. */
static void mmap_text(const struct scen_stmt *st, char *text, size_t size)
{
	char prot[4];
	int n;

	scen_format_prot(st->prot, prot);
	if (st->how == SCEN_MMAP_ANY)
		n = snprintf(text, size, "mmap - 0x%" PRIx64 " %s", st->len, prot);
	else
		n = snprintf(text, size, "mmap 0x%" PRIx64 " 0x%" PRIx64 " %s%s", st->addr,
			     st->len, prot, st->how == SCEN_MMAP_NOREPLACE ? " noreplace" : "");
	for (unsigned k = 1; k < MMAP_WORDS && n > 0 && (size_t)n < size; k++)
		if (st->flags & (1u << (k - 1)))
			n += snprintf(text + n, size - (size_t)n, " %s", mmap_words[k]);
}

static int run_mmap(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char text[TEXT_MAX], result[SCEN_RESULT_MAX];
	int64_t res;

	if (s->be->ops->mmap(s->be, st->addr, st->len, st->prot, st->how, st->flags, &res))
		return scen_backend_dead(s, io);
	mmap_text(st, text, sizeof(text));
	scen_format_call(res, true, result, sizeof(result));
	return scen_print_result(s, io, text, result);
}

static int run_munmap(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char text[TEXT_MAX], result[SCEN_RESULT_MAX];
	int64_t res;

	if (s->be->ops->munmap(s->be, st->addr, st->len, &res))
		return scen_backend_dead(s, io);
	snprintf(text, sizeof(text), "munmap 0x%" PRIx64 " 0x%" PRIx64, st->addr, st->len);
	scen_format_call(res, false, result, sizeof(result));
	return scen_print_result(s, io, text, result);
}

static int run_mprotect(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char text[TEXT_MAX], prot[4], result[SCEN_RESULT_MAX];
	int64_t res;

	if (s->be->ops->mprotect(s->be, st->addr, st->len, st->prot, &res))
		return scen_backend_dead(s, io);
	scen_format_prot(st->prot, prot);
	snprintf(text, sizeof(text), "mprotect 0x%" PRIx64 " 0x%" PRIx64 " %s", st->addr,
		 st->len, prot);
	scen_format_call(res, false, result, sizeof(result));
	return scen_print_result(s, io, text, result);
}

static void format_access_result(const struct scen_access_result *r, char *buf, size_t size)
{
	switch (r->status) {
	case SCEN_ACC_OK:
		snprintf(buf, size, "ok");
		break;
	case SCEN_ACC_FAULT:
		snprintf(buf, size, "fault 0x%" PRIx64 " %s", r->addr,
			 r->detail == SCEN_FAULT_ACCERR ? "accerr" :
			 r->detail == SCEN_FAULT_SIGBUS ? "sigbus" : "maperr");
		break;
	case SCEN_ACC_MISMATCH:
		snprintf(buf, size, "mismatch 0x%" PRIx64 " 0x%02x", r->addr, r->detail & 0xff);
		break;
	case SCEN_ACC_ERROR:
		scen_format_errno((int)r->detail, buf, size);
		break;
	}
}

/* touch, fill, check: st->how is the SCEN_ACCESS_* operation. */
static int run_access(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	char text[TEXT_MAX], result[SCEN_RESULT_MAX];
	struct scen_access_result acc;

	if (s->be->ops->access(s->be, (enum scen_access_op)st->how, st->addr, st->len,
			       st->byte, &acc))
		return scen_backend_dead(s, io);
	if (st->how == SCEN_ACCESS_READ || st->how == SCEN_ACCESS_WRITE)
		snprintf(text, sizeof(text), "touch 0x%" PRIx64 " 0x%" PRIx64 " %s", st->addr,
			 st->len, st->write ? "write" : "read");
	else
		snprintf(text, sizeof(text), "%s 0x%" PRIx64 " 0x%" PRIx64 " 0x%02x",
			 st->cmd->name, st->addr, st->len, st->byte);
	format_access_result(&acc, result, sizeof(result));
	return scen_print_result(s, io, text, result);
}

int scen_window_maps(struct script_session *s, struct scen_map **maps, size_t *n)
{
	size_t kept = 0;

	*maps = NULL;
	*n = 0;
	if (s->be->ops->maps(s->be, SCEN_WINDOW_START, SCEN_WINDOW_END, maps, n))
		return -1;
	for (size_t i = 0; i < *n; i++)
		if ((*maps)[i].end > SCEN_WINDOW_START && (*maps)[i].start < SCEN_WINDOW_END)
			(*maps)[kept++] = (*maps)[i];
	*n = kept;
	return 0;
}

void scen_print_maps(const struct scen_map *maps, size_t n, FILE *out)
{
	char line[64];

	for (size_t i = 0; i < n; i++) {
		scen_format_map(&maps[i], line, sizeof(line));
		fprintf(out, "%s\n", line);
	}
}

static int run_maps(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct script_session *s = ctx;
	struct scen_map *maps;
	size_t n;

	(void)st;
	if (scen_window_maps(s, &maps, &n))
		return scen_backend_dead(s, io);
	fprintf(io->out, "maps:\n");
	scen_print_maps(maps, n, io->out);
	free(maps);
	return SCEN_CMD_OK;
}

static const struct scen_cmd op_cmds[] = {
	{ "mmap", "ADDR|- LEN PROT [FLAG...]",
	  "map anonymous memory at ADDR (MAP_FIXED), or anywhere (-); FLAG: noreplace "
	  "shared noreserve populate locked growsdown",
	  3, 3 + MMAP_WORDS, parse_mmap, run_mmap },
	{ "munmap", "ADDR LEN", "unmap", 2, 2, parse_munmap, run_munmap },
	{ "mprotect", "ADDR LEN PROT", "change the protection", 3, 3, parse_mprotect, run_mprotect },
	{ "touch", "ADDR LEN read|write", "one user-mode access to every page",
	  3, 3, parse_touch, run_access },
	{ "fill", "ADDR LEN BYTE", "user-mode write of BYTE to every byte",
	  3, 3, parse_bytes, run_access },
	{ "check", "ADDR LEN BYTE", "user-mode read of every byte, compared with BYTE",
	  3, 3, parse_bytes, run_access },
	{ "maps", "", "the mappings in the scenario window", 0, 0, scen_parse_no_args, run_maps },
	{ "mremap", "ADDR OLDLEN NEWLEN [maymove] [dontunmap] [fixed NEWADDR]",
	  "resize or move a mapping", 3, 7, scen_parse_mremap, scen_run_mremap },
	{ "madvise", "ADDR LEN ADVICE", "advise (normal random sequential dontneed dontfork "
	  "dofork wipeonfork keeponfork populate_read populate_write)",
	  3, 3, scen_parse_madvise, scen_run_madvise },
	{ "mlock", "ADDR LEN [onfault]", "lock (mlock2, MLOCK_ONFAULT with onfault)",
	  2, 3, scen_parse_mlock, scen_run_mlock },
	{ "munlock", "ADDR LEN", "unlock", 2, 2, scen_parse_munlock, scen_run_munlock },
	{ "fork", "", "the current process forks; prints the child's number",
	  0, 0, scen_parse_no_args, scen_run_fork },
	{ "process", "N", "make process N current", 1, 1, scen_parse_process, scen_run_process },
	{ "exit", "", "the current process exits; its parent (or process 1) becomes current",
	  0, 0, scen_parse_no_args, scen_run_exit },
	{ "cpu", "N", "run the following operations on CPU N", 1, 1, scen_parse_cpu, scen_run_cpu },
	{ "help", "", "this list", 0, 0, scen_parse_no_args, scen_run_help },
};

const struct scen_cmd_table scen_operations = { op_cmds, sizeof(op_cmds) / sizeof(op_cmds[0]) };
