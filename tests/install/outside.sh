#!/usr/bin/env bash
# vmm-mm used from outside its tree, as a user would (run by ctest):
#
#   outside.sh install   BUILD SRC WORK  install BUILD into WORK/prefix and check
#                                        the installed tree (files, --help,
#                                        --version, man pages, linux-runner and
#                                        the default guest found in a moved copy)
#   outside.sh pkgconfig-build BUILD SRC WORK  build docs/criterion-test.md's
#   outside.sh cmake-build     BUILD SRC WORK  example with pkg-config /
#                                              find_package (no KVM)
#   outside.sh pkgconfig BUILD SRC WORK  run what pkgconfig-build /
#   outside.sh cmake     BUILD SRC WORK  cmake-build built (needs KVM)
#
# Building and running are two steps so that the compiler runs on this
# machine even where the tests that boot guests run in tools/kvm-machine.sh
# (whose software CPU makes a compiler take minutes).
# The example's files are taken from the page itself (the blocks after
# "<!-- file: NAME -->"), so the page cannot drift from what builds.
# Running the example needs /dev/kvm: without it the test fails, with
# vmm_boot's message saying why.
set -euo pipefail
mode=$1 build=$2 src=$3 work=$4
prefix=$work/prefix

fail() { echo "outside: $*" >&2; exit 1; }

# The block after "<!-- file: NAME -->" in the page, into DIR/NAME.
extract() {
	local name=$1 dir=$2
	awk -v want="<!-- file: $name -->" '
		$0 == want { found = 1; next }
		found && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }' "$src/docs/criterion-test.md" >"$dir/$name"
	[ -s "$dir/$name" ] || fail "no block '$name' in docs/criterion-test.md"
}

check_installed() {
	local f
	for f in bin/vmm bin/vmmctl bin/linux-runner bin/scengen \
		libexec/vmm-mm/linux-runner-child share/vmm-mm/guest.elf \
		include/vmm-mm/vmm.h share/man/man1/vmm.1 share/man/man1/vmmctl.1 \
		share/man/man5/vmm-scenario.5 share/bash-completion/completions/vmm \
		share/bash-completion/completions/vmmctl share/doc/vmm-mm/criterion-test.md; do
		[ -e "$prefix/$f" ] || fail "not installed: $f"
	done
	ls "$prefix"/lib*/libvmm-mm.so* "$prefix"/lib*/pkgconfig/vmm-mm.pc \
		"$prefix"/lib*/cmake/vmm-mm/vmm-mmConfig.cmake >/dev/null ||
		fail "library, pkg-config or CMake package files missing"
	for f in vmm vmmctl linux-runner scengen; do
		# grep without -q reads all of it: with -q it could stop early and
		# a longer help would die of SIGPIPE (pipefail).
		"$prefix/bin/$f" --help | grep '^usage: ' >/dev/null || fail "$f --help"
		"$prefix/bin/$f" --version | grep "^$f (vmm-mm) " >/dev/null || fail "$f --version"
	done
	for f in man1/vmm.1 man1/vmmctl.1 man5/vmm-scenario.5; do
		MANWIDTH=80 man -l "$prefix/share/man/$f" 2>/dev/null | grep NAME >/dev/null || fail "man $f"
	done
	bash -c "source '$prefix/share/bash-completion/completions/vmm'; complete -p vmmctl" \
		>/dev/null || fail "bash completion"
}

# A copy of the prefix elsewhere: the programs find their pieces relative
# to themselves.
check_relocated() {
	local moved=$work/moved out
	rm -rf "$moved" && cp -a "$prefix" "$moved"
	out=$(printf 'mmap 0x100000000000 8K rw-\nmaps\n' | env -u LINUX_RUNNER_CHILD \
		"$moved/bin/linux-runner" -) || fail "installed linux-runner: $out"
	[ "$out" = "$(printf 'mmap 0x100000000000 0x2000 rw- -> 0x100000000000\nmaps:\n100000000000-100000002000 rw-p')" ] ||
		fail "installed linux-runner printed: $out"
	# No guest named: the moved share/vmm-mm/guest.elf; the missing script
	# is then the first problem, reported before anything boots.
	out=$(env -u VMM_GUEST "$moved/bin/vmm" --script /nonexistent.scn 2>&1) && fail "vmm accepted it"
	[ "$out" = "vmm: cannot read /nonexistent.scn: No such file or directory" ] ||
		fail "installed vmm without a guest: $out"
}

# pkg-config finds the installed package, the program its library.
pkgconfig_env() {
	local pc
	pc=$(dirname "$(ls "$prefix"/lib*/pkgconfig/vmm-mm.pc "$prefix"/lib/*/pkgconfig/vmm-mm.pc 2>/dev/null | head -n 1)")
	export PKG_CONFIG_PATH=$pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
	export LD_LIBRARY_PATH=$(pkg-config --variable=libdir vmm-mm)
}

case $mode in
install)
	rm -rf "$work" && mkdir -p "$work"
	cmake --install "$build" --prefix "$prefix" >"$work/install.log"
	check_installed
	check_relocated
	echo "outside: installed into $prefix and checked"
	;;
pkgconfig-build)
	dir=$work/ex-pkgconfig && rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
	extract test_guest.c . && extract build-pkg-config.sh .
	pkgconfig_env
	echo "outside: pkg-config --cflags --libs vmm-mm: $(pkg-config --cflags --libs vmm-mm)"
	# The page's script but its ./ lines, which run the test.
	grep -v '^\./' build-pkg-config.sh | bash -e
	[ -x test_guest ] || fail "build-pkg-config.sh built no test_guest"
	;;
pkgconfig)
	dir=$work/ex-pkgconfig && cd "$dir" || fail "run outside.sh pkgconfig-build first"
	pkgconfig_env
	grep '^\./' build-pkg-config.sh | grep . >/dev/null || fail "the page's script runs nothing"
	grep '^\./' build-pkg-config.sh | bash -e
	;;
cmake-build)
	dir=$work/ex-cmake && rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
	extract test_guest.c . && extract CMakeLists.txt .
	cmake -S . -B build -DCMAKE_PREFIX_PATH="$prefix" >cmake.log || { cat cmake.log; fail "configure"; }
	cmake --build build
	;;
cmake)
	dir=$work/ex-cmake && cd "$dir" || fail "run outside.sh cmake-build first"
	ctest --test-dir build --output-on-failure
	;;
*)
	fail "unknown mode $mode"
	;;
esac
