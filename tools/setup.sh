#!/usr/bin/env bash
# Install what is missing (Debian 12, as root or with sudo; without either,
# name the packages to install and stop), then configure and build into
# build/ (and build-asan/ with --asan: AddressSanitizer +
# UndefinedBehaviorSanitizer on the host code; build-fuzz/ with --fuzz: the
# libFuzzer targets of tests/fuzz, with clang; --fuzz-only: that one alone).
# --machine adds what tools/kvm-machine.sh needs (QEMU, busybox, cpio) on a
# machine without /dev/kvm.  --browser adds Debian's chromium, which the
# report tests (tests/report: the page of vmm --report) run headless.
# --tsan builds build-tsan/: ThreadSanitizer on the host code, only what its
# test needs (tests/smp/tsan_stress.c, ctest label tsan).
#   tools/setup.sh [--asan] [--tsan] [--fuzz | --fuzz-only] [--machine] [--browser]
#   tools/setup.sh --deps [--fuzz] [--machine] [--browser]     install only
set -euo pipefail
cd "$(dirname "$0")/.."

asan=0 tsan=0 fuzz=0 main=1 deps=0 machine=0 browser=0
for a in "$@"; do
	case $a in
	--asan) asan=1 ;;
	--tsan) tsan=1 ;;
	--fuzz) fuzz=1 ;;
	--fuzz-only) fuzz=1 main=0 ;;
	--deps) deps=1 ;;
	--machine) machine=1 ;;
	--browser) browser=1 ;;
	*) echo "usage: tools/setup.sh [--asan] [--tsan] [--fuzz | --fuzz-only] [--machine] [--browser] | --deps [--fuzz] [--machine] [--browser]" >&2; exit 2 ;;
	esac
done

packages=(gcc make cmake pkg-config libelf-dev libedit-dev libcriterion-dev socat gdb)
# The fuzz build: clang with libFuzzer and its sanitizers, llvm-cov for
# coverage figures.
((fuzz)) && packages+=(clang-14 libclang-rt-14-dev llvm-14)
# The nested test machine (tools/kvm-machine.sh): QEMU's software CPU with
# AMD SVM, a busybox initramfs packed with cpio.
((machine)) && packages+=(qemu-system-x86 busybox-static cpio)
# The report tests' browser (headless; tests/report/browser.c).
((browser)) && packages+=(chromium)
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
((deps)) && exit 0

# The build's output goes to DIR/build.log, and to the terminal only if it
# fails.  $targets (space-separated), if set, limits what is built.
build() {
	local dir=$1 src=$2; shift 2
	local t=()
	for x in ${targets:-}; do t+=(--target "$x"); done
	mkdir -p "$dir"
	if ! { cmake -S "$src" -B "$dir" "$@" && cmake --build "$dir" -j"$(nproc)" "${t[@]}"; } >"$dir/build.log" 2>&1; then
		cat "$dir/build.log" >&2
		echo "setup: building $dir failed (log: $dir/build.log)" >&2
		exit 1
	fi
	echo "setup: built $dir (log: $dir/build.log)" >&2
}
# The trees are independent and build side by side: their configure and
# link steps, which keep one CPU busy, overlap the others' compiles.
pids=()
if ((main)); then
	build build . -DVMM_SANITIZE=OFF & pids+=($!)
	((asan)) && { build build-asan . -DVMM_SANITIZE=ON & pids+=($!); }
	((tsan)) && { targets="tsan_stress" build build-tsan . -DVMM_TSAN=ON & pids+=($!); }
fi
# The fuzz build is a project of its own (tests/fuzz/CMakeLists.txt).
((fuzz)) && { build build-fuzz tests/fuzz -DCMAKE_C_COMPILER=clang-14 & pids+=($!); }
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit "$status"
