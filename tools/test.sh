#!/usr/bin/env bash
# Install, build (plain, with sanitizers, and the clang fuzz build) and run
# every test on the sanitizer build, then the fuzz targets over their seed
# corpora and a fixed number of mutated inputs each (build-fuzz,
# docs/fuzzing.md).  Tests run against real KVM: no /dev/kvm, no pass.
# Arguments go to the main suite's ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! tools/kvm-check.sh; then
	echo "test: the tests need real KVM: not run" >&2
	exit 1
fi
tools/setup.sh --asan --fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
ctest --test-dir build-asan --output-on-failure -j2 "$@" || status=$?
# The fuzz tests set their own sanitizer options (tests/fuzz/CMakeLists.txt).
ctest --test-dir build-fuzz --output-on-failure -j2 || status=$?
exit "$status"
