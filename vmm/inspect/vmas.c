/*
 * Reading the mm table and VMA lists from guest RAM: see vmas.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "vmm/inspect/vmas.h"

int mmtab_read(const struct gmem *g, struct mm_table *t, char *err, size_t errlen)
{
	if (gmem_read(g, MM_TABLE_GPA, t, sizeof *t) != 0) {
		snprintf(err, errlen, "mm table at 0x%llx is outside RAM", MM_TABLE_GPA);
		return -EFAULT;
	}
	if (t->magic != MM_TABLE_MAGIC) {
		snprintf(err, errlen, "mm table not initialised (magic 0x%" PRIx64 ")", t->magic);
		return -EPROTO;
	}
	if (t->version != MM_TABLE_VERSION) {
		snprintf(err, errlen, "mm table version %u, expected %u", t->version,
			 MM_TABLE_VERSION);
		return -EPROTO;
	}
	return 0;
}

const struct mm_desc *mmtab_find(const struct mm_table *t, uint32_t id)
{
	if (id == 0)
		return NULL;
	for (unsigned i = 0; i < MM_MAX; i++)
		if (t->mms[i].id == id)
			return &t->mms[i];
	return NULL;
}

void vma_list_free(struct vma_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int vmas_read(const struct gmem *g, const struct mm_desc *mm, struct vma_list *out,
	      char *err, size_t errlen)
{
	return vmas_read_bounded(g, mm, out, NULL, err, errlen);
}

int vmas_read_bounded(const struct gmem *g, const struct mm_desc *mm, struct vma_list *out,
		      struct host_budget *b, char *err, size_t errlen)
{
	struct vma_list l = { 0 };
	uint64_t gva = mm->vma_head, prev_gva = 0, prev_end = 0;
	int r = 0;

	while (gva != 0) {
		struct abi_vma a;
		uint64_t gpa;
		if (l.n >= VMAS_MAX) {
			snprintf(err, errlen, "mm %u: VMA list longer than %u (cycle?)", mm->id,
				 (unsigned)VMAS_MAX);
			r = -ELOOP;
			goto fail;
		}
		if (gmem_direct_to_gpa(g, gva, sizeof a, &gpa) != 0 || (gpa & 7)) {
			snprintf(err, errlen, "mm %u: VMA #%zu pointer 0x%" PRIx64
				 " is not an aligned direct-map address inside RAM", mm->id, l.n, gva);
			r = -EFAULT;
			goto fail;
		}
		gmem_read(g, gpa, &a, sizeof a);
		if ((a.vm_start | a.vm_end) & (PAGE_SIZE_4K - 1) || a.vm_start >= a.vm_end ||
		    a.vm_end > TASK_SIZE) {
			snprintf(err, errlen, "mm %u: VMA #%zu at 0x%" PRIx64 " has a bad range 0x%"
				 PRIx64 "-0x%" PRIx64, mm->id, l.n, gva, a.vm_start, a.vm_end);
			r = -EINVAL;
			goto fail;
		}
		if (l.n > 0 && a.vm_start < prev_end) {
			snprintf(err, errlen, "mm %u: VMA #%zu at 0x%" PRIx64 " (0x%" PRIx64 "-0x%" PRIx64
				 ") overlaps or precedes the previous one ending at 0x%" PRIx64
				 " (disorder or cycle)", mm->id, l.n, gva, a.vm_start, a.vm_end, prev_end);
			r = -EINVAL;
			goto fail;
		}
		if (a.vm_prev != prev_gva) {
			snprintf(err, errlen, "mm %u: VMA #%zu at 0x%" PRIx64 " has vm_prev 0x%" PRIx64
				 ", expected 0x%" PRIx64, mm->id, l.n, gva, a.vm_prev, prev_gva);
			r = -EINVAL;
			goto fail;
		}
		if ((r = budget_grow(b, (void **)&l.v, &l.cap, l.n, sizeof *l.v)) != 0) {
			if (r == -E2BIG)
				snprintf(err, errlen, "mm %u: reading more than %zu VMAs would take the "
					 "host past its memory bound", mm->id, l.n);
			else
				snprintf(err, errlen, "out of memory");
			goto fail;
		}
		l.v[l.n++] = (struct vma_info){ .start = a.vm_start, .end = a.vm_end,
			.pgoff = a.vm_pgoff, .flags = a.vm_flags, .anon_vma = a.anon_vma, .gva = gva };
		prev_gva = gva;
		prev_end = a.vm_end;
		gva = a.vm_next;
	}
	*out = l;
	return 0;
fail:
	if (b)
		b->used -= l.cap * sizeof *l.v;
	vma_list_free(&l);
	*out = l;
	return r;
}

size_t vmas_lower_bound(const struct vma_list *l, uint64_t va)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->v[mid].end <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct vma_info *vmas_find(const struct vma_list *l, uint64_t va)
{
	size_t i = vmas_lower_bound(l, va);
	return (i < l->n && l->v[i].start <= va) ? &l->v[i] : NULL;
}

void vma_format(const struct vma_info *v, bool verbose, char *buf, size_t len)
{
	/* 's' for VM_MAYSHARE (0x80), as Linux's show_map_vma. */
	int n = snprintf(buf, len, "%08" PRIx64 "-%08" PRIx64 " %c%c%c%c", v->start, v->end,
			 (v->flags & VM_READ) ? 'r' : '-', (v->flags & VM_WRITE) ? 'w' : '-',
			 (v->flags & VM_EXEC) ? 'x' : '-', (v->flags & 0x80) ? 's' : 'p');
	if (verbose && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, " %08" PRIx64 " 0x%" PRIx64 " %s", v->pgoff,
			 v->flags, v->anon_vma ? "anon" : "-");
}

void vmas_print(FILE *out, const struct vma_list *l, uint64_t lo, uint64_t hi, bool verbose)
{
	char line[128];
	for (size_t i = vmas_lower_bound(l, lo); i < l->n; i++) {
		if (hi && l->v[i].start >= hi)
			break;
		vma_format(&l->v[i], verbose, line, sizeof line);
		fprintf(out, "%s\n", line);
	}
}

void vmas_json(FILE *out, uint32_t mm, const struct vma_list *l)
{
	fprintf(out, "{\"mm\":%u,\"vmas\":[", mm);
	for (size_t i = 0; i < l->n; i++) {
		const struct vma_info *v = &l->v[i];

		fprintf(out, "%s{\"start\":\"0x%" PRIx64 "\",\"end\":\"0x%" PRIx64 "\","
			"\"prot\":\"%c%c%c\",\"shared\":%s,\"pgoff\":%" PRIu64 ",\"flags\":%" PRIu64
			",\"anon\":%s}", i ? "," : "", v->start, v->end,
			(v->flags & VM_READ) ? 'r' : '-', (v->flags & VM_WRITE) ? 'w' : '-',
			(v->flags & VM_EXEC) ? 'x' : '-', (v->flags & 0x80) ? "true" : "false",
			v->pgoff, v->flags, v->anon_vma ? "true" : "false");
	}
	fputs("]}\n", out);
}
