/*
 * A test aid of linux-runner-child, on when LR_ZERO_PAGE_CHECK=1 is in its
 * environment: it reports on standard error ("zero-page-sensitive: ...")
 * every read fault on a private anonymous page that was not present, the
 * one thing whose outcome differs between stock Linux (the shared zero
 * page) and a host booted with pvm_no_zero_page=1 (a private page).  The
 * random version-2 test runs scengen --v2 scenarios with it to prove that
 * scengen never depends on that difference.
 *
 * Before a user-mode read (touch read, check) or madvise populate_read it
 * looks at the pages the read will fault in: a private readable page that
 * is not present, or a page just below a growsdown mapping (the read would
 * grow it).  After every request it looks for clean private anonymous
 * pages in the scenario window: only a read fault makes those (populating
 * a read-only mapping: mlock, MAP_POPULATE, a locked mapping that grows).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/linux-runner/child.h"
#include "vmm/script/script.h"

#define PAGE_4K            0x1000ULL
#define MAX_VMAS           512
#define MAX_PAGES_CHECKED  4096

struct zc_vma {
	uint64_t start, end;
	unsigned prot;
	bool shared, growsdown;
	uint64_t clean_kb;
};

static bool enabled;
static struct zc_vma vmas[MAX_VMAS];
static unsigned nvmas;
static char text[1 << 20];

void child_zerocheck_init(void)
{
	const char *e = getenv("LR_ZERO_PAGE_CHECK");

	enabled = e && strcmp(e, "1") == 0;
}

static void report(const char *what, uint64_t addr)
{
	char line[160];
	int n = snprintf(line, sizeof(line), "linux-runner-child %d: zero-page-sensitive: %s "
			 "at 0x%llx\n", (int)getpid(), what, (unsigned long long)addr);

	if (n > 0 && write(2, line, (size_t)n) < 0)
		return;
}

/* One smaps header line "START-END PERMS ..." into a new entry. */
static void header(const char *p)
{
	struct zc_vma *v = &vmas[nvmas++];
	char *end;

	memset(v, 0, sizeof(*v));
	v->start = strtoull(p, &end, 16);
	v->end = strtoull(end + 1, &end, 16);
	v->prot = (end[1] == 'r' ? SCEN_PROT_READ : 0) | (end[2] == 'w' ? SCEN_PROT_WRITE : 0) |
		  (end[3] == 'x' ? SCEN_PROT_EXEC : 0);
	v->shared = end[4] == 's';
}

/* Read /proc/self/smaps into vmas[] (the scenario window only). */
static void load(void)
{
	int fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC);
	size_t have = 0;
	ssize_t n;
	bool keep = false;

	nvmas = 0;
	if (fd < 0)
		return;
	while ((n = read(fd, text + have, sizeof(text) - 1 - have)) > 0)
		have += (size_t)n;
	close(fd);
	text[have] = '\0';
	for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (strchr(line, '-') && strchr(line, '-') < strchr(line, ' ') && line[0] != 'V') {
			uint64_t s = strtoull(line, NULL, 16);

			keep = s >= SCEN_WINDOW_START && s < SCEN_WINDOW_END && nvmas < MAX_VMAS;
			if (keep)
				header(line);
		} else if (keep && strncmp(line, "VmFlags:", 8) == 0) {
			vmas[nvmas - 1].growsdown = strstr(line, " gd") != NULL;
		} else if (keep && (strncmp(line, "Private_Clean:", 14) == 0 ||
				    strncmp(line, "Shared_Clean:", 13) == 0)) {
			vmas[nvmas - 1].clean_kb += strtoull(strchr(line, ':') + 1, NULL, 10);
		}
	}
}

static const struct zc_vma *find(uint64_t addr, const struct zc_vma **next)
{
	*next = NULL;
	for (unsigned i = 0; i < nvmas; i++) {
		if (addr < vmas[i].start) {
			*next = &vmas[i];
			return NULL;
		}
		if (addr < vmas[i].end)
			return &vmas[i];
	}
	return NULL;
}

/* Is the page at addr present (pagemap bit 63)? */
static bool present(uint64_t addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return true;
	if (pread(fd, &e, sizeof(e), (off_t)(addr / PAGE_4K * sizeof(e))) != sizeof(e))
		e = 1ULL << 63;
	close(fd);
	return e >> 63;
}

/* The pages a read of [addr, addr + len) will fault in, up to where it
 * stops; populate stops where VM_READ is missing, the CPU at PROT_NONE. */
static void check_read(uint64_t addr, uint64_t len, bool populate)
{
	uint64_t page = addr & ~(PAGE_4K - 1);

	load();
	for (unsigned k = 0; len && k < MAX_PAGES_CHECKED && page < addr + len; k++) {
		const struct zc_vma *next, *v = find(page, &next);

		if (!v) {
			if (next && next->growsdown && !populate)
				report("a read just below a growsdown mapping", page);
			return;
		}
		if (populate ? !(v->prot & SCEN_PROT_READ) : v->prot == 0)
			return;
		if (!v->shared && !present(page))
			report("a read fault on a private page not present", page);
		page += PAGE_4K;
	}
}

void child_zerocheck_before(const struct lr_req *q)
{
	if (!enabled)
		return;
	if (q->op == LR_ACCESS && (q->prot == SCEN_ACCESS_READ || q->prot == SCEN_ACCESS_CHECK))
		check_read(q->addr, q->len, false);
	if (q->op == LR_MADVISE && q->how == SCEN_ADV_POPULATE_READ)
		check_read(q->addr, q->len, true);
}

void child_zerocheck_after(void)
{
	if (!enabled)
		return;
	load();
	for (unsigned i = 0; i < nvmas; i++)
		if (!vmas[i].shared && vmas[i].clean_kb)
			report("clean private pages (read-faulted)", vmas[i].start);
}
