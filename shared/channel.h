/*
 * Host -> guest request channel.
 *
 * A ring of CHANNEL_SLOTS slots at CHANNEL_GPA.  Each slot carries one
 * request (fields marked IN, written by the host) and, once the guest has
 * handled it, its response (OUT, written by the guest) in place.
 *
 * Protocol: the host fills slots [req_prod, req_prod + n) (mod CHANNEL_SLOTS),
 * publishes req_prod += n (a store after the slot stores) and rings the
 * doorbell (raises DOORBELL_GSI).  The guest, idling in `hlt`, wakes, handles
 * every slot from resp_prod up to req_prod in order, writing each response
 * in place, and publishes resp_prod once for the batch (at least once per
 * wake-up).  The host never has more than CHANNEL_SLOTS
 * requests outstanding and never trusts resp_prod beyond what it posted.
 *
 * Requests that return bulk data (OP_VMA_LIST) write into the data area at
 * [CHANNEL_DATA_OFFSET + arg offset, + length) given by the host.
 */
#ifndef SHARED_CHANNEL_H
#define SHARED_CHANNEL_H

#include <stdint.h>
#include <stddef.h>

#define CHANNEL_MAGIC         0x4e414843u /* "CHAN" */
#define CHANNEL_VERSION       2
#define CHANNEL_SLOTS         256         /* power of two */
#define CHANNEL_SLOTS_OFFSET  0x1000u
#define CHANNEL_DATA_OFFSET   0x8000u
#define CHANNEL_DATA_SIZE     (0x40000u - CHANNEL_DATA_OFFSET)

enum chan_op {
	OP_NOP        = 0,  /* result 0 */
	OP_MM_CREATE  = 1,  /* result: new mm id (>= 1) or -ENOMEM */
	OP_MM_DESTROY = 2,  /* mm: id; result 0 or -ESRCH */
	OP_MMAP       = 3,  /* arg: addr, len, prot (PROT_*), flags (MMAP_F_*); result: address or -errno */
	OP_MUNMAP     = 4,  /* arg: addr, len; result 0 or -errno */
	OP_MPROTECT   = 5,  /* arg: addr, len, prot; result 0 or -errno */
	OP_TOUCH      = 6,  /* arg: addr, len, mode (TOUCH_READ/TOUCH_WRITE); result ACCESS_* */
	OP_FILL       = 7,  /* arg: addr, len, byte; result ACCESS_* */
	OP_CHECK      = 8,  /* arg: addr, len, byte; result ACCESS_* */
	OP_VMA_LIST   = 9,  /* arg: from address, data offset, max entries;
	                       result: entries written (struct chan_vma) of the VMAs
	                       ending above `from`; out[0]: the mm's map_count */
	OP_PTE        = 10, /* arg: addr; result 0 and out[0] = leaf PTE (0 if none),
	                       out[1] = its level (1 = 4 KiB, 2 = 2 MiB) */
	OP_STATS      = 11, /* result 0; out[0] = map_count (every other counter is
	                       published in the mm table, shared/mm_abi.h) */
	OP_INJECT     = 12, /* test-only fault injection; arg: kind (INJECT_*), addr */
	OP_NR
};

/* PROT_* as Linux. */
#define PROT_NONE_ABI         0x0
#define PROT_READ_ABI         0x1
#define PROT_WRITE_ABI        0x2
#define PROT_EXEC_ABI         0x4

#define MMAP_F_FIXED          (1u << 0)   /* MAP_FIXED: replace what is there */
#define MMAP_F_NOREPLACE      (1u << 1)   /* MAP_FIXED_NOREPLACE: EEXIST on overlap */
/* Neither flag: the kernel chooses the address (addr is ignored). */

#define TOUCH_READ            0
#define TOUCH_WRITE           1

/* Results of OP_TOUCH / OP_FILL / OP_CHECK (negative: -errno). */
#define ACCESS_OK             0
#define ACCESS_FAULT          1           /* out[0] = faulting page, out[1] = FAULT_* */
#define ACCESS_MISMATCH       2           /* out[0] = address, out[1] = byte found */
#define FAULT_MAPERR          1
#define FAULT_ACCERR          2

/* OP_INJECT kinds: break an invariant on purpose so that checkers can be tested. */
#define INJECT_STRAY_PTE      1           /* a present user PTE at addr outside every VMA */
#define INJECT_WRITABLE_ZERO  2           /* make the PTE at addr writable */

struct chan_slot {
	/* IN: written by the host */
	uint16_t op;              /* enum chan_op */
	uint16_t flags;           /* 0 */
	uint32_t mm;              /* address-space id, for mm operations */
	uint64_t arg[4];
	/* OUT: written by the guest */
	int64_t  result;
	uint64_t out[2];
};

struct chan_vma {
	uint64_t start;
	uint64_t end;
	uint64_t pgoff;
	uint32_t flags;           /* VM_* (shared/mm_abi.h), low 32 bits */
	uint32_t anon;            /* nonzero if the VMA has an anon_vma */
};

struct channel {
	uint32_t magic;           /* guest writes CHANNEL_MAGIC once live */
	uint32_t version;         /* guest writes CHANNEL_VERSION */
	uint32_t nslots;          /* guest writes CHANNEL_SLOTS */
	uint32_t pad0[13];
	volatile uint32_t req_prod;   /* host: requests posted (free-running) */
	uint32_t pad1[15];
	volatile uint32_t resp_prod;  /* guest: requests completed (free-running) */
	/* host: nonzero while a host thread sleeps until resp_prod moves.  The
	 * guest, after publishing resp_prod, does a full barrier and, if this
	 * is set, writes CHANNEL_NOTIFY_PORT (outl) once; the host sets it,
	 * does a full barrier and looks at resp_prod again before sleeping. */
	volatile uint32_t host_waiting;
	uint32_t pad2[14];
};

_Static_assert(sizeof(struct chan_slot) == 64, "chan_slot layout");
_Static_assert(offsetof(struct chan_slot, result) == 40, "chan_slot layout");
_Static_assert(sizeof(struct chan_vma) == 32, "chan_vma layout");
_Static_assert(offsetof(struct channel, req_prod) == 64, "channel layout");
_Static_assert(offsetof(struct channel, resp_prod) == 128, "channel layout");
_Static_assert(offsetof(struct channel, host_waiting) == 132, "channel layout");
_Static_assert(sizeof(struct channel) == 192, "channel layout");
_Static_assert(CHANNEL_SLOTS_OFFSET + CHANNEL_SLOTS * sizeof(struct chan_slot)
	       <= CHANNEL_DATA_OFFSET, "channel slots overlap data");

#endif
