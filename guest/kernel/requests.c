/*
 * One request from the host, decoded and handed to the memory manager.
 * Every field is the host's word: ids, addresses and lengths are checked by
 * the functions they go to, and a bad request gets an error, never a panic.
 */
#include <stdint.h>

#include "guest/arch/x86_64/usermode.h"
#include "guest/kernel/channel.h"
#include "guest/mm/errno.h"
#include "guest/mm/mm.h"
#include "shared/layout.h"


static struct chan_vma *data_area(uint64_t offset, uint64_t count)
{
	if (offset > CHANNEL_DATA_SIZE || count > (CHANNEL_DATA_SIZE - offset) / sizeof(struct chan_vma) ||
	    offset % 8)
		return 0;
	return (struct chan_vma *)(DIRECT_MAP_BASE + CHANNEL_GPA + CHANNEL_DATA_OFFSET + offset);
}

static int64_t mm_request(struct chan_slot *s, struct mm_struct *mm)
{
	uint64_t *a = s->arg;

	switch (s->op) {
	case OP_MMAP:
		return do_mmap(mm, a[0], a[1], (uint32_t)a[2], (uint32_t)a[3]);
	case OP_MUNMAP:
		return do_munmap(mm, a[0], a[1]);
	case OP_MPROTECT:
		return do_mprotect(mm, a[0], a[1], (uint32_t)a[2]);
	case OP_TOUCH:
		if (a[2] > TOUCH_WRITE)
			return -EINVAL;
		return user_access(mm, a[2] == TOUCH_WRITE ? USER_TOUCH_WRITE : USER_TOUCH_READ,
				   a[0], a[1], 0, s->out);
	case OP_FILL:
		return user_access(mm, USER_FILL, a[0], a[1], (uint8_t)a[2], s->out);
	case OP_CHECK:
		return user_access(mm, USER_CHECK, a[0], a[1], (uint8_t)a[2], s->out);
	case OP_VMA_LIST: {
		struct chan_vma *out = data_area(a[1], a[2]);
		if (!out)
			return -EINVAL;
		return mm_vma_list(mm, a[0], out, (unsigned)a[2], &s->out[0]);
	}
	case OP_PTE: {
		int level = 0;
		int r = mm_pte_lookup(mm, a[0], &s->out[0], &level);
		s->out[1] = (uint64_t)level;
		return r;
	}
	case OP_STATS: {
		uint64_t n = 0;
		mm_vma_list(mm, ~0ULL, 0, 0, &n);
		s->out[0] = n;
		return 0;
	}
	case OP_INJECT:
		return mm_inject(mm, (int)a[0], a[1]);
	case OP_MM_DESTROY:
		return mm_destroy(s->mm);
	}
	return -ENOSYS;
}

void request_handle(struct chan_slot *s)
{
	s->out[0] = s->out[1] = 0;
	if (s->op == OP_NOP) {
		s->result = 0;
		return;
	}
	if (s->op == OP_MM_CREATE) {
		mm_seq_begin();
		s->result = mm_create();
		mm_seq_end();
		return;
	}
	struct mm_struct *mm = mm_lookup(s->mm);
	if (!mm) {
		s->result = s->op < OP_NR ? -ESRCH : -ENOSYS;
		return;
	}
	mm_seq_begin();
	s->result = mm_request(s, mm);
	mm_seq_end();
	mm_note_request_done();
}
