#!/usr/bin/env bash
# Install, build (plain and with sanitizers) and run every test on the
# sanitizer build.  Tests run against real KVM: no /dev/kvm, no pass.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! tools/kvm-check.sh; then
	echo "test: the tests need real KVM: not run" >&2
	exit 1
fi
tools/setup.sh --asan
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build-asan --output-on-failure -j2 "$@"
