#!/usr/bin/env bash
# Install what is missing (Debian 12, as root or with sudo; without either,
# name the packages to install and stop), then configure and build into
# build/ (and build-asan/ with --asan: AddressSanitizer +
# UndefinedBehaviorSanitizer on the host code).
#   tools/setup.sh [--asan]     install, build build/ (and build-asan/)
#   tools/setup.sh --deps       install only
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(gcc make cmake pkg-config libelf-dev libedit-dev libcriterion-dev socat)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "setup: missing Debian packages: ${missing[*]}" >&2
			echo "setup: not root and no sudo here: install them as root, then run this again:" >&2
			echo "    apt-get install ${missing[*]}" >&2
			exit 1
		fi
		sudo="sudo"
	fi
	echo "setup: installing ${missing[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi

[ "${1:-}" = "--deps" ] && exit 0

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
