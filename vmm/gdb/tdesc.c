/*
 * The register table and target description (vmm/gdb/tdesc.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/gdb/tdesc.h"

struct reg_def {
	const char *name;
	unsigned bits;
	const char *type;
};

struct feature {
	const char *name;
	unsigned first, end;       /* registers [first, end) */
};

static const struct reg_def regs[GDB_NREGS] = {
	{ "rax", 64, "int64" }, { "rbx", 64, "int64" }, { "rcx", 64, "int64" },
	{ "rdx", 64, "int64" }, { "rsi", 64, "int64" }, { "rdi", 64, "int64" },
	{ "rbp", 64, "data_ptr" }, { "rsp", 64, "data_ptr" },
	{ "r8", 64, "int64" }, { "r9", 64, "int64" }, { "r10", 64, "int64" },
	{ "r11", 64, "int64" }, { "r12", 64, "int64" }, { "r13", 64, "int64" },
	{ "r14", 64, "int64" }, { "r15", 64, "int64" },
	{ "rip", 64, "code_ptr" }, { "eflags", 32, "int32" },
	{ "cs", 32, "int32" }, { "ss", 32, "int32" }, { "ds", 32, "int32" },
	{ "es", 32, "int32" }, { "fs", 32, "int32" }, { "gs", 32, "int32" },
	{ "st0", 80, "i387_ext" }, { "st1", 80, "i387_ext" }, { "st2", 80, "i387_ext" },
	{ "st3", 80, "i387_ext" }, { "st4", 80, "i387_ext" }, { "st5", 80, "i387_ext" },
	{ "st6", 80, "i387_ext" }, { "st7", 80, "i387_ext" },
	{ "fctrl", 32, "int" }, { "fstat", 32, "int" }, { "ftag", 32, "int" },
	{ "fiseg", 32, "int" }, { "fioff", 32, "int" }, { "foseg", 32, "int" },
	{ "fooff", 32, "int" }, { "fop", 32, "int" },
	{ "xmm0", 128, "uint128" }, { "xmm1", 128, "uint128" }, { "xmm2", 128, "uint128" },
	{ "xmm3", 128, "uint128" }, { "xmm4", 128, "uint128" }, { "xmm5", 128, "uint128" },
	{ "xmm6", 128, "uint128" }, { "xmm7", 128, "uint128" }, { "xmm8", 128, "uint128" },
	{ "xmm9", 128, "uint128" }, { "xmm10", 128, "uint128" }, { "xmm11", 128, "uint128" },
	{ "xmm12", 128, "uint128" }, { "xmm13", 128, "uint128" }, { "xmm14", 128, "uint128" },
	{ "xmm15", 128, "uint128" },
	{ "mxcsr", 32, "int" },
	{ "fs_base", 64, "int64" }, { "gs_base", 64, "int64" },
	{ "cr0", 64, "int64" }, { "cr2", 64, "int64" }, { "cr3", 64, "int64" },
	{ "cr4", 64, "int64" }, { "efer", 64, "int64" },
};

static const struct feature features[] = {
	{ "org.gnu.gdb.i386.core", GDB_RAX, GDB_XMM0 },
	{ "org.gnu.gdb.i386.sse", GDB_XMM0, GDB_FS_BASE },
	{ "org.gnu.gdb.i386.segments", GDB_FS_BASE, GDB_CR0 },
	{ "org.vmm-mm.x86.sys", GDB_CR0, GDB_NREGS },
};

size_t gdb_reg_size(unsigned i)
{
	return i < GDB_NREGS ? regs[i].bits / 8 : 0;
}

size_t gdb_reg_offset(unsigned i)
{
	size_t off = 0;

	for (unsigned r = 0; r < i && r < GDB_NREGS; r++)
		off += regs[r].bits / 8;
	return off;
}

/* Append to buf (cap bytes) at *at; on overflow *at passes cap. */
static void __attribute__((format(printf, 4, 5)))
put(char *buf, size_t cap, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(*at < cap ? buf + *at : NULL, *at < cap ? cap - *at : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}

const char *gdb_tdesc_xml(size_t *len)
{
	static char xml[8192];
	static size_t n;

	if (!n) {
		size_t at = 0;
		put(xml, sizeof xml, &at, "%s", "<?xml version=\"1.0\"?>\n"
		    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
		    "<architecture>i386:x86-64</architecture>\n");
		for (size_t f = 0; f < sizeof features / sizeof features[0]; f++) {
			put(xml, sizeof xml, &at, "<feature name=\"%s\">\n", features[f].name);
			for (unsigned r = features[f].first; r < features[f].end; r++)
				put(xml, sizeof xml, &at,
				    "  <reg name=\"%s\" bitsize=\"%u\" regnum=\"%u\" type=\"%s\"/>\n",
				    regs[r].name, regs[r].bits, r, regs[r].type);
			put(xml, sizeof xml, &at, "%s", "</feature>\n");
		}
		put(xml, sizeof xml, &at, "%s", "</target>\n");
		n = at < sizeof xml ? at : 0;   /* cannot overflow: the table is fixed */
	}
	*len = n;
	return xml;
}
