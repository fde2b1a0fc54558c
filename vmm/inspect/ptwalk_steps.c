/*
 * The walk of one address, level by level: the steps (ptwalk_steps), their
 * text (`walk`, crash reports) and their JSON (`walk json`).  The formats
 * are in docs/inspection.md.
 */
#include <inttypes.h>

#include "vmm/inspect/json.h"
#include "vmm/inspect/ptwalk.h"

const char *ptw_entry_name(unsigned level)
{
	static const char *const names[] = { "?", "pte", "pde", "pdpte", "pml4e" };

	return level <= PTW_LEVEL_PGD ? names[level] : "?";
}

static bool is_leaf(uint64_t e, unsigned level)
{
	return level == PTW_LEVEL_PTE || (level == PTW_LEVEL_PMD && (e & PTE_PS));
}

void ptwalk_steps(const struct gmem *g, uint64_t pml4, uint64_t va, struct ptw_steps *w)
{
	uint32_t eff = PTW_USER | PTW_WRITE;
	uint64_t table = pml4;

	*w = (struct ptw_steps){ .va = va };
	if (ptw_canonical(va) != va) {
		w->outcome = PTW_WALK_NONCANONICAL;
		return;
	}
	if ((pml4 & (PAGE_SIZE_4K - 1)) || !gmem_range_ok(g, pml4, PAGE_SIZE_4K)) {
		w->outcome = PTW_WALK_BAD_PML4;
		return;
	}
	for (unsigned level = PTW_LEVEL_PGD; level >= PTW_LEVEL_PTE; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		unsigned idx = (unsigned)((va >> shift) & 511);
		uint64_t egpa = table + 8ULL * idx, e = 0;

		if (gmem_read_u64(g, egpa, &e) != 0) {
			w->outcome = PTW_WALK_UNREADABLE;
			w->unreadable_level = (uint8_t)level;
			w->unreadable_gpa = egpa;
			return;
		}
		w->step[w->n++] = (struct ptw_step){ (uint8_t)level, (uint16_t)idx, egpa, e };
		if (!(e & PTE_P)) {
			bool protnone = (e & PTE_PROTNONE) && is_leaf(e, level);

			w->outcome = protnone ? PTW_WALK_PROTNONE : PTW_WALK_NOT_PRESENT;
			if (protnone)
				w->gpa = e & (level == PTW_LEVEL_PTE ? PTE_ADDR_MASK : PDE_2M_ADDR);
			return;
		}
		if ((w->problem = ptw_entry_problem(g, e, level)) != NULL) {
			w->outcome = PTW_WALK_BAD_ENTRY;
			return;
		}
		eff = ptw_fold_attrs(eff, e);
		if (is_leaf(e, level)) {
			uint64_t base = e & (level == PTW_LEVEL_PTE ? PTE_ADDR_MASK : PDE_2M_ADDR);

			w->outcome = PTW_WALK_MAPPED;
			w->size = 1ULL << shift;
			w->gpa = base + (va & (w->size - 1));
			w->attrs = eff & (PTW_USER | PTW_WRITE | PTW_NX);
			w->frame_outside_ram = !gmem_range_ok(g, base, w->size);
			return;
		}
		table = e & PTE_ADDR_MASK;
	}
}

static void format_bits(uint64_t e, unsigned level, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s%s%s%s%s%s",
		 (e & PTE_P) ? "P" : "-", (e & PTE_W) ? " W" : "", (e & PTE_U) ? " U" : "",
		 (e & PTE_PWT) ? " PWT" : "", (e & PTE_PCD) ? " PCD" : "",
		 (e & PTE_A) ? " A" : "", (e & PTE_D) ? " D" : "",
		 (level > PTW_LEVEL_PTE && (e & PTE_PS)) ? " PS" : "",
		 !(e & PTE_G) ? "" : (e & PTE_P) ? " G" : " PROTNONE", (e & PTE_NX) ? " NX" : "");
}

void ptwalk_describe(const struct gmem *g, uint64_t pml4, uint64_t va, FILE *out)
{
	struct ptw_steps w;

	ptwalk_steps(g, pml4, va, &w);
	for (unsigned i = 0; i < w.n; i++) {
		const struct ptw_step *s = &w.step[i];
		char bits[64];

		format_bits(s->entry, s->level, bits, sizeof bits);
		fprintf(out, "  %-5s[%3u] at 0x%012" PRIx64 " = 0x%016" PRIx64 " %s\n",
			ptw_entry_name(s->level), s->index, s->entry_gpa, s->entry, bits);
	}
	const struct ptw_step *last = w.n ? &w.step[w.n - 1] : NULL;
	switch (w.outcome) {
	case PTW_WALK_NONCANONICAL:
		fprintf(out, "  -> not canonical\n");
		break;
	case PTW_WALK_BAD_PML4:
		fprintf(out, "  -> PML4 address misaligned or outside RAM\n");
		break;
	case PTW_WALK_UNREADABLE:
		fprintf(out, "  -> %s at 0x%" PRIx64 " unreadable\n", ptw_entry_name(w.unreadable_level),
			w.unreadable_gpa);
		break;
	case PTW_WALK_NOT_PRESENT:
		fprintf(out, "  -> not present at the %s\n", ptw_entry_name(last->level));
		break;
	case PTW_WALK_PROTNONE:
		fprintf(out, "  -> not present: PROT_NONE entry holding frame 0x%" PRIx64 "\n", w.gpa);
		break;
	case PTW_WALK_BAD_ENTRY:
		fprintf(out, "  -> bad entry: %s\n", w.problem);
		break;
	case PTW_WALK_MAPPED:
		fprintf(out, "  -> gpa 0x%" PRIx64 ", %s page, effective %c%c%c%c%s\n", w.gpa,
			w.size == PAGE_SIZE_4K ? "4K" : "2M", (w.attrs & PTW_USER) ? 'u' : 's', 'r',
			(w.attrs & PTW_WRITE) ? 'w' : '-', (w.attrs & PTW_NX) ? '-' : 'x',
			w.frame_outside_ram ? " (frame outside RAM)" : "");
		break;
	}
}

static const char *outcome_name(enum ptw_outcome o)
{
	static const char *const names[] = {
		[PTW_WALK_MAPPED] = "mapped", [PTW_WALK_NOT_PRESENT] = "not-present",
		[PTW_WALK_PROTNONE] = "protnone", [PTW_WALK_BAD_ENTRY] = "bad-entry",
		[PTW_WALK_NONCANONICAL] = "not-canonical", [PTW_WALK_BAD_PML4] = "bad-pml4",
		[PTW_WALK_UNREADABLE] = "unreadable",
	};
	return names[o];
}

void ptwalk_steps_json(FILE *out, const struct ptw_steps *w, uint32_t mm, uint64_t pml4)
{
	fprintf(out, "{\"va\":\"0x%" PRIx64 "\",\"mm\":%u,\"pml4\":\"0x%" PRIx64 "\",\"levels\":[",
		w->va, mm, pml4);
	for (unsigned i = 0; i < w->n; i++) {
		const struct ptw_step *s = &w->step[i];

		fprintf(out, "%s{\"name\":\"%s\",\"index\":%u,\"entry_gpa\":\"0x%" PRIx64
			"\",\"entry\":\"0x%" PRIx64 "\"}", i ? "," : "", ptw_entry_name(s->level),
			s->index, s->entry_gpa, s->entry);
	}
	fprintf(out, "],\"outcome\":\"%s\"", outcome_name(w->outcome));
	if (w->outcome == PTW_WALK_MAPPED)
		fprintf(out, ",\"gpa\":\"0x%" PRIx64 "\",\"page_size\":%" PRIu64
			",\"user\":%s,\"write\":%s,\"exec\":%s,\"frame_outside_ram\":%s", w->gpa, w->size,
			json_bool(w->attrs & PTW_USER), json_bool(w->attrs & PTW_WRITE),
			json_bool(!(w->attrs & PTW_NX)), json_bool(w->frame_outside_ram));
	else if (w->outcome == PTW_WALK_PROTNONE)
		fprintf(out, ",\"frame\":\"0x%" PRIx64 "\"", w->gpa);
	else if (w->outcome == PTW_WALK_BAD_ENTRY) {
		fputs(",\"problem\":", out);
		json_str(out, w->problem);
	}
	fputs("}\n", out);
}
