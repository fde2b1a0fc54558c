#!/usr/bin/env bash
# Install, build (plain, with sanitizers, and the clang fuzz build) and run
# every test on the sanitizer build, then the fuzz targets over their seed
# corpora and a fixed number of mutated inputs each (build-fuzz,
# docs/fuzzing.md).  Arguments go to the main suite's ctest.
#
# Tests run against real KVM: no KVM, no pass.  Where this machine has no
# /dev/kvm at all (a cloud VM without nested virtualization), the tests that
# boot guests (ctest label kvm) run inside tools/kvm-machine.sh: a QEMU
# machine whose emulated AMD-V CPU gives Debian's kernel a real /dev/kvm
# (kvm_amd).  The others, and the Linux oracle, run here.
# VMM_TEST_MACHINE=1 takes that path even where /dev/kvm works.
set -euo pipefail
cd "$(dirname "$0")/.."
machine=${VMM_TEST_MACHINE:-0}
if [ "$machine" = 0 ] && ! tools/kvm-check.sh; then
	if [ -e /dev/kvm ]; then
		echo "test: the tests need real KVM: not run" >&2
		exit 1
	fi
	echo "test: no /dev/kvm here: the tests that boot guests run on real KVM inside tools/kvm-machine.sh" >&2
	machine=1
fi
# --browser: Debian's chromium for the report's browser tests.
if [ "$machine" = 1 ]; then
	tools/setup.sh --asan --tsan --fuzz --browser --machine
else
	tools/setup.sh --asan --tsan --fuzz --browser
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
# The benchmarks' command lines, where the benchmarks are built (build/),
# and the fuzz targets (they set their own sanitizer options:
# tests/fuzz/CMakeLists.txt).
bench_and_fuzz() {
	local r=0
	ctest --test-dir build --output-on-failure -L bench || r=1
	ctest --test-dir build-fuzz --output-on-failure -j2 || r=1
	return $r
}
# The fixtures whose setup runs on this host, for the tests that need them.
uses_fixtures='scenario_diff_oracle|vmm_installed|vmm_outside_built'
if [ "$machine" = 1 ]; then
	# The fixtures' setup (the Linux oracle's stage, the installed tree,
	# the example built outside the tree) runs here first, on this host's
	# own kernel (the machine's is another Linux) and compiler.
	fixtures='^(scenario_diff_oracle|install_tree|outside_cmake_build|outside_pkgconfig_build)$'
	ctest --test-dir build-asan --output-on-failure -j2 -R "$fixtures" || status=$?
	page=$PWD/build-asan/report-live.html
	rm -f "$page"
	tools/kvm-machine.sh --prepare
	logs=$(mktemp -d)
	# Then three stages side by side, each of its own tests and files:
	# this host's other tests (then tools/kvm-machine.sh's own test, the
	# benchmarks' command lines and the fuzz targets), and two machines of
	# one CPU each.  One CPU per machine
	# keeps its kernel out of cross-CPU waits on a CPU that runs a guest
	# (seen to hang QEMU's emulated AMD-V under load).
	host() {
		local r=0
		ctest --test-dir build-asan --output-on-failure -j2 -LE kvm -E "$fixtures" \
			-FS "$uses_fixtures" "$@" || r=1
		# The machine's own guarantees: status, libraries, --stall.
		tests/machine/test_kvm_machine.sh || r=1
		bench_and_fuzz || r=1
		return $r
	}
	first='^(scenario_diff|test_vm|scenario_vmm|test_vmm_cli)$'
	# ctest prints a line as each test starts and ends; the longest test
	# took 220 s under load: a machine silent for 900 s is wedged.
	kvm=(--test-dir build-asan --output-on-failure -L kvm -FS "$uses_fixtures")
	machine_a() {
		tools/kvm-machine.sh --cpus 1 --stall 900 ctest "${kvm[@]}" -R "$first" "$@"
	}
	# The second machine then runs the ThreadSanitizer build's test
	# (several vCPU threads, host threads driving them at once), and this
	# host opens the report its test_report_live kept in Chromium (in the
	# machine's software CPU one page load takes minutes).
	machine_b() {
		local r=0
		VMM_REPORT_NO_BROWSER=1 VMM_REPORT_KEEP=$page tools/kvm-machine.sh --cpus 1 --stall 900 \
			bash -c 'ctest "$@"; r=$?
				ctest --test-dir build-tsan --output-on-failure -L tsan || r=1
				exit $r' machine_b "${kvm[@]}" -E "$first" "$@" || r=1
		# (None when the arguments left test_report_live out.)
		if [ -s "$page" ]; then
			VMM_REPORT_HTML=$page VMM_REPORT_STEPS=5 build-asan/tests/test_report_browser \
				--jobs 1 --filter 'report_browser_real/*' || r=1
		fi
		return $r
	}
	host "$@" >"$logs/host.log" 2>&1 & h=$!
	machine_a "$@" >"$logs/a.log" 2>&1 & a=$!
	machine_b "$@" >"$logs/b.log" 2>&1 & b=$!
	wait $a || status=1
	wait $b || status=1
	wait $h || status=1
	cat "$logs/host.log" "$logs/a.log" "$logs/b.log"
	rm -rf "$logs"
	exit "$status"
else
	ctest --test-dir build-asan --output-on-failure -j2 "$@" || status=$?
	ctest --test-dir build-tsan --output-on-failure -L tsan || status=$?
fi
bench_and_fuzz || status=1
exit "$status"
