/*
 * The guest's VMAs printed as Linux prints a process's in /proc/PID/maps
 * (all six columns: `maps --full`) and /proc/PID/smaps (`smaps`), by the
 * rules of fs/proc/task_mmu.c in Linux 6.18, so that the two can be
 * compared line for line.  What the guest cannot know is documented in
 * docs/inspection.md (no inode for shared anonymous memory, no swap, no
 * transparent huge pages).
 */
#ifndef VMM_INSPECT_PROCFMT_H
#define VMM_INSPECT_PROCFMT_H

#include <stdint.h>
#include <stdio.h>

#include "vmm/inspect/snapshot.h"
#include "vmm/inspect/vmas.h"

/* One /proc/PID/maps line, with its newline: START-END PERMS OFFSET DEV
 * INODE [PATHNAME]; an anonymous private mapping ends in "0 " (Linux's
 * trailing space), a shared one names "/dev/zero (deleted)" at column 74. */
void proc_maps_line(FILE *out, const struct vma_info *v);

/* What smaps counts for one VMA, in bytes; pss values scaled by 2^12 as
 * Linux's (PSS_SHIFT). */
struct smaps_counts {
	uint64_t resident;
	uint64_t pss, pss_dirty, pss_locked;
	uint64_t shared_clean, shared_dirty, private_clean, private_dirty;
	uint64_t referenced, anonymous, anonymous_thp;
};

/*
 * Count the leaves of m (a snapshot taken with walk and pages) inside v, as
 * Linux's smaps walk does: the zero page is not counted (it is not a
 * "normal" page), PROT_NONE entries are (they hold their frame), a page
 * mapped once is private, one mapped N >= 2 times shared with 1/N of it in
 * Pss; accessed and dirty come from the entry's A and D bits.
 */
void smaps_count(const struct snapshot *s, const struct mm_snap *m, const struct vma_info *v,
		 struct smaps_counts *c);

/* One VMA's smaps block: its maps line, then Size ... VmFlags. */
void proc_smaps_vma(FILE *out, const struct vma_info *v, const struct smaps_counts *c);

/* "VmFlags: rd wr mr mw me ac \n": Linux's two-letter mnemonics in bit
 * order, each followed by a space ("??" for a bit Linux does not name). */
void proc_vmflags(FILE *out, uint64_t flags);

#endif
