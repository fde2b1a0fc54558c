/*
 * Synthetic TLB-coherence logs for the checker's unit tests: events fed to
 * a model in sequence order (stream_*), or written into a fake guest RAM's
 * ring the way the guest writes them (ram_*).
 */
#ifndef TESTS_TLBCHECK_STREAM_H
#define TESTS_TLBCHECK_STREAM_H

#include <stdint.h>

#include "vmm/tlbcheck/tlbcheck.h"

struct stream {
	struct tlb_model *m;
	uint64_t seq;             /* the last event's */
};

/* A model of cap entries. */
void stream_init(struct stream *s, uint32_t cap);
void stream_fini(struct stream *s);

/* Feed one event; returns its seq. */
uint64_t ev(struct stream *s, unsigned kind, unsigned cpu, uint32_t mm, uint64_t a, uint64_t b);

/* The verdict and its message (static buffer) and counts. */
enum tlbcheck_verdict stream_verdict(struct stream *s, const char **msg, struct tlbcheck_counts *c);

/* A fake guest RAM with the control page and a ring at 1 MiB. */
struct ram {
	struct gmem g;
	struct tlblog_ctl *ctl;
	struct tlblog_rec *ring;
	uint32_t recs;
};

#define RAM_SIZE  (4u << 20)
#define RING_GPA  0x100000ULL

/* Zeroed RAM with a published ring of recs records (magic set). */
void ram_init(struct ram *r, uint32_t recs);
void ram_fini(struct ram *r);

/* Write one event as the guest does: take head, fill, seq last. */
void ram_emit(struct ram *r, unsigned kind, unsigned cpu, uint32_t mm, uint64_t a, uint64_t b);

#endif
