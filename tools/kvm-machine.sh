#!/usr/bin/env bash
# Run a command on real KVM where this machine has no /dev/kvm.
#
# The command runs inside a QEMU machine whose software CPU (TCG, "-cpu max")
# offers AMD SVM with nested paging.  Debian's own kernel boots there from a
# busybox initramfs, loads kvm and kvm_amd, and so exposes a real /dev/kvm:
# the Linux KVM module on an AMD-V CPU, the kind of host vmm is designed for.
# This machine's root directory is shared into it (9p, read-write), so the
# command sees the same files, binaries and libraries at the same paths, in
# the same directory, with the same environment; /tmp is the machine's own
# (but for the host's directories there that the command's tree needs).
# The shared libraries of vmm and the tests come from copies in the
# initramfs, bound over the shared files (each process start maps them).
# The command's output is printed here and its exit status is returned.
#
#   tools/kvm-machine.sh [--cpus N] [--mem MiB] [--stall SECS] [--] COMMAND [ARG...]
#   tools/kvm-machine.sh --prepare     fetch the kernel, build the initramfs
#   tools/kvm-machine.sh --help
#
# --stall SECS stops the machine when nothing was printed for SECS seconds
# (the boot, some seconds, counts too): a hang guard from outside.  (A whole
# machine has been seen to wedge, QEMU at 100% of a host CPU, so that no
# timer in it, ctest's or Criterion's, ever fired.)  Before it stops the
# machine it prints the CPU's registers and next instructions from QEMU's
# monitor, three looks a second apart.  No guard by default.
#
# The kernel (Debian's linux-image-amd64) and the initramfs (rebuilt when
# this script or one of those libraries changes) are kept in build-machine/
# (VMM_MACHINE_DIR overrides it).  Exit status: the command's; 2 for bad
# usage; 125 if the machine could not be prepared or did not report the
# command's status (QEMU failed, the kernel panicked).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache=${VMM_MACHINE_DIR:-$root/build-machine}
cpus=$(nproc)
mem=4096
stall=0
prepare_only=0

usage() {
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
}
die() {
	echo "kvm-machine: $*" >&2
	exit 125
}
while [ $# -gt 0 ]; do
	case $1 in
	--cpus) cpus=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--stall) stall=${2:?}; shift 2 ;;
	--prepare) prepare_only=1; shift ;;
	--help | -h) usage; exit 0 ;;
	--) shift; break ;;
	-*) echo "kvm-machine: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
case $cpus$mem$stall in *[!0-9]*) echo "kvm-machine: --cpus, --mem and --stall take numbers" >&2; exit 2 ;; esac
if ((! prepare_only)) && [ $# -eq 0 ]; then
	echo "kvm-machine: no command given (see --help)" >&2
	exit 2
fi

# The kernel modules the initramfs loads, in dependency order.
modules=(virt/lib/irqbypass arch/x86/kvm/kvm drivers/crypto/ccp/ccp
	arch/x86/kvm/kvm-amd drivers/virtio/virtio_ring drivers/virtio/virtio
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci_legacy_dev
	drivers/virtio/virtio_pci fs/netfs/netfs fs/fscache/fscache net/9p/9pnet
	net/9p/9pnet_virtio fs/9p/9p)

fetch_kernel() {
	local dl=$cache/download pkg deb
	rm -rf "$dl" && mkdir -p "$dl"
	pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
	[ -n "$pkg" ] || die "apt-cache names no kernel package for linux-image-amd64 (apt-get update?)"
	(cd "$dl" && apt-get download "$pkg" >/dev/null 2>&1) || die "apt-get download $pkg failed"
	deb=$(ls "$dl"/*.deb)
	dpkg-deb -x "$deb" "$dl/x" || die "cannot unpack $deb"
	cp "$dl"/x/boot/vmlinuz-* "$cache/vmlinuz"
	rm -rf "$cache/modules" && mkdir -p "$cache/modules"
	local m mod
	for m in "${modules[@]}"; do
		mod=$(ls "$dl"/x/lib/modules/*/kernel/"$m".ko* 2>/dev/null | head -n 1)
		[ -n "$mod" ] || die "$pkg has no module $m"
		cp "$mod" "$cache/modules/"
	done
	echo "$pkg" >"$cache/kernel-package"
	rm -rf "$dl"
}

# init: load the modules, mount this machine's root, run the job, power off.
write_init() {
	cat >"$1" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do
	args=; [ "$m" = kvm-amd.ko ] && args=$(sed -n "s/.*kvm_amd_args=\([^ ]*\).*/\1/p" /proc/cmdline | tr , " " | sed "s/^none$//")
	insmod "/mods/$m" $args || echo "kvm-machine: insmod $m failed"
done
job=$(sed -n 's/.*kvm_machine_job=\([^ ]*\).*/\1/p' /proc/cmdline)
r=/newroot
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=mmap host "$r"; then
	mount -t proc proc "$r/proc"
	mount -t sysfs sysfs "$r/sys"
	mount -t devtmpfs dev "$r/dev"
	# /tmp is the machine's own, but for the host's directories there that
	# the job needs (a clone under /tmp: its tree, its job directory).
	mkdir -p /hosttmp && mount --bind "$r/tmp" /hosttmp
	mount -t tmpfs tmp "$r/tmp"
	for d in $(sed -n 's/.*kvm_machine_tmp=\([^ ]*\).*/\1/p' /proc/cmdline | tr , " "); do
		[ "$d" = none ] || { mkdir -p "$r/tmp/$d" && mount --bind "/hosttmp/$d" "$r/tmp/$d"; }
	done
	mkdir -p "$r/dev/shm" "$r/dev/pts"
	mount -t tmpfs shm "$r/dev/shm"
	mount -t devpts -o ptmxmode=0666 devpts "$r/dev/pts"
	# The libraries kept in this initramfs, bound over their paths.
	(cd /libs && find . -type f) | while read -r f; do
		mount --bind "/libs/$f" "$r/$f" 2>/dev/null || echo "kvm-machine: cannot bind ${f#.}"
	done
	# No network here, so no CA bundle: Criterion's libgit2 parses it at
	# every start of a test process, 0.17-0.28 s of this CPU's time each.
	ca=$r/etc/ssl/certs/ca-certificates.crt
	[ ! -f "$ca" ] || mount --bind /dev/null "$ca"
	echo "kvm-machine: start"
	chroot "$r" /bin/bash "$job/run.sh" </dev/null
	echo "$?" >"$r$job/status"
	sync
	echo "kvm-machine: end"
else
	echo "kvm-machine: cannot mount the host's root (9p)"
fi
poweroff -f
EOF
	chmod +x "$1"
}

# The shared libraries of the project's programs (vmm and a Criterion test
# of each build tree) and the dynamic loader.  The initramfs holds copies
# that the machine binds over the originals: every process start (Criterion
# starts one per test) then maps them from memory, not over 9p.  Measured
# in a one-CPU machine: test_vmm_cli took 50 s over 9p, 29 to 35 s so.
lib_list() {
	local f
	for f in "$root"/build*/vmm/vmm "$root"/build*/tests/test_vm; do
		[ -x "$f" ] || continue
		ldd "$f" 2>/dev/null | awk '/=> \// {print $3}'
	done | { cat; echo /lib64/ld-linux-x86-64.so.2; } | xargs -r readlink -f | sort -u
}

# Whether the initramfs must be rebuilt: none yet, this script changed (the
# init is part of it), or the libraries did (their list, or one's inode,
# size or times: an upgrade replaces the file).
initrd_stale() {
	[ -s "$cache/initrd.cpio" ] && [ ! "$0" -nt "$cache/initrd.cpio" ] || return 0
	! cmp -s "$cache/libs.stat" "$cache/libs.stat.new"
}

build_initrd() {
	local tree=$cache/initrd-tree m f
	[ -x /bin/busybox ] || die "/bin/busybox missing (tools/setup.sh --deps --machine)"
	rm -rf "$tree" && mkdir -p "$tree"/{bin,mods,proc,sys,dev,newroot,libs}
	while read -r f _; do
		mkdir -p "$tree/libs$(dirname "$f")" && cp "$f" "$tree/libs$f"
	done <"$cache/libs.stat.new"
	cp /bin/busybox "$tree/bin/"
	for m in "${modules[@]}"; do
		cp "$cache/modules/$(basename "$m")".ko* "$tree/mods/"
		echo "$(basename "$m").ko" >>"$tree/mods/order"
	done
	write_init "$tree/init"
	# Not compressed: unpacking a gzip of the libraries in the machine's
	# software CPU would take seconds at every start.
	(cd "$tree" && find . | cpio -o -H newc 2>/dev/null) >"$cache/initrd.cpio.new"
	mv "$cache/initrd.cpio.new" "$cache/initrd.cpio"
	mv "$cache/libs.stat.new" "$cache/libs.stat"
	rm -f "$cache/initrd.gz"
	rm -rf "$tree"
}

prepare() {
	"$root/tools/setup.sh" --deps --machine >&2
	mkdir -p "$cache"
	# One preparer at a time: machines started side by side share the cache.
	exec 9>"$cache/.lock"
	flock 9
	[ -s "$cache/vmlinuz" ] && [ -s "$cache/kernel-package" ] || fetch_kernel
	lib_list | xargs -r stat -c '%n %i %s %Y %Z' >"$cache/libs.stat.new"
	if initrd_stale; then
		build_initrd
	fi
	rm -f "$cache/libs.stat.new"
	flock -u 9
	exec 9>&-
}

prepare
((prepare_only)) && exit 0

# The job: this directory, this environment, the command with its words.
job=$(mktemp -d "$cache/job.XXXXXX")
trap 'rm -rf "$job"' EXIT
{
	echo "cd $(printf %q "$PWD") || exit 125"
	export -p | grep -v -E '^declare -x (PWD|OLDPWD|SHLVL|_|TMPDIR)='
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$job/run.sh"

# The host's directories under /tmp the job needs, by their first name there.
tmp_keep=$(for p in "$root" "$job" "$PWD"; do
	case $p in /tmp/?*) p=${p#/tmp/}; echo "${p%%/*}" ;; esac
done | sort -u | paste -sd,)

# Print the command's lines as they come (between the init's markers),
# and the init's own complaints.  Status 2: nothing came for $stall s.
relay() {
	local line on=0 r
	local -a limit=()
	((stall)) && limit=(-t "$stall")
	while :; do
		IFS= read -r "${limit[@]}" line || {
			r=$?
			((r > 128)) && return 2
			break
		}
		line=${line%$'\r'}
		case $line in
		"kvm-machine: start") on=1 ;;
		"kvm-machine: end") on=0 ;;
		"kvm-machine: "*) ((on)) && echo "$line" || echo "$line" >&2 ;;
		*) ((on)) && echo "$line" ;;
		esac
	done
	return 0
}

# maxcpus >= 2 keeps TCG in its parallel mode even with one CPU: a locked
# read-modify-write (the guest's touch-write, `lock orb`) is then one atomic
# write access, which faults as a write as on hardware; in TCG's serial mode
# it is a load and a store, and the page faults as a read first.
exec 8< <(qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp "$cpus,maxcpus=$((cpus < 2 ? 2 : cpus))" -m "$mem" \
	-display none -serial stdio -monitor "unix:$job/monitor,server,nowait" -no-reboot \
	-kernel "$cache/vmlinuz" -initrd "$cache/initrd.cpio" \
	-virtfs "local,path=/,mount_tag=host,security_model=none,multidevs=remap,id=host" \
	-append "console=ttyS0 quiet loglevel=1 panic=-1 kvm_machine_job=$job kvm_machine_tmp=${tmp_keep:-none} kvm_amd_args=${VMM_MACHINE_KVM_AMD:-none}" </dev/null)
qemu=$!
r=0
relay <&8 || r=$?
if ((r == 2)); then
	echo "kvm-machine: nothing printed for $stall s; the machine's CPU, three looks:" >&2
	for i in 1 2 3; do
		printf 'info registers\nx/6i $pc\n' | socat -t 2 - "UNIX-CONNECT:$job/monitor" 2>&1 |
			grep -v -E '^(QEMU [0-9.]+ monitor|\(qemu\)|FCW|FPR|YMM|XMM|DR[0-7])' >&2 || true
		sleep 1
	done
	kill "$qemu" 2>/dev/null
	die "the command printed nothing for $stall s (--stall): machine stopped"
fi
exec 8<&-
[ -s "$job/status" ] || die "the machine ended without the command's status (QEMU or kernel failure)"
exit "$(cat "$job/status")"
