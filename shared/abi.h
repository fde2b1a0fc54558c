/*
 * Host/guest ABI version and boot hand-off.
 *
 * Bump VMM_ABI_VERSION whenever any header in shared/ changes layout or
 * meaning.  The guest carries the version in an ELF note (VMM_NOTE_*); the
 * host refuses a guest whose version differs.
 */
#ifndef SHARED_ABI_H
#define SHARED_ABI_H

#define VMM_ABI_VERSION       7   /* 6: several CPUs (channel rings, boot_info.nr_cpus);
                                     7: mm_table.seq counts writers (real concurrency) */

/* ELF note that every guest kernel carries (section .note.vmm). */
#define VMM_NOTE_NAME         "VMM"       /* n_namesz = 4 with the NUL */
#define VMM_NOTE_TYPE_ABI     1           /* desc: uint32_t ABI version */

#define BOOT_INFO_MAGIC       0x544f4f42564d4d56ULL /* "VMMVBOOT" */

#ifndef __ASSEMBLER__
#include <stdint.h>

/*
 * Written by the host at BOOT_INFO_GPA before the first instruction.
 *
 * Entry state: 64-bit long mode, CPL 0, interrupts disabled,
 * CR3 = BOOT_PML4_GPA mapping the first 1 GiB of guest-physical memory both
 * at 0 (identity) and at KERNEL_VIRT_BASE with 2 MiB pages, RIP = ELF entry,
 * RDI = BOOT_INFO_GPA, RSP = 0 (the guest sets its own stack), CR0.WP set,
 * EFER.NXE set.  The guest must switch to its own page tables at once.
 *
 * CPU 0 enters first.  The other CPUs (1 .. nr_cpus - 1) enter only after
 * CPU 0's HC_READY, each in the same state at the same entry, with
 * RSI = its CPU id (= its x2APIC id; CPU 0 has RSI = 0).  Each reports
 * HC_CPU_ONLINE when it serves its channel ring.
 */
struct boot_info {
	uint64_t magic;           /* IN: BOOT_INFO_MAGIC */
	uint32_t abi_version;     /* IN: VMM_ABI_VERSION */
	uint32_t flags;           /* IN: BOOT_F_* */
	uint64_t ram_size;        /* IN: bytes of RAM at guest-physical 0 */
	uint64_t kernel_start;    /* IN: lowest guest-physical byte of the image */
	uint64_t kernel_end;      /* IN: end of the highest PT_LOAD (p_memsz) */
	uint64_t tsc_khz;         /* IN: 0 if unknown */
	uint32_t nr_cpus;         /* IN: CPUs, 1 .. CHANNEL_MAX_CPUS */
	uint32_t pad;
};

/* Guest reports freed frames for discarding instead of zeroing them itself. */
#define BOOT_F_DISCARD        (1u << 0)

_Static_assert(sizeof(struct boot_info) == 56, "boot_info layout");
#endif /* __ASSEMBLER__ */

#endif
