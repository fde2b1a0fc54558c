/*
 * The registers the stub shows gdb, in the order of its `g` packet, and the
 * target description (qXfer:features:read:target.xml) generated from the
 * same table, so that the two cannot disagree.  gdb's x86-64 support needs
 * the i386 "core" feature (16 GPRs, rip, eflags, six selectors and the x87
 * registers) and "sse"; the guest kernel uses neither x87 nor SSE, so those
 * read as zero.  Then fs_base/gs_base, and cr0, cr2, cr3, cr4 and efer (a
 * feature of this stub's own) so that a page-table page can be found
 * through $cr3.
 */
#ifndef VMM_GDB_TDESC_H
#define VMM_GDB_TDESC_H

#include <stddef.h>

enum gdb_regno {
	GDB_RAX, GDB_RBX, GDB_RCX, GDB_RDX, GDB_RSI, GDB_RDI, GDB_RBP, GDB_RSP,
	GDB_R8, GDB_R9, GDB_R10, GDB_R11, GDB_R12, GDB_R13, GDB_R14, GDB_R15,
	GDB_RIP, GDB_EFLAGS,
	GDB_CS, GDB_SS, GDB_DS, GDB_ES, GDB_FS, GDB_GS,
	GDB_ST0, GDB_FCTRL = GDB_ST0 + 8, GDB_FOP = GDB_FCTRL + 7,
	GDB_XMM0, GDB_MXCSR = GDB_XMM0 + 16,
	GDB_FS_BASE, GDB_GS_BASE,
	GDB_CR0, GDB_CR2, GDB_CR3, GDB_CR4, GDB_EFER,
	GDB_NREGS
};

/* Bytes of the whole register file (the `g` packet, decoded). */
#define GDB_REGS_BYTES  (17 * 8 + 7 * 4 + 8 * 10 + 8 * 4 + 16 * 16 + 4 + 2 * 8 + 5 * 8)

/* Offset and size in bytes of register i (i < GDB_NREGS). */
size_t gdb_reg_offset(unsigned i);
size_t gdb_reg_size(unsigned i);

/* The target description (XML), NUL-terminated; *len its length. */
const char *gdb_tdesc_xml(size_t *len);

#endif
