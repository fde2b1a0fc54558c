/*
 * The messages for an unusable /dev/kvm (vmm/kvm_diag.h), every case, on
 * stand-in paths: a missing device, one no module serves (with and without
 * a kernel that refused to bind one: this project's CI machine), no
 * access, and a plain file in its place.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vmm/kvm_diag.h"

static const char not_binding_log[] =
	"<6>[    0.270871] clocksource: Switched to clocksource kvm-clock\n"
	"<6>[    0.305679] kvm-pvm: this kernel is itself a kvm-pvm guest; not binding\n"
	"<6>[    0.400000] something else\n";

static char msg[2048];

Test(kvm_diag, missing_device_names_the_module)
{
	kvm_explain("/nonexistent/kvm", ENOENT, "", msg, sizeof msg);
	cr_assert_str_eq(msg,
		"cannot open /nonexistent/kvm: No such file or directory\n"
		"/nonexistent/kvm does not exist: no KVM module is loaded\n"
		"load the KVM module for this CPU (as root: modprobe kvm_intel, or modprobe kvm_amd) "
		"after enabling virtualization (VT-x / AMD-V) in the firmware; in a virtual machine, "
		"enable nested virtualization in its hypervisor\n"
		"then check: ls -l /nonexistent/kvm; dmesg | grep -i kvm");
}

Test(kvm_diag, nested_guest_is_recognised_and_quoted)
{
	kvm_explain("/nonexistent/kvm", ENOENT, not_binding_log, msg, sizeof msg);
	cr_assert(strstr(msg, "\nthe kernel says: kvm-pvm: this kernel is itself a kvm-pvm guest; "
			 "not binding\n"), "%s", msg);
	cr_assert(strstr(msg, "does not offer nested virtualization"), "%s", msg);
	/* A device node without a module behind it (what this machine has). */
	kvm_explain("/dev/null", ENODEV, not_binding_log, msg, sizeof msg);
	cr_assert(strncmp(msg, "cannot open /dev/null: No such device\n"
			  "/dev/null exists but no KVM module serves it\nthe kernel says: kvm-pvm: ",
			  100) == 0, "%s", msg);
	kvm_explain("/dev/null", ENXIO, NULL, msg, sizeof msg);
	cr_assert(strstr(msg, "modprobe kvm_intel"), "%s", msg);
}

Test(kvm_diag, no_access_names_the_group)
{
	kvm_explain("/dev/null", EACCES, NULL, msg, sizeof msg);
	cr_assert_str_eq(msg,
		"cannot open /dev/null: Permission denied\n"
		"no read-write access to /dev/null (mode 0666, group root)\n"
		"add yourself to its group (as root: usermod -aG root $USER, then log in again), "
		"or make the device accessible (chmod 0660 /dev/null; chgrp root /dev/null), "
		"or run as root");
}

Test(kvm_diag, plain_file_in_its_place)
{
	char path[] = "/tmp/vmm-kvm-XXXXXX";
	int fd = mkstemp(path);

	close(fd);
	kvm_explain(path, ENODEV, NULL, msg, sizeof msg);
	cr_assert(strstr(msg, "is not a character device"), "%s", msg);
	unlink(path);
}

Test(kvm_diag, message_is_cut_not_overrun)
{
	char small[40];

	kvm_explain("/nonexistent/kvm", ENOENT, not_binding_log, small, sizeof small);
	cr_assert_eq(strlen(small), sizeof small - 1);
	cr_assert_eq(kvm_diagnose(ENOENT, msg, sizeof msg), -ENOENT);
	cr_assert(strncmp(msg, "cannot open /dev/kvm: ", 22) == 0, "%s", msg);
}
