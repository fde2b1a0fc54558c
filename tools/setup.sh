#!/usr/bin/env bash
# Install what is missing (Debian 12, as root or with sudo), then configure
# and build into build/ (and build-asan/ with --asan: AddressSanitizer +
# UndefinedBehaviorSanitizer on the host code).
#   tools/setup.sh [--asan]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc make cmake pkg-config libelf-dev libcriterion-dev socat)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	echo "setup: installing ${missing[*]}" >&2
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

# The build's output goes to DIR/build.log, and to the terminal only if it fails.
build() {
	local dir=$1; shift
	mkdir -p "$dir"
	if ! { cmake -S . -B "$dir" "$@" && cmake --build "$dir" -j"$(nproc)"; } >"$dir/build.log" 2>&1; then
		cat "$dir/build.log" >&2
		echo "setup: building $dir failed (log: $dir/build.log)" >&2
		exit 1
	fi
	echo "setup: built $dir (log: $dir/build.log)" >&2
}
build build -DVMM_SANITIZE=OFF
if [ "${1:-}" = "--asan" ]; then
	build build-asan -DVMM_SANITIZE=ON
fi
