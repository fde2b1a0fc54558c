#!/usr/bin/env bash
# Install, build, and run vmm on the default guest with the demo scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/kvm-check.sh || { echo "demo: vmm needs KVM: not built" >&2; exit 1; }
tools/setup.sh
exec build/bin/vmm --script docs/demo.scn build/bin/guest.elf
