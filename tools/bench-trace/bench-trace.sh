#!/usr/bin/env bash
# bench-trace: what the memory-manager trace costs while it is off.
#
#   tools/bench-trace/bench-trace.sh [BUILD_DIR]     (default: build; a plain
#                                                    build, not build-asan)
#
# 1. Dynamic: the guest's mm built for the host as tests/unit builds it,
#    with the guest's code generation where it matters (no SSE, no red
#    zone: guest/mm/mm_trace.h's register-preserving calls), three ways:
#    trace points compiled out (none), compiled in with tracing off (off),
#    on (on).  N holes punched (the seed's munmap: a 16 KiB VMA, all pages
#    written, the second page unmapped); callgrind counts the instructions
#    executed inside do_munmap and handle_mm_fault, per call.
# 2. Static: the guest kernel's own trace points in guest.elf: every test
#    of the flag must be `cmpb $0, mm_trace_on(%rip)` followed by `jne`
#    (two instructions), and the per-request switch (requests.c).
set -euo pipefail
build=${1:-build}
n=200
bin=$build/bin
command -v valgrind >/dev/null || { echo "bench-trace: needs valgrind" >&2; exit 1; }
for v in none off on; do
	[ -x "$bin/bench-trace-$v" ] || { echo "bench-trace: build $bin/bench-trace-$v first" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

count() {   # variant function -> instructions per call
	valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" --toggle-collect="$2" \
		"$bin/bench-trace-$1" "$n" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
echo "# tools/bench-trace/bench-trace.sh $build   ($n holes; instructions per call, callgrind)"
echo
printf '| %-16s | %8s | %8s | %8s | %-12s |\n' "function" "none" "off" "on" "off - none"
printf '|%s|%s|%s|%s|%s|\n' ------------------ ---------- ---------- ---------- --------------
for fn in do_munmap handle_mm_fault; do
	calls=$n
	[ "$fn" = handle_mm_fault ] && calls=$((4 * n))
	a=$(count none "$fn") b=$(count off "$fn") c=$(count on "$fn")
	awk -v f="$fn" -v a="$a" -v b="$b" -v c="$c" -v k="$calls" 'BEGIN {
		printf "| %-16s | %8.1f | %8.1f | %8.1f | %+12.1f |\n", f, a/k, b/k, c/k, (b-a)/k }'
done
echo
guest=$bin/guest.elf
if command -v objdump >/dev/null && [ -f "$guest" ]; then
	objdump -d --no-show-raw-insn "$guest" >"$tmp/dis"
	tests=$(grep -c 'cmpb   \$0x0,.*<mm_trace_on>' "$tmp/dis" || true)
	jumps=$(grep -A3 'cmpb   \$0x0,.*<mm_trace_on>' "$tmp/dis" | grep -c -E '\sj(ne|e) ' || true)
	echo "guest.elf: $tests flag tests 'cmpb \$0x0,mm_trace_on(%rip)'; $jumps conditional jumps (jne to the"
	echo "  cold block, or je over it) within the three instructions after them"
	echo "request_handle (per request: the switch copied from the control page):"
	awk '/<request_handle>:/,/^$/' "$tmp/dis" | grep -B2 -A1 'setne.*mm_trace_on' | sed 's/^/    /'
fi
