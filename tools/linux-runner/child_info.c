/*
 * linux-runner-child's view of its own address space: the mappings from
 * /proc/self/maps and the page states from /proc/self/pagemap (bit 63
 * present, bit 56 exclusively mapped), read without allocating so that the
 * reading adds no mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "tools/linux-runner/child.h"
#include "vmm/script/script.h"

#define PAGE_4K            0x1000ULL
#define PAGEMAP_PRESENT    (1ULL << 63)
#define PAGEMAP_EXCLUSIVE  (1ULL << 56)

static int pagemap_fd = -1;

int child_open_pagemap(void)
{
	if (pagemap_fd >= 0)
		close(pagemap_fd);
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	return pagemap_fd < 0 ? -errno : 0;
}

static uint64_t hex_field(const char **pp, const char *end)
{
	const char *p = *pp;
	uint64_t v = 0;

	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9')
			v = v << 4 | (uint64_t)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			v = v << 4 | (uint64_t)(*p - 'a' + 10);
		else
			break;
	}
	*pp = p;
	return v;
}

/* One line of /proc/self/maps ("start-end perms ...") into rec. */
static void parse_maps_line(const char *p, const char *end, struct lr_map *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->start = hex_field(&p, end);
	if (p < end && *p == '-')
		p++;
	rec->end = hex_field(&p, end);
	if (p < end && *p == ' ')
		p++;
	if (end - p >= 4) {
		rec->prot = (p[0] == 'r' ? SCEN_PROT_READ : 0) |
			    (p[1] == 'w' ? SCEN_PROT_WRITE : 0) |
			    (p[2] == 'x' ? SCEN_PROT_EXEC : 0);
		rec->flags = p[3] == 's' ? LR_MAP_SHARED : 0;
	}
}

int64_t child_walk_maps(uint64_t lo, uint64_t hi, int send)
{
	static char buf[65536];
	size_t have = 0;
	int64_t count = 0;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	struct lr_map rec;

	if (fd >= 0) {
		for (;;) {
			ssize_t n = read(fd, buf + have, sizeof(buf) - have);
			char *line = buf, *nl;

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				count = -errno;
				break;
			}
			have += (size_t)n;
			while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
				count++;
				parse_maps_line(line, nl, &rec);
				if (send && rec.end > lo && rec.start < hi)
					child_send(&rec, sizeof(rec));
				line = nl + 1;
			}
			have -= (size_t)(line - buf);
			memmove(buf, line, have);
			if (n == 0 || have == sizeof(buf))
				break;
		}
		close(fd);
	} else {
		count = -errno;
	}
	if (send) {
		memset(&rec, 0, sizeof(rec));
		rec.flags = LR_MAP_END;
		child_send(&rec, sizeof(rec));
	}
	return count;
}

/* The SCEN_PAGE_* state of a pagemap entry. */
static uint8_t page_state(uint64_t e)
{
	if (!(e & PAGEMAP_PRESENT))
		return SCEN_PAGE_NONE;
	return e & PAGEMAP_EXCLUSIVE ? SCEN_PAGE_EXCLUSIVE : SCEN_PAGE_SHARED;
}

void child_send_pagemap(uint64_t addr, uint64_t npages)
{
	static uint64_t entries[LR_PAGEMAP_CHUNK];
	static uint8_t state[LR_PAGEMAP_CHUNK];

	for (uint64_t done = 0; done < npages;) {
		uint64_t n = npages - done < LR_PAGEMAP_CHUNK ? npages - done : LR_PAGEMAP_CHUNK;
		uint64_t vpn = addr / PAGE_4K + done;
		ssize_t got = pread(pagemap_fd, entries, n * sizeof(entries[0]),
				    (off_t)(vpn * sizeof(entries[0])));

		for (uint64_t i = 0; i < n; i++)
			state[i] = got >= 0 && (uint64_t)got >= (i + 1) * sizeof(entries[0]) ?
				   page_state(entries[i]) : SCEN_PAGE_NONE;
		child_send(state, n);
		done += n;
	}
}
