#!/usr/bin/env bash
# tools/kvm-machine.sh itself, where tools/test.sh uses it (no /dev/kvm):
#  1. the command's exit status comes back, and every library listed in
#     build-machine/libs.stat is bound over its path inside the machine,
#     and the CA bundle is not there to parse (no regular file);
#  2. --stall stops a machine that prints nothing: status 125, the CPU's
#     registers from QEMU's monitor, and the command never got to its end.
set -euo pipefail
cd "$(dirname "$0")/../.."
machine=tools/kvm-machine.sh
cache=${VMM_MACHINE_DIR:-$PWD/build-machine}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() {
	echo "test_kvm_machine: FAIL: $*" >&2
	exit 1
}

r=0
"$machine" --cpus 1 sh -c 'cut -d" " -f2 /proc/mounts
	[ -f /etc/ssl/certs/ca-certificates.crt ] && echo "CA bundle present"; exit 7' >"$out/mounts" || r=$?
[ "$r" = 7 ] || fail "the command's status 7 came back as $r"
! grep -q "CA bundle present" "$out/mounts" || fail "the CA bundle is a regular file in the machine"
[ -s "$cache/libs.stat" ] || fail "no $cache/libs.stat after a run"
while read -r lib _; do
	grep -qxF "$lib" "$out/mounts" || fail "$lib is not bound in the machine"
done <"$cache/libs.stat"
echo "test_kvm_machine: status and $(wc -l <"$cache/libs.stat") bound libraries: ok"

r=0
"$machine" --cpus 1 --stall 20 sh -c 'echo up; sleep 120; echo late' >"$out/stdout" 2>"$out/stderr" || r=$?
[ "$r" = 125 ] || fail "a silent machine under --stall 20 ended with $r, not 125"
grep -q 'machine stopped' "$out/stderr" || fail "no stall message: $(cat "$out/stderr")"
grep -q '^RIP=' "$out/stderr" || fail "no registers from the monitor: $(cat "$out/stderr")"
! grep -q late "$out/stdout" || fail "the command ran to its end: the guard never fired"
echo "test_kvm_machine: --stall: ok"
