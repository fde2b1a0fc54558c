/*
 * The trace state of one VM (vmm/trace/trace.h): who wants records, the
 * reader's place in the rings, the events kept for trace_take_text(), and
 * the per-line output's format, file and formatting state.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "vmm/trace/trace.h"
#include "vmm/vm_internal.h"

struct trace_host {
	unsigned users;           /* TRACE_USER_* */
	struct trace_reader rd;
	struct trace_buf keep;    /* for trace_take_text, while TRACE_USER_TAKE */
	struct trace_buf sinkq;   /* for the per-line output, while TRACE_USER_SINK */
	struct trace_fmt take_fmt;
	uint64_t tsc_khz;
	/* the per-line output */
	enum trace_format sink_format;
	FILE *sink_file;          /* NULL: the stream trace_sink_poll is given */
	struct trace_fmt sink_fmt;
};

static struct trace_host *host_of(struct vm *vm)
{
	struct trace_host *h = vm->trace;
	struct trace_buf skip = { 0 };
	struct gmem g = vm_gmem(vm);
	int khz;

	if (h)
		return h;
	h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	/* The VM's ioctl (Linux 6.0+): a vCPU's would wait for its KVM_RUN. */
	khz = ioctl(vm->vm_fd, KVM_GET_TSC_KHZ);
	h->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	trace_fmt_init(&h->take_fmt, TRACE_FMT_TEXT, h->tsc_khz);
	trace_fmt_init(&h->sink_fmt, TRACE_FMT_TEXT, h->tsc_khz);
	/* Start at the guest's heads: what was recorded before is not ours. */
	trace_read(&h->rd, &g, &skip);
	trace_buf_free(&skip);
	vm->trace = h;
	return h;
}

void trace_host_free(struct trace_host *h)
{
	if (!h)
		return;
	if (h->sink_file)
		trace_fmt_finish(h->sink_file, &h->sink_fmt);
	trace_buf_free(&h->keep);
	trace_buf_free(&h->sinkq);
	free(h);
}

static int append(struct trace_buf *to, const struct trace_buf *from)
{
	to->lost += from->lost;
	for (size_t i = 0; i < from->n; i++) {
		int r = trace_buf_push(to, &from->ev[i]);
		if (r)
			return r;
	}
	return 0;
}

/* Read the rings into the queues of whoever wants the events. */
static int poll_rings(struct vm *vm, struct trace_host *h)
{
	struct gmem g = vm_gmem(vm);
	struct trace_buf fresh = { 0 };
	int r = trace_read(&h->rd, &g, &fresh);

	if (!r && (h->users & TRACE_USER_TAKE))
		r = append(&h->keep, &fresh);
	if (!r && (h->users & TRACE_USER_SINK))
		r = append(&h->sinkq, &fresh);
	trace_buf_free(&fresh);
	return r;
}

int trace_want(struct vm *vm, unsigned who, bool on)
{
	struct trace_host *h = host_of(vm);
	struct gmem g = vm_gmem(vm);
	int r;

	if (!h)
		return -ENOMEM;
	/* What was recorded until now goes to those who wanted it then (if
	 * anybody): a new user gets the steps after this call only. */
	if (on && (who & ~h->users) && (r = poll_rings(vm, h)) != 0)
		return r;
	if (on)
		h->users |= who;
	else
		h->users &= ~who;
	if (!(h->users & TRACE_USER_TAKE))
		trace_buf_free(&h->keep);
	if (!(h->users & TRACE_USER_SINK))
		trace_buf_free(&h->sinkq);
	return trace_write_enabled(&g, h->users != 0);
}

int trace_take_text(struct vm *vm, char **text)
{
	struct trace_host *h = host_of(vm);
	size_t len = 0;
	FILE *f;
	int r;

	*text = NULL;
	if (!h)
		return -ENOMEM;
	/* The first call without trace_want(): from now on. */
	if (!(h->users & TRACE_USER_TAKE) && (r = trace_want(vm, TRACE_USER_TAKE, true)) != 0)
		return r;
	if ((r = poll_rings(vm, h)) != 0)
		return r;
	f = open_memstream(text, &len);
	if (!f)
		return -ENOMEM;
	trace_fmt_write(f, &h->take_fmt, h->keep.ev, h->keep.n, h->keep.lost);
	trace_buf_clear(&h->keep);
	if (fclose(f) != 0) {
		free(*text);
		*text = NULL;
		return -ENOMEM;
	}
	return 0;
}

int trace_sink_poll(struct vm *vm, FILE *f)
{
	struct trace_host *h = vm->trace;
	FILE *to;
	int r;

	if (!h || !(h->users & TRACE_USER_SINK))
		return 0;
	to = h->sink_file ? h->sink_file : f;
	r = poll_rings(vm, h);
	if (!r && (h->sinkq.n || h->sinkq.lost)) {
		trace_fmt_write(to, &h->sink_fmt, h->sinkq.ev, h->sinkq.n, h->sinkq.lost);
		/* Without a file each line's events are one whole Chrome array. */
		if (!h->sink_file)
			trace_fmt_finish(to, &h->sink_fmt);
		fflush(to);
	}
	trace_buf_clear(&h->sinkq);
	return r;
}

int trace_configure(struct vm *vm, enum trace_format format, FILE *file, bool on)
{
	struct trace_host *h = host_of(vm);

	if (!h)
		return -ENOMEM;
	h->sink_file = file;
	h->sink_format = format;
	trace_fmt_init(&h->sink_fmt, format, h->tsc_khz);
	return trace_want(vm, TRACE_USER_SINK, on);
}

bool trace_sink_on(struct vm *vm, enum trace_format *format)
{
	struct trace_host *h = vm->trace;

	if (format)
		*format = h ? h->sink_format : TRACE_FMT_TEXT;
	return h && (h->users & TRACE_USER_SINK);
}

int trace_sink_set(struct vm *vm, bool on, enum trace_format format)
{
	struct trace_host *h = host_of(vm);

	if (!h)
		return -ENOMEM;
	if (on && format != h->sink_format) {
		if (h->sink_file)
			trace_fmt_finish(h->sink_file, &h->sink_fmt);
		h->sink_format = format;
		trace_fmt_init(&h->sink_fmt, format, h->tsc_khz);
	}
	return trace_want(vm, TRACE_USER_SINK, on);
}
