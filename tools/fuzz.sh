#!/usr/bin/env bash
# Fuzzing campaigns (docs/fuzzing.md), on the fuzz build (build-fuzz/,
# clang + libFuzzer + ASan + UBSan; built here if missing).
#
#   tools/fuzz.sh TARGET [SECONDS]     fuzz for SECONDS (default 600)
#   tools/fuzz.sh TARGET -runs=N       fuzz N inputs
#   tools/fuzz.sh TARGET ... -- ARGS   more libFuzzer flags (-jobs=2 ...)
#   tools/fuzz.sh --list               the targets
#   tools/fuzz.sh --seeds              rewrite the generated seed corpora (tests/fuzz/corpus;
#                                      regression-* inputs stay)
#   tools/fuzz.sh --coverage TARGET    line coverage of TARGET's campaign corpus
#                                      (llvm-cov, build-fuzz-cov/)
#
# A campaign keeps what it finds in build-fuzz/campaign/TARGET (reused by
# the next one), the seeds in tests/fuzz/corpus/TARGET stay as they are;
# crashes are written to build-fuzz/campaign/ (crash-*, leak-*, timeout-*),
# the log to build-fuzz/campaign/TARGET.log, whose last lines (stat::*) are
# the figures docs/fuzzing.md records.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(fuzz_elf fuzz_scenario fuzz_control fuzz_memory fuzz_gdb fuzz_tlblog fuzz_trace)
# The corpora fuzz_seedgen writes (fuzz_gdb's and fuzz_tlblog's are written by hand).
generated=(fuzz_elf fuzz_scenario fuzz_control fuzz_memory fuzz_trace)

build_fuzz() {
	if [ ! -f build-fuzz/CMakeCache.txt ]; then
		tools/setup.sh --fuzz-only
	fi
	cmake --build build-fuzz -j"$(nproc)" >/dev/null
}

# Flags of one target (see tests/fuzz/CMakeLists.txt).
target_flags() {
	case $1 in
	fuzz_control) echo -detect_leaks=0 ;;
	esac
}

max_len() {
	case $1 in
	fuzz_elf) echo 16384 ;;
	fuzz_scenario|fuzz_tlblog|fuzz_trace) echo 8192 ;;
	*) echo 65536 ;;
	esac
}

case ${1:-} in
--list)
	printf '%s\n' "${targets[@]}"
	exit 0 ;;
--seeds)
	build_fuzz
	# The generated seeds go; regression-* inputs (written by hand) stay.
	for t in "${generated[@]}"; do
		find "tests/fuzz/corpus/$t" -maxdepth 1 -type f ! -name 'regression-*' -delete 2>/dev/null || true
	done
	build-fuzz/fuzz_seedgen . tests/fuzz/corpus
	echo "fuzz: seeds written to tests/fuzz/corpus" >&2
	exit 0 ;;
--coverage)
	t=${2:?usage: tools/fuzz.sh --coverage TARGET}
	cmake -S tests/fuzz -B build-fuzz-cov -DCMAKE_C_COMPILER=clang-14 -DFUZZ_COVERAGE=ON >/dev/null
	cmake --build build-fuzz-cov -j"$(nproc)" --target "$t" >/dev/null
	dirs=("tests/fuzz/corpus/$t")
	[ -d "build-fuzz/campaign/$t" ] && dirs+=("build-fuzz/campaign/$t")
	rm -f "build-fuzz-cov/$t.profraw"
	# shellcheck disable=SC2046
	LLVM_PROFILE_FILE="build-fuzz-cov/$t.profraw" "build-fuzz-cov/$t" -runs=0 \
		"-max_len=$(max_len "$t")" $(target_flags "$t") "${dirs[@]}" >/dev/null 2>&1
	llvm-profdata-14 merge -sparse "build-fuzz-cov/$t.profraw" -o "build-fuzz-cov/$t.profdata"
	llvm-cov-14 report "build-fuzz-cov/$t" -instr-profile="build-fuzz-cov/$t.profdata" \
		-ignore-filename-regex='(tests|usr)/' -show-region-summary=false
	exit 0 ;;
''|-h|--help)
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	exit 2 ;;
esac

t=$1; shift
[[ " ${targets[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t' (--list)" >&2; exit 2; }
limit=(-max_total_time=600)
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	case $1 in
	-runs=*) limit=("$1") ;;
	*) limit=(-max_total_time="$1") ;;
	esac
	shift
fi
[ "${1:-}" = "--" ] && shift
build_fuzz
mkdir -p "build-fuzz/campaign/$t"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "fuzz: $t ${limit[*]} $*; log build-fuzz/campaign/$t.log" >&2
cd build-fuzz/campaign
rc=0
# shellcheck disable=SC2046
"../$t" "${limit[@]}" -timeout=60 -malloc_limit_mb=64 -print_final_stats=1 \
	"-max_len=$(max_len "$t")" $(target_flags "$t") "$@" "$t" "../../tests/fuzz/corpus/$t" >"$t.log" 2>&1 || rc=$?
grep -E '^(#[0-9]+[[:space:]]+DONE|stat::|==[0-9]+==|SUMMARY|INFO: seed corpus)' "$t.log" || true
exit "$rc"
