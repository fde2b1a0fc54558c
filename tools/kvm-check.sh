#!/usr/bin/env bash
# Check that /dev/kvm is a usable KVM device before anything is built or run,
# and say what to do when it is not.  Exit 0 if usable, 1 otherwise.
# Never creates /dev/kvm (a bare `exec 3<>/dev/kvm` would make a plain file).
set -u
dev=/dev/kvm
# The kernel's own word when its KVM module refused to bind (for example a
# kvm_pvm kernel that is itself a guest: no nested virtualization).
explain_unbound() {
	local why
	why=$(dmesg 2>/dev/null | grep -i kvm | grep 'not binding' | tail -n 1 | sed 's/^\[[^]]*\] //')
	if [ -n "$why" ]; then
		echo "kvm-check: the kernel says: $why" >&2
		echo "kvm-check: this machine cannot run KVM guests (nested virtualization is not offered); use a machine whose kernel exposes /dev/kvm." >&2
	else
		echo "kvm-check: load it (modprobe kvm_intel or kvm_amd, or the kvm backend your host provides) and check that virtualization is enabled." >&2
	fi
}
if [ ! -e "$dev" ]; then
	echo "kvm-check: $dev does not exist: the kvm module is not loaded or not bound." >&2
	explain_unbound
	exit 1
fi
if [ ! -c "$dev" ]; then
	echo "kvm-check: $dev is not a character device (a plain file left by some tool?): remove it and load the kvm module." >&2
	exit 1
fi
if ! { exec 3<>"$dev"; } 2>/dev/null; then
	if [ -r "$dev" ] && [ -w "$dev" ]; then
		echo "kvm-check: $dev cannot be opened (no such device): the kvm module is not bound to it." >&2
		explain_unbound
	else
		echo "kvm-check: no read-write access to $dev: add yourself to its group (usually kvm: sudo usermod -aG kvm \$USER, then log in again) or run as root." >&2
	fi
	exit 1
fi
exec 3>&-
exit 0
