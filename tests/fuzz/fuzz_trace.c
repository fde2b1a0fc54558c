/*
 * libFuzzer target: the trace reader (vmm/trace/reader.c) and the three
 * formats (format.c, format_text.c) against a hostile guest's trace area,
 * and with FT_VM the VM's trace state and `trace` commands over the same
 * area (fuzz_trace_vm.c).  The input is fuzz_trace.h's.
 *
 * Besides no crash, no sanitizer report and no leak, what the reader
 * promises (vmm/trace/trace.h, docs/trace.md) is checked after every read:
 *  - accounting: the events kept plus the records counted lost are the
 *    records published since the last read (heads that went backwards
 *    publish nothing), at most one ring's worth kept per CPU;
 *  - every event is a record the guest wrote completely, at an index it
 *    published, with the event number and CPU of its ring; none twice
 *    while the heads move as the guest moves them; in order of TSC;
 *  - each format's output is well-formed and has one line (element) per
 *    event that is not a quiet request (fuzz_trace_check.c).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_bytes.h"
#include "tests/fuzz/fuzz_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#define MAX_RECS   (1u << 14)     /* records one input may write */
#define MAX_DRAINS 16             /* reads before the last one: each costs up to
				     four rings' worth of copies and checks */

/* Every record the guest started, by TSC. */
struct logged {
	struct trace_rec rec;
	uint64_t idx;             /* its index in its CPU's ring */
	uint8_t cpu;              /* its ring */
	uint8_t complete;         /* written entirely */
	uint32_t emitted;         /* its CPU's epoch when it was emitted, or 0 */
};

static uint8_t ram[FT_RAM_SIZE] __attribute__((aligned(64)));
static unsigned flags;       /* the input's byte 0 */
static struct logged log_[MAX_RECS];
static uint32_t nlog;

static struct {
	uint64_t head;            /* what the guest publishes */
	int64_t torn;             /* log entry being written, or -1 */
	int64_t last;             /* last log entry written, or -1 */
	int wild;                 /* head moved as no guest moves it */
	uint32_t epoch;           /* + 1 at every such move */
} cpus[TRACE_CPUS];
static unsigned drains;

static struct trace_reader rd;
static struct trace_fmt fmts[3];
static struct ft_out outs[3];
static size_t out_lens[3];
static size_t chrome_events;
static uint64_t chrome_lost;

static struct trace_ctl *ctl(void)
{
	return (struct trace_ctl *)(void *)(ram + TRACE_GPA);
}

static struct trace_rec *slot(unsigned cpu, uint64_t idx)
{
	return (struct trace_rec *)(void *)(ram + TRACE_GPA + TRACE_RING_OFFSET +
					    cpu * TRACE_RING_SIZE) + (idx & (TRACE_RING_RECS - 1));
}

static void publish(unsigned cpu)
{
	ctl()->heads[cpu].head = cpus[cpu].head;
}

/* The guest finishes the record it stopped in the middle of. */
static void finish_torn(unsigned cpu)
{
	struct logged *l;

	if (cpus[cpu].torn < 0)
		return;
	l = &log_[cpus[cpu].torn];
	*slot(cpu, l->idx) = l->rec;
	l->complete = 1;
	cpus[cpu].last = cpus[cpu].torn;
	cpus[cpu].torn = -1;
	cpus[cpu].head++;
	publish(cpu);
}

/* A new record for cpu (NULL if MAX_RECS were written), logged, not yet in
 * RAM. */
static struct logged *new_record(unsigned cpu, uint16_t ev, const uint64_t *a)
{
	struct logged *l;

	if (nlog == MAX_RECS)
		return NULL;
	l = &log_[nlog];
	*l = (struct logged){ .idx = cpus[cpu].head, .cpu = (uint8_t)cpu };
	l->rec = (struct trace_rec){ .tsc = FT_TSC(nlog), .ev = ev, .cpu = (uint16_t)cpu,
				     .seq = (uint32_t)cpus[cpu].head };
	memcpy(l->rec.a, a, sizeof l->rec.a);
	nlog++;
	return l;
}

static void write_record(unsigned cpu, uint16_t ev, const uint64_t *a)
{
	struct logged *l = new_record(cpu, ev, a);

	if (!l)
		return;
	*slot(cpu, l->idx) = l->rec;
	l->complete = 1;
	cpus[cpu].last = l - log_;
	cpus[cpu].head++;
	publish(cpu);
}

static void take_record(struct fuzz_bytes *in, uint8_t *ev, uint64_t *a)
{
	uint8_t mask;

	take_u8(in, ev);
	take_u8(in, &mask);
	for (unsigned i = 0; i < 6; i++)
		a[i] = mask & (1u << i) ? take_u64(in) : 0;
}

static void op_torn(struct fuzz_bytes *in, unsigned cpu)
{
	uint8_t k, ev;
	uint64_t a[6];
	struct logged *l;

	take_u8(in, &k);
	take_record(in, &ev, a);
	if (!(l = new_record(cpu, ev, a)))
		return;
	memcpy(slot(cpu, l->idx), &l->rec, k % sizeof l->rec);
	cpus[cpu].torn = l - log_;
}

static void op_corrupt(struct fuzz_bytes *in, unsigned cpu)
{
	uint16_t age;
	uint8_t field;
	uint32_t v;
	struct trace_rec *r;

	take_bytes(in, &age, sizeof age);
	take_u8(in, &field);
	take_bytes(in, &v, sizeof v);
	r = slot(cpu, cpus[cpu].head - 1 - age);
	if (field % 3 == 0)
		r->seq = v;
	else if (field % 3 == 1)
		r->ev = (uint16_t)v;
	else
		r->cpu = (uint16_t)v;
	/* Its log entry, if it is the one the slot holds, says so too. */
	if (r->tsc >= FT_TSC0 && (r->tsc - FT_TSC0) % 1024 == 0 &&
	    (r->tsc - FT_TSC0) / 1024 < nlog)
		log_[(r->tsc - FT_TSC0) / 1024].rec = *r;
}

/* ---- reading ---- */

static int any_wild(void)
{
	for (unsigned c = 0; c < TRACE_CPUS; c++)
		if (cpus[c].wild)
			return 1;
	return 0;
}

static void check_event(const struct trace_event *e, uint64_t prev_tsc, const uint64_t *heads)
{
	uint64_t n = (e->tsc - FT_TSC0) / 1024;
	struct logged *l = &log_[n];

	if (e->ev == TEV_NONE || e->ev >= TEV_NR || e->cpu >= TRACE_CPUS)
		ft_violation("event %u on CPU %u kept", e->ev, e->cpu);
	if (e->tsc < prev_tsc && !any_wild())
		ft_violation("TSC %#lx after %#lx", (unsigned long)e->tsc, (unsigned long)prev_tsc);
	if (e->tsc < FT_TSC0 || (e->tsc - FT_TSC0) % 1024 || n >= nlog)
		ft_violation("TSC %#lx: no record of the guest's", (unsigned long)e->tsc);
	if (!l->complete || l->cpu != e->cpu || l->rec.ev != e->ev || l->rec.cpu != e->cpu ||
	    memcmp(l->rec.a, e->a, sizeof e->a) != 0)
		ft_violation("record %lu (CPU %u index %lu) kept torn or changed",
			     (unsigned long)n, e->cpu, (unsigned long)l->idx);
	if (l->emitted == cpus[l->cpu].epoch)
		ft_violation("record %lu (CPU %u index %lu) emitted twice", (unsigned long)n,
			     e->cpu, (unsigned long)l->idx);
	l->emitted = cpus[l->cpu].epoch;
	if (!cpus[e->cpu].wild && (l->idx >= heads[e->cpu] || l->rec.seq != (uint32_t)l->idx ||
				   heads[e->cpu] - l->idx > TRACE_RING_RECS))
		ft_violation("record at index %lu of CPU %u kept, head %lu", (unsigned long)l->idx,
			     e->cpu, (unsigned long)heads[e->cpu]);
}

/* Read k goes to one format, (FT_FMT0(flags) + k) % 3, each a stream of
 * its own (formatting in all three each time tripled an input's cost). */
static void format_one(const struct trace_buf *b, unsigned k)
{
	unsigned f = (FT_FMT0(flags) + k) % 3;
	size_t before = out_lens[f], quiet = 0;

	trace_fmt_write(outs[f].f, &fmts[f], b->ev, b->n, b->lost);
	out_lens[f] = ft_out_len(&outs[f]);
	for (size_t i = 0; i < b->n; i++)
		quiet += ft_quiet(&b->ev[i]) != 0;
	if (f == TRACE_FMT_CHROME) {
		chrome_events += b->n - quiet;
		chrome_lost += b->lost != 0;
	} else if (ft_check_output(f, outs[f].buf + before, out_lens[f] - before, b->lost) !=
		   b->n - quiet) {
		ft_violation("%s: not one line per event", trace_format_name(f));
	}
}

/* One read by the reader of this file, checked and formatted. */
static void drain(void)
{
	struct trace_buf b = { 0 };
	uint64_t published = 0, heads[TRACE_CPUS], prev_tsc = 0;
	size_t per_cpu[TRACE_CPUS] = { 0 };

	for (unsigned c = 0; c < TRACE_CPUS; c++) {
		heads[c] = ctl()->heads[c].head;
		if (heads[c] - rd.tail[c] <= (uint64_t)1 << 62)
			published += heads[c] - rd.tail[c];
	}
	if (trace_read(&rd, &(struct gmem){ ram, sizeof ram }, &b) != 0)
		ft_violation("trace_read failed with the area in RAM");
	if (b.n + b.lost != published)
		ft_violation("%zu kept + %lu lost != %lu published", b.n, (unsigned long)b.lost,
			     (unsigned long)published);
	for (size_t i = 0; i < b.n; i++) {
		if (b.ev[i].cpu < TRACE_CPUS && ++per_cpu[b.ev[i].cpu] > TRACE_RING_RECS)
			ft_violation("more than a ring's worth from CPU %u", b.ev[i].cpu);
		if (!(flags & FT_RAW))
			check_event(&b.ev[i], prev_tsc, heads);
		else if (b.ev[i].ev == TEV_NONE || b.ev[i].ev >= TEV_NR || b.ev[i].cpu >= TRACE_CPUS)
			ft_violation("event %u on CPU %u kept", b.ev[i].ev, b.ev[i].cpu);
		prev_tsc = b.ev[i].tsc;
	}
	format_one(&b, drains++);
	trace_buf_free(&b);
}

/* ---- the ops ---- */

/* A head moved as no guest moves it: what it publishes again (records
 * read before) is the guest's word, not "emitted twice". */
static void gone_wild(unsigned cpu)
{
	cpus[cpu].wild = 1;
	cpus[cpu].epoch++;
}

static void op(struct fuzz_bytes *in, uint8_t o)
{
	unsigned cpu = o & 3, kind = o >> 2;
	uint8_t ev, n;
	uint64_t a[6], v;
	uint16_t back;

	if (kind < FT_OP_DRAIN)
		finish_torn(cpu);
	if (kind < FT_OP_REPEAT) {
		take_record(in, &ev, a);
		write_record(cpu, ev, a);
	} else if (kind < FT_OP_JUMP) {
		take_u8(in, &n);
		for (unsigned i = 0; cpus[cpu].last >= 0 && i <= 8u * n; i++) {
			struct trace_rec r = log_[cpus[cpu].last].rec;
			r.a[0]++;
			write_record(cpu, r.ev, r.a);
		}
	} else if (kind < FT_OP_BACK) {
		v = take_u64(in);
		cpus[cpu].head += v ? v : 2 * TRACE_RING_RECS;
		gone_wild(cpu);
	} else if (kind < FT_OP_TORN) {
		take_bytes(in, &back, sizeof back);
		cpus[cpu].head -= 1u + back;
		gone_wild(cpu);
	} else if (kind < FT_OP_CORRUPT) {
		op_torn(in, cpu);
	} else if (kind < FT_OP_DRAIN) {
		op_corrupt(in, cpu);
	} else {
		uint8_t cmd;
		take_u8(in, &cmd);
		if (drains < MAX_DRAINS)
			drain();
		if (drains < MAX_DRAINS && (flags & FT_VM))
			ft_vm_line(cmd);
	}
	publish(cpu);
}

static void start(void)
{
	memset(ram + TRACE_GPA, 0, TRACE_RING_OFFSET + TRACE_CPUS * TRACE_RING_SIZE);
	nlog = 0;
	rd = (struct trace_reader){ 0 };
	for (unsigned c = 0; c < TRACE_CPUS; c++)
		cpus[c] = (typeof(cpus[c])){ .torn = -1, .last = -1, .epoch = 1 };
	drains = 0;
	for (unsigned f = 0; f < 3; f++) {
		trace_fmt_init(&fmts[f], f, flags & FT_KHZ ? 2600000 : 0);
		out_lens[f] = 0;
		ft_out_open(&outs[f]);
	}
	chrome_events = chrome_lost = 0;
	if (flags & FT_VM)
		ft_vm_start(ram, FT_SINK(flags));
}

static void finish(void)
{
	trace_fmt_finish(outs[TRACE_FMT_CHROME].f, &fmts[TRACE_FMT_CHROME]);
	out_lens[TRACE_FMT_CHROME] = ft_out_len(&outs[TRACE_FMT_CHROME]);
	for (unsigned f = 0; f < 3; f++)
		ft_out_close(&outs[f]);
	if (ft_check_output(TRACE_FMT_CHROME, outs[TRACE_FMT_CHROME].buf,
			    out_lens[TRACE_FMT_CHROME], chrome_lost) != chrome_events)
		ft_violation("chrome: not one element per event");
	if (flags & FT_VM)
		ft_vm_stop();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fuzz_bytes in = { data, len };
	uint8_t f, every, o;
	unsigned ops = 0;

	take_u8(&in, &f);
	take_u8(&in, &every);
	flags = f;
	start();
	if (flags & FT_RAW) {
		for (unsigned c = 0; c < TRACE_CPUS; c++)
			ctl()->heads[c].head = take_u64(&in);
		take_bytes(&in, ram + TRACE_GPA + TRACE_RING_OFFSET, TRACE_CPUS * TRACE_RING_SIZE);
		drain();
		drain();
		if (flags & FT_VM)
			ft_vm_line(-1);
	} else {
		while (take_u8(&in, &o)) {
			op(&in, o);
			if (every && ++ops % every == 0 && drains < MAX_DRAINS)
				drain();
		}
		for (unsigned c = 0; c < TRACE_CPUS; c++)
			finish_torn(c);
		drain();
		if (flags & FT_VM)
			ft_vm_line(-1);
	}
	finish();
	return 0;
}
