#!/usr/bin/env bash
# Build the Debian package: a plain build configured for the prefix /usr in
# build-pkg/, then CPack (cmake/package.cmake).  Prints the .deb's path.
#   tools/package.sh            then, as root:  apt-get install ./build-pkg/vmm-mm_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --deps
dir=build-pkg
mkdir -p "$dir"
if ! { cmake -S . -B "$dir" -DVMM_SANITIZE=OFF -DCMAKE_INSTALL_PREFIX=/usr &&
       cmake --build "$dir" -j"$(nproc)" &&
       (cd "$dir" && cpack -G DEB); } >"$dir/package.log" 2>&1; then
	cat "$dir/package.log" >&2
	echo "package: failed (log: $dir/package.log)" >&2
	exit 1
fi
ls "$PWD/$dir"/vmm-mm_*_amd64.deb
