/*
 * Diagnosing an unusable /dev/kvm: see kvm_diag.h.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>

#include "vmm/kvm_diag.h"

#define SYSLOG_ACTION_READ_ALL    3
#define SYSLOG_ACTION_SIZE_BUFFER 10

struct text {
	char *buf;
	size_t len, used;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->used + 1 >= t->len)
		return;
	if (t->used) {
		t->buf[t->used++] = '\n';
		t->buf[t->used] = '\0';
	}
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->used += (size_t)n < t->len - t->used ? (size_t)n : t->len - t->used - 1;
}

/* The last kernel-log line mentioning kvm and "not binding", copied into
 * line without its "[timestamp] " prefix; false if there is none. */
static int find_not_binding(const char *log, char *line, size_t len)
{
	const char *found = NULL, *found_end = NULL;

	for (const char *p = log; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (memmem(p, n, "not binding", 11) && (memmem(p, n, "kvm", 3) || memmem(p, n, "KVM", 3))) {
			found = p;
			found_end = p + n;
		}
		p = end ? end + 1 : NULL;
	}
	if (!found)
		return 0;
	if (*found == '<') {              /* a syslog priority "<6>" */
		const char *c = memchr(found, '>', (size_t)(found_end - found));
		if (c)
			found = c + 1;
	}
	if (*found == '[') {              /* a timestamp "[   1.234] " */
		const char *c = memchr(found, ']', (size_t)(found_end - found));
		if (c)
			found = c + 1;
	}
	while (found < found_end && *found == ' ')
		found++;
	snprintf(line, len, "%.*s", (int)(found_end - found), found);
	return 1;
}

/* The cause of a device without KVM behind it: the kernel's own words when
 * it refused to bind one (a kernel that is itself a guest), else the
 * modules to load. */
static void explain_no_module(struct text *t, const char *dev, const char *log)
{
	char quote[256];

	if (log && find_not_binding(log, quote, sizeof quote)) {
		add(t, "the kernel says: %s", quote);
		add(t, "this machine is itself a virtual machine whose hypervisor does not offer "
		       "nested virtualization, so it cannot run KVM guests: run vmm on a machine "
		       "whose kernel provides KVM (bare metal, or a VM with nested virtualization "
		       "enabled)");
		return;
	}
	add(t, "load the KVM module for this CPU (as root: modprobe kvm_intel, or modprobe "
	       "kvm_amd) after enabling virtualization (VT-x / AMD-V) in the firmware; in a "
	       "virtual machine, enable nested virtualization in its hypervisor");
	add(t, "then check: ls -l %s; dmesg | grep -i kvm", dev);
}

static void explain_access(struct text *t, const char *dev, const struct stat *st)
{
	struct group *gr = getgrgid(st->st_gid);
	const char *group = gr ? gr->gr_name : "kvm";

	add(t, "no read-write access to %s (mode %04o, group %s)", dev,
	    (unsigned)(st->st_mode & 07777), group);
	add(t, "add yourself to its group (as root: usermod -aG %s $USER, then log in again), "
	       "or make the device accessible (chmod 0660 %s; chgrp %s %s), or run as root",
	    group, dev, group, dev);
}

void kvm_explain(const char *dev, int e, const char *kernel_log, char *buf, size_t len)
{
	struct text t = { buf, len, 0 };
	struct stat st;
	int have = stat(dev, &st) == 0;

	if (!len)
		return;
	buf[0] = '\0';
	add(&t, "cannot open %s: %s", dev, strerror(e));
	if (e == ENOENT && !have) {
		add(&t, "%s does not exist: no KVM module is loaded", dev);
		explain_no_module(&t, dev, kernel_log);
	} else if (have && !S_ISCHR(st.st_mode)) {
		add(&t, "%s is not a character device (a file left behind by some tool?): "
		       "remove it, then load the KVM module (modprobe kvm_intel or kvm_amd)", dev);
	} else if (e == EACCES || e == EPERM) {
		if (have)
			explain_access(&t, dev, &st);
		else
			add(&t, "no permission to open %s: run as root or join its group (kvm)", dev);
	} else if (e == ENXIO || e == ENODEV || e == ENOENT) {
		add(&t, "%s exists but no KVM module serves it", dev);
		explain_no_module(&t, dev, kernel_log);
	} else {
		add(&t, "see dmesg | grep -i kvm, and tools/kvm-check.sh");
	}
}

/* The kernel log (malloc'ed), or NULL when it cannot be read. */
static char *kernel_log(void)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);
	char *log;
	int n;

	if (size <= 0 || size > (64 << 20))
		return NULL;
	log = malloc((size_t)size + 1);
	if (!log)
		return NULL;
	n = klogctl(SYSLOG_ACTION_READ_ALL, log, size);
	if (n < 0) {
		free(log);
		return NULL;
	}
	log[n] = '\0';
	return log;
}

int kvm_diagnose(int e, char *buf, size_t len)
{
	char *log = e == ENOENT || e == ENODEV || e == ENXIO ? kernel_log() : NULL;

	kvm_explain(KVM_DEVICE, e, log, buf, len);
	free(log);
	return -e;
}
