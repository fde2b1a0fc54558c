#!/usr/bin/env bash
# Install, build, and run vmm on the default guest with the demo scenario.
# Where this machine has no /dev/kvm at all, vmm runs on real KVM inside
# tools/kvm-machine.sh (QEMU's emulated AMD-V CPU; slower, same transcript).
set -euo pipefail
cd "$(dirname "$0")/.."
if tools/kvm-check.sh 2>/dev/null; then
	tools/setup.sh
	exec build/bin/vmm --script docs/demo.scn build/bin/guest.elf
fi
if [ -e /dev/kvm ]; then
	tools/kvm-check.sh || true
	echo "demo: vmm needs KVM: not run" >&2
	exit 1
fi
echo "demo: no /dev/kvm here: running vmm on real KVM inside tools/kvm-machine.sh" >&2
tools/setup.sh --machine
exec tools/kvm-machine.sh build/bin/vmm --script docs/demo.scn build/bin/guest.elf
