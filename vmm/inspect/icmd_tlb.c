/*
 * `tlb [json]`: each CPU's TLB state as the guest publishes it in the mm
 * table (shared/mm_abi.h, struct mm_cpu_tlb): the mm loaded, lazy or not,
 * and its flush and IPI counters so far.  Read while the guest runs: each
 * field is the CPU's own word, written whole; the CPU count comes from the
 * channel header and is checked before use.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>

#include "shared/channel.h"
#include "shared/layout.h"
#include "vmm/inspect/icmd_internal.h"
#include "vmm/inspect/json.h"

_Static_assert(MM_CPUS_MAX == CHANNEL_MAX_CPUS, "one TLB entry per channel ring");

static void print_cpu(FILE *out, unsigned cpu, const struct mm_cpu_tlb *e, bool json, bool first)
{
	if (json)
		fprintf(out, "%s{\"cpu\":%u,\"mm\":%u,\"lazy\":%s,\"flushes\":%" PRIu64
			",\"ipis_sent\":%" PRIu64 ",\"ipis_recv\":%" PRIu64 ",\"cr3_loads\":%" PRIu64
			",\"lazy_skips\":%" PRIu64 "}", first ? "" : ",", cpu, e->loaded_mm,
			json_bool(e->lazy != 0), e->flushes, e->ipis_sent, e->ipis_recv,
			e->cr3_loads, e->lazy_skips);
	else
		fprintf(out, "cpu %u mm=%u %s flushes=%" PRIu64 " ipis_sent=%" PRIu64
			" ipis_recv=%" PRIu64 " cr3_loads=%" PRIu64 " lazy_skips=%" PRIu64 "\n",
			cpu, e->loaded_mm, e->lazy ? "lazy" : "active", e->flushes, e->ipis_sent,
			e->ipis_recv, e->cr3_loads, e->lazy_skips);
}

int icmd_run_tlb(void *ctx, const struct scen_stmt *st, struct scen_io *io)
{
	struct icmd_ctx *c = ctx;
	struct mm_cpu_tlb cpus[MM_CPUS_MAX];
	uint32_t ncpus;
	bool json = st->how & ICMD_JSON;

	if (gmem_read(&c->g, CHANNEL_GPA + offsetof(struct channel, ncpus), &ncpus, sizeof ncpus) ||
	    gmem_read(&c->g, MM_TABLE_GPA + offsetof(struct mm_table, cpus), cpus, sizeof cpus)) {
		scen_io_msg(io, "tlb: the channel or the mm table is outside RAM");
		return icmd_read_error(c, io);
	}
	if (ncpus < 1 || ncpus > MM_CPUS_MAX) {
		scen_io_msg(io, "tlb: the guest says it has %u CPUs", ncpus);
		return icmd_read_error(c, io);
	}
	if (json)
		fputs("{\"cpus\":[", io->out);
	else
		fprintf(io->out, "tlb:\n");
	for (unsigned i = 0; i < ncpus; i++)
		print_cpu(io->out, i, &cpus[i], json, i == 0);
	if (json)
		fputs("]}\n", io->out);
	return SCEN_CMD_OK;
}
