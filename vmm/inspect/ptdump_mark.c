/*
 * The sharing marks of the dumps (ptwalk.h, docs/inspection.md): which
 * frames of a leaf other PTEs map too, as the host counted them (share.h),
 * and whether the guest's refcount agrees.
 */
#include <inttypes.h>

#include "vmm/inspect/ptwalk.h"
#include "vmm/inspect/share.h"

void ptdump_mark_leaf(const struct gmem *g, const struct frame_share *fs,
		      const struct ptw_leaf *l, struct ptdump_mark *m)
{
	uint64_t first = l->pa >> 12, frames = l->size >> 12;

	*m = (struct ptdump_mark){ .sharing = (uint8_t)frame_share_class(fs, l->va, l->pa, l->size),
				   .refcount_ok = true };
	if (m->sharing == FRAME_NOT_USER)
		return;
	m->maps = fs->maps[first];
	m->refcount_read = frame_share_refcount(g, fs, first, &m->refcount) == 0;
	for (uint64_t f = first; f < first + frames && m->refcount_ok; f++)
		m->refcount_ok = frame_share_refcount_ok(g, fs, f);
}

int ptdump_mark_text(FILE *out, const struct ptdump_mark *m, bool leaf)
{
	int n = 0, r;

	if (m->sharing == FRAME_SHARED || m->sharing == FRAME_ZERO)
		n = fprintf(out, " %s", frame_sharing_name(m->sharing));
	if (n < 0)
		n = 0;
	if (m->refcount_ok)
		return n;
	if (!leaf)
		r = fprintf(out, " refcount-mismatch");
	else if (m->refcount_read)
		r = fprintf(out, " refcount=%" PRIu32 " maps=%" PRIu32, m->refcount, m->maps);
	else
		r = fprintf(out, " refcount=? maps=%" PRIu32, m->maps);
	return r > 0 ? n + r : n;
}

int ptdump_mark_json(FILE *out, const struct ptdump_mark *m, bool leaf)
{
	int n, r = 0;

	n = fprintf(out, ",\"sharing\":\"%s\",\"refcount_ok\":%s", frame_sharing_name(m->sharing),
		    m->refcount_ok ? "true" : "false");
	if (leaf && m->sharing != FRAME_NOT_USER) {
		if (m->refcount_read)
			r = fprintf(out, ",\"maps\":%" PRIu32 ",\"refcount\":%" PRIu32, m->maps,
				    m->refcount);
		else
			r = fprintf(out, ",\"maps\":%" PRIu32 ",\"refcount\":null", m->maps);
	}
	return (n > 0 ? n : 0) + (r > 0 ? r : 0);
}
