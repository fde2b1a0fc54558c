/*
 * Guest -> host calls.
 *
 * The guest executes `outl %eax, $port` with port = HC_PORT_BASE + HC_*
 * and eax = the guest-physical address of the call's argument struct
 * (8-byte aligned, wholly inside RAM).  Every guest pointer is a
 * guest-physical address typed gpa_t so that the host cannot dereference it
 * by accident; the host bounds-checks each one before touching memory.
 */
#ifndef SHARED_HYPERCALL_H
#define SHARED_HYPERCALL_H

#include <stdint.h>

typedef uint64_t gpa_t;

enum hypercall_nr {
	HC_CONSOLE = 0,   /* struct hc_console */
	HC_READY   = 1,   /* struct hc_ready: boot done, channel live */
	HC_PANIC   = 2,   /* struct hc_panic: the VM stops, vmm exits 3 */
	HC_EXIT    = 3,   /* struct hc_exit: the VM stops with a code */
	HC_DISCARD = 4,   /* struct hc_discard: host zeroes frames by discarding */
	HC_CPU_ONLINE = 5, /* struct hc_cpu_online: an application CPU is up */
	HC_NR_CALLS
};

#define HC_CONSOLE_MAX        4096        /* longest console write */
#define HC_PANIC_MAX          1024        /* longest panic message */
#define HC_DISCARD_MAX        512         /* most frames in one discard */

struct hc_console {
	gpa_t    buf;             /* IN: text, not NUL-terminated */
	uint64_t len;             /* IN: <= HC_CONSOLE_MAX */
};

struct hc_ready {
	uint32_t abi_version;     /* IN: VMM_ABI_VERSION as the guest knows it */
	uint32_t pad;
	gpa_t    mm_table;        /* IN: must be MM_TABLE_GPA */
};

/* From the CPU it names, once, after HC_READY: its per-CPU area, tables and
 * x2APIC are set up and it serves its ring.  vmm is ready when every CPU
 * has reported. */
struct hc_cpu_online {
	uint32_t cpu;             /* IN: the calling CPU's id (its x2APIC id) */
	uint32_t pad;
};

struct hc_panic {
	gpa_t    msg;             /* IN */
	uint64_t len;             /* IN: <= HC_PANIC_MAX */
};

struct hc_exit {
	int64_t  code;            /* IN */
};

/* Each entry is the guest-physical address of one 4 KiB frame to discard:
 * afterwards the frame reads as zeros.  The guest must not use the frames
 * while the call runs. */
struct hc_discard {
	gpa_t    frames;          /* IN: array of count gpa_t */
	uint64_t count;           /* IN: <= HC_DISCARD_MAX */
	int64_t  ret;             /* OUT: 0, or -1 if any entry was refused */
};

_Static_assert(sizeof(struct hc_console) == 16, "hc_console layout");
_Static_assert(sizeof(struct hc_ready) == 16, "hc_ready layout");
_Static_assert(sizeof(struct hc_cpu_online) == 8, "hc_cpu_online layout");
_Static_assert(sizeof(struct hc_panic) == 16, "hc_panic layout");
_Static_assert(sizeof(struct hc_exit) == 8, "hc_exit layout");
_Static_assert(sizeof(struct hc_discard) == 24, "hc_discard layout");

#endif
