/*
 * Reader and model together (tlbcheck.h): drain what the guest logged into
 * the model, and the verdict in the words of the `tlbcheck` command.
 */
#include <errno.h>
#include <inttypes.h>

#include "vmm/inspect/json.h"
#include "vmm/tlbcheck/tlbcheck.h"

int tlbcheck_init(struct tlbcheck *tc, uint32_t cap)
{
	*tc = (struct tlbcheck){ 0 };
	tc->m = tlb_model_new(cap);
	return tc->m ? 0 : -ENOMEM;
}

void tlbcheck_fini(struct tlbcheck *tc)
{
	tlb_model_free(tc->m);
	tc->m = NULL;
}

/* The model hears of lost events before the next record it is fed. */
static void tell_lost(struct tlbcheck *tc)
{
	if (tc->rd.lost != tc->lost_told) {
		tlb_model_lost(tc->m, tc->rd.lost - tc->lost_told);
		tc->lost_told = tc->rd.lost;
	}
}

static int feed(void *arg, const struct tlblog_rec *r)
{
	struct tlbcheck *tc = arg;

	tell_lost(tc);
	return tlb_model_feed(tc->m, r);
}

void tlbcheck_drain(struct tlbcheck *tc, const struct gmem *g)
{
	char msg[TLBCHECK_MSG_MAX - 64];
	int a;
	long n;

	if (tc->refused)
		return;
	a = tlblog_attach(&tc->rd, g, msg, sizeof msg);
	if (a == 0)
		return;
	tc->seen = true;
	if (a > 0) {
		/* One ring's worth per drain: whatever arrives meanwhile waits. */
		n = tlblog_read(&tc->rd, g, feed, tc, tc->rd.recs, msg, sizeof msg);
		tell_lost(tc);
		if (n >= 0)
			return;
	}
	tlb_model_refuse(tc->m, msg);
	tc->refused = true;               /* read nothing more */
}

enum tlbcheck_verdict tlbcheck_verdict(const struct tlbcheck *tc, char *msg, size_t len,
				       struct tlbcheck_counts *c)
{
	if (!tc->seen) {
		*c = (struct tlbcheck_counts){ 0 };
		snprintf(msg, len, "tlb: the guest keeps no TLB log");
		return TLBV_OFF;
	}
	return tlb_model_verdict(tc->m, msg, len, c);
}

const char *tlbcheck_verdict_name(enum tlbcheck_verdict v)
{
	static const char *const names[] = {
		[TLBV_OFF] = "off", [TLBV_CLEAN] = "clean", [TLBV_VIOLATION] = "violation",
		[TLBV_LOST] = "lost", [TLBV_CAPACITY] = "capacity", [TLBV_REFUSED] = "refused",
	};
	return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "?";
}

void tlbcheck_print(FILE *out, enum tlbcheck_verdict v, const char *msg,
		    const struct tlbcheck_counts *c, bool json)
{
	if (json) {
		fprintf(out, "{\"verdict\":\"%s\",\"events\":%" PRIu64 ",\"frames_checked\":%" PRIu64
			",\"tables_checked\":%" PRIu64 ",\"stale\":%" PRIu64 ",\"lost\":%" PRIu64
			",\"violations\":%" PRIu64 ",\"message\":", tlbcheck_verdict_name(v), c->events,
			c->frames_checked, c->tables_checked, c->stale, c->lost, c->violations);
		if (v == TLBV_CLEAN)
			fputs("null", out);
		else
			json_str(out, msg);
		fputs("}\n", out);
		return;
	}
	fprintf(out, "tlbcheck -> %s (%" PRIu64 " events, %" PRIu64 " frames and %" PRIu64
		" page tables checked, %" PRIu64 " stale held, %" PRIu64 " lost)\n",
		tlbcheck_verdict_name(v), c->events, c->frames_checked, c->tables_checked, c->stale,
		c->lost);
	if (v != TLBV_CLEAN)
		fprintf(out, "%s\n", msg);
}
