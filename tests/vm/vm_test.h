/*
 * Helpers shared by the tests of tests/vm/, which boot real guests on
 * /dev/kvm (they fail, never skip, when KVM is unusable).
 *
 * Paths: $VMM_BIN (set by ctest; default: the build's bin/) holds vmm and
 * guest.elf; $VMM_TEST_GUESTS (default: the build's tests/guests/) holds the
 * test guests of tests/guests/.
 */
#ifndef TESTS_VM_VM_TEST_H
#define TESTS_VM_VM_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "vmm/vm.h"

/* A booted (or failed) VM with its console captured in memory. */
struct tvm {
	struct vm *vm;            /* NULL if vm_create kept nothing */
	int status;               /* vm_create's return */
	char err[512];            /* vm_create's message */
	double create_ms;         /* wall time of vm_create */
	FILE *console;            /* open_memstream */
	char *console_buf;
	size_t console_len;
};

/* "$VMM_BIN/name", written into buf (len bytes); returns buf. */
const char *vmm_bin_path(const char *name, char *buf, size_t len);
/* "$VMM_TEST_GUESTS/name.elf", written into buf; returns buf. */
const char *test_guest_path(const char *name, char *buf, size_t len);

/* vm_create with cfg (console redirected into t->console); never asserts. */
void tvm_create(struct tvm *t, struct vm_config cfg);
/* Boot the real guest ($VMM_BIN/guest.elf) and assert it got ready. */
void tvm_boot_real(struct tvm *t);
/* Stop the VM and free everything; the console text stays readable in
 * t->console_buf until tvm_free_console(). */
void tvm_destroy(struct tvm *t);
void tvm_free_console(struct tvm *t);

/* vm_report_failure into a malloc()ed string. */
char *tvm_report(struct tvm *t);

double now_ms(void);

/* ---- the vmm program as a process ---- */

/* "$VMM_BIN/guest.elf" (a static buffer). */
const char *guest_elf_path(void);

struct run {
	int status;               /* exit status, or 128 + signal */
	char *out, *err;          /* malloc()ed, NUL-terminated */
};

/* A vmm started by vmm_spawn: its pid and the temporary files (already
 * unlinked) that are its standard input, output and error. */
struct vmm_proc {
	pid_t pid;
	int in, out, err;
};

/* Start $VMM_BIN/vmm with args (NULL-terminated), stdin holding input. */
struct vmm_proc vmm_spawn(const char *input, const char *const *args);
/* Wait for it to exit: its status and what it wrote. */
struct run vmm_wait(struct vmm_proc *p);
/* vmm_spawn then vmm_wait. */
struct run run_vmm(const char *input, const char *const *args);
void run_free(struct run *r);

#endif
