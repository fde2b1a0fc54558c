/*
 * scengen --v2's page model (v2_model.h): what each operation does to the
 * pages, as far as the model can be sure, and which reads are safe.
 */
#include <string.h>

#include "tools/scengen/scengen.h"
#include "tools/scengen/v2_model.h"

/* SCEN_MAP_* of vmm/script/script.h (scengen does not link the engine). */
#define F_SHARED        1u
#define F_POPULATE      4u
#define F_LOCKED        8u
#define F_GROWSDOWN     16u

static uint64_t base[V2_MAX_WINDOWS];
static unsigned nbase;

void v2_set_windows(const uint64_t *b, unsigned n)
{
	nbase = n < V2_MAX_WINDOWS ? n : V2_MAX_WINDOWS;
	memcpy(base, b, nbase * sizeof(base[0]));
}

int v2_index(uint64_t addr)
{
	for (unsigned w = 0; w < nbase; w++)
		if (addr >= base[w] && addr < base[w] + V2_WPAGES * PAGE)
			return (int)(w * V2_WPAGES + (addr - base[w]) / PAGE);
	return -1;
}

bool v2_range(uint64_t addr, uint64_t len, int *first, int *end)
{
	int f = v2_index(addr);
	uint64_t pages;

	if (f < 0)
		return false;
	pages = len ? ((addr & (PAGE - 1)) + len - 1) / PAGE + 1 : 0;
	*first = f;
	/* Clamped to the window the range starts in (ranges stay inside). */
	if (pages > (uint64_t)((f / V2_WPAGES + 1) * V2_WPAGES - f))
		pages = (uint64_t)((f / V2_WPAGES + 1) * V2_WPAGES - f);
	*end = f + (int)pages;
	return true;
}

uint64_t v2_addr(int i)
{
	return base[i / V2_WPAGES] + (uint64_t)(i % V2_WPAGES) * PAGE;
}

bool v2_pick_mapping(const struct v2_model *m, uint64_t r, int *first, int *end)
{
	int n = 0, i;

	for (i = 0; i < V2_NPAGES; i++)
		n += m->p[i].st == P_MAPPED;
	if (!n)
		return false;
	r %= (uint64_t)n;
	for (i = 0; i < V2_NPAGES; i++) {
		if (m->p[i].st != P_MAPPED)
			continue;
		if (r == 0)
			break;
		r--;
	}
	*first = i;
	*end = i + 1;
	while (*end % V2_WPAGES && m->p[*end].st == P_MAPPED &&
	       m->p[*end].prot == m->p[i].prot && m->p[*end].shared == m->p[i].shared)
		++*end;
	return true;
}

void v2_init(struct v2_model *m)
{
	memset(m, 0, sizeof(*m));
}

void v2_mark_unknown(struct v2_model *m, int first, int end)
{
	for (int i = first; i < end; i++) {
		memset(&m->p[i], 0, sizeof(m->p[i]));
		m->p[i].st = P_UNKNOWN;
	}
}

/*
 * An unmapped page a growsdown mapping may grow over: the first page above
 * it that is not unmapped belongs to a growsdown mapping, or is unknown.
 * (Across windows: a stack may grow up to 8 MiB.)
 */
static bool growable(const struct v2_model *m, int i)
{
	for (int j = i + 1; j < V2_NPAGES; j++) {
		if (m->p[j].st == P_UNKNOWN)
			return true;
		if (m->p[j].st == P_MAPPED)
			return m->p[j].growsdown;
	}
	return false;
}

void v2_mmap(struct v2_model *m, int first, int end, unsigned prot, unsigned flags,
	     bool noreplace)
{
	bool unknown = false;

	if ((flags & F_SHARED) && (flags & F_GROWSDOWN))
		return;   /* EINVAL */
	for (int i = first; noreplace && i < end; i++) {
		if (m->p[i].st == P_MAPPED)
			return;   /* EEXIST */
		unknown |= m->p[i].st == P_UNKNOWN;
	}
	if (unknown) {
		v2_mark_unknown(m, first, end);
		return;
	}
	for (int i = first; i < end; i++) {
		struct v2_page *p = &m->p[i];

		memset(p, 0, sizeof(*p));
		p->st = P_MAPPED;
		p->prot = (uint8_t)prot;
		p->shared = flags & F_SHARED;
		p->growsdown = flags & F_GROWSDOWN;
		p->locked = !p->shared && (flags & F_LOCKED);
		/* Populating writable private memory writes (breaks COW). */
		p->has = !p->shared && (flags & (F_POPULATE | F_LOCKED)) && (prot & M_WRITE);
	}
}

void v2_munmap(struct v2_model *m, int first, int end)
{
	for (int i = first; i < end; i++)
		memset(&m->p[i], 0, sizeof(m->p[i]));
}

/* Applied up to the first hole (then ENOMEM); past an unknown page the
 * protections are not sure. */
void v2_mprotect(struct v2_model *m, int first, int end, unsigned prot)
{
	for (int i = first; i < end; i++) {
		if (m->p[i].st == P_UNMAPPED)
			return;
		if (m->p[i].st == P_UNKNOWN) {
			v2_mark_unknown(m, i, end);
			return;
		}
		m->p[i].prot = (uint8_t)prot;
	}
}

void v2_write(struct v2_model *m, int first, int end)
{
	for (int i = first; i < end; i++) {
		struct v2_page *p = &m->p[i];

		if (p->st == P_UNKNOWN)
			return;
		if (p->st == P_UNMAPPED) {
			int j = i;

			if (!growable(m, i))
				return;   /* maperr */
			/* The stack may grow down to here: unknown up to it. */
			while (j < V2_NPAGES && m->p[j].st == P_UNMAPPED)
				j++;
			v2_mark_unknown(m, i, j);
			return;
		}
		if (!(p->prot & M_WRITE))
			return;   /* accerr */
		p->has = true;
	}
}

/*
 * A user-mode read, or madvise populate_read, stops at the first page it
 * cannot read (nothing is faulted in there); before that every page must
 * hold data already.  A -w- page is readable by the CPU but not by
 * populate_read: either way it must hold data to be safe.
 */
bool v2_read_safe(const struct v2_model *m, int first, int end)
{
	for (int i = first; i < end; i++) {
		const struct v2_page *p = &m->p[i];

		if (p->st == P_UNKNOWN)
			return false;
		if (p->st == P_UNMAPPED)
			return !growable(m, i);   /* maperr (or the stack grows) */
		if (p->prot == 0)
			return true;              /* accerr */
		if (!p->shared && !p->has)
			return false;
	}
	return true;
}

/* Write faults up to the first page it cannot write (ENOMEM, EINVAL). */
void v2_populate_write(struct v2_model *m, int first, int end)
{
	for (int i = first; i < end; i++) {
		struct v2_page *p = &m->p[i];

		if (p->st != P_MAPPED || !(p->prot & M_WRITE))
			return;
		p->has = true;
	}
}

/* Failing on a locked mapping is fine: fewer pages than assumed. */
void v2_dontneed(struct v2_model *m, int first, int end)
{
	for (int i = first; i < end; i++)
		m->p[i].has = false;
}

void v2_fork_advice(struct v2_model *m, int first, int end, bool wipe, bool set)
{
	for (int i = first; i < end; i++) {
		struct v2_page *p = &m->p[i];

		if (p->st == P_UNKNOWN) {
			/* Where the walk stops is not sure: the rest is unsure. */
			for (int j = i; j < end; j++)
				m->p[j].forkq = true;
			return;
		}
		if (p->st != P_MAPPED)
			continue;   /* a hole: ENOMEM at the end, the rest goes on */
		if (wipe && p->shared)
			return;     /* EINVAL, the walk stops */
		if (wipe)
			p->wipe = set;
		else
			p->dontfork = set;
	}
}

/* mlock populates: a private readable page it would read-fault is unsafe. */
bool v2_mlock_safe(const struct v2_model *m, int first, int end)
{
	for (int i = first; i < end; i++) {
		const struct v2_page *p = &m->p[i];

		if (p->st == P_UNKNOWN)
			return false;
		if (p->st == P_MAPPED && !p->shared && !p->has && p->prot &&
		    !(p->prot & M_WRITE))
			return false;
	}
	return true;
}

/* Populated only when there is no hole and no PROT_NONE page to stop it. */
void v2_mlock(struct v2_model *m, int first, int end)
{
	bool populates = true;

	for (int i = first; i < end; i++) {
		if (m->p[i].st == P_MAPPED)
			m->p[i].locked = true;
		populates &= m->p[i].st == P_MAPPED && m->p[i].prot != 0;
	}
	for (int i = first; populates && i < end; i++)
		if (!m->p[i].shared && (m->p[i].prot & M_WRITE))
			m->p[i].has = true;
}

bool v2_grow_safe(const struct v2_model *m, int first, int end)
{
	for (int i = first; i < end; i++) {
		const struct v2_page *p = &m->p[i];

		if (p->st == P_UNKNOWN ||
		    (p->st == P_MAPPED && p->locked && !p->shared && !(p->prot & M_WRITE)))
			return false;
	}
	return true;
}

void v2_fork(struct v2_model *child, const struct v2_model *parent)
{
	*child = *parent;
	for (int i = 0; i < V2_NPAGES; i++) {
		struct v2_page *p = &child->p[i];

		if (p->st != P_MAPPED)
			continue;
		if (p->forkq) {
			v2_mark_unknown(child, i, i + 1);
			continue;
		}
		if (p->dontfork) {
			memset(p, 0, sizeof(*p));
			continue;
		}
		p->locked = false;          /* VM_LOCKED is not inherited */
		if (p->wipe || p->shared)
			p->has = false;     /* no page table entries copied */
	}
}
