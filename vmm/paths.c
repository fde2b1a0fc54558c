/*
 * Finding installed files relative to the program or library: see paths.h.
 * The relative and absolute directories come from the build
 * (vmm/CMakeLists.txt computes them from GNUInstallDirs).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/paths.h"

#ifndef VMM_REL_BIN_DATA
#error "VMM_REL_BIN_DATA and the other install directories come from vmm/CMakeLists.txt"
#endif

#define PKG "vmm-mm"

/* The directory of path (cut at its last '/'), in place; false if none. */
static bool dirname_inplace(char *path)
{
	char *slash = strrchr(path, '/');

	if (!slash)
		return false;
	*slash = '\0';
	return true;
}

static bool exe_dir(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n <= 0 || (size_t)n >= len - 1)
		return false;
	buf[n] = '\0';
	return dirname_inplace(buf);
}

/* The directory of the ELF object holding this function: libvmm-mm.so when
 * the library is shared, else the executable itself. */
static bool object_dir(char *buf, size_t len)
{
	Dl_info info;
	char real[PATH_MAX];

	if (!dladdr((void *)object_dir, &info) || !info.dli_fname || !realpath(info.dli_fname, real))
		return false;
	if (snprintf(buf, len, "%s", real) >= (int)len)
		return false;
	return dirname_inplace(buf);
}

struct search {
	char *buf;
	size_t len;
	char *tried;
	size_t triedlen;
	int overflow;
};

/* Try one candidate: 1 found (in s->buf), 0 not. */
static int try_path(struct search *s, const char *dir, const char *sub, const char *file)
{
	int n = snprintf(s->buf, s->len, "%s%s%s/%s", dir, sub ? "/" : "", sub ? sub : "", file);

	if (n < 0 || (size_t)n >= s->len) {
		s->overflow = 1;
		return 0;
	}
	if (access(s->buf, R_OK) == 0)
		return 1;
	if (s->tried) {
		size_t used = strlen(s->tried);

		if (used < s->triedlen)
			snprintf(s->tried + used, s->triedlen - used, "%s%s", used ? ", " : "", s->buf);
	}
	return 0;
}

int vmm_path_find(enum vmm_path_kind kind, const char *file, const char *env,
		  char *buf, size_t len, char *tried, size_t triedlen)
{
	const char *rel_bin = kind == VMM_PATH_DATA ? VMM_REL_BIN_DATA : VMM_REL_BIN_LIBEXEC;
	const char *full = kind == VMM_PATH_DATA ? VMM_FULL_DATADIR : VMM_FULL_LIBEXECDIR;
	struct search s = { buf, len, tried, triedlen, 0 };
	const char *val = env ? getenv(env) : NULL;
	char dir[PATH_MAX] = "", sub[PATH_MAX], obj[PATH_MAX];

	if (tried && triedlen)
		tried[0] = '\0';
	if (val && *val) {
		if (snprintf(buf, len, "%s", val) >= (int)len)
			return -ENAMETOOLONG;
		if (access(buf, R_OK) == 0)
			return 0;
		if (tried)
			snprintf(tried, triedlen, "$%s=%s", env, val);
		return -ENOENT;
	}
	if (exe_dir(dir, sizeof dir)) {
		if (try_path(&s, dir, NULL, file))
			return 0;
		snprintf(sub, sizeof sub, "%s/%s", rel_bin, PKG);
		if (try_path(&s, dir, sub, file))
			return 0;
	}
	if (kind == VMM_PATH_DATA && object_dir(obj, sizeof obj) && strcmp(obj, dir) != 0) {
		snprintf(sub, sizeof sub, "%s/%s", VMM_REL_LIB_DATA, PKG);
		if (try_path(&s, obj, sub, file))
			return 0;
	}
	if (try_path(&s, full, PKG, file))
		return 0;
	return s.overflow ? -ENAMETOOLONG : -ENOENT;
}

int vmm_path_default_guest(char *buf, size_t len, char *tried, size_t triedlen)
{
	return vmm_path_find(VMM_PATH_DATA, "guest.elf", "VMM_GUEST", buf, len, tried, triedlen);
}

const char *vmm_path_installed_guest(void)
{
	return VMM_FULL_DATADIR "/" PKG "/guest.elf";
}
