#!/bin/bash
# The second stack CI tests on: Debian 13 (libvirt 11.3, QEMU 10.0) in a
# debootstrapped tree, never installed on the host.
#
# Usage: trixie.sh tree          build (or reuse) the cached tree, print its path
#        trixie.sh run CMD...    run CMD as root inside the tree, with the
#                                source tree at /src (read-only) and /proc,
#                                /sys, /dev from the host, in a private mount
#                                namespace
#        trixie.sh check         build the project inside the tree and run
#                                its unit and integration tests there
#                                (results: TREE/build/test-suite.log)
# Environment: VT_CACHE_DIR (default /var/cache/virt-template-test) holds the
# tree as trixie-root; VT_TRIXIE_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

ME=trixie
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${VT_CACHE_DIR:-/var/cache/virt-template-test}
ROOT=$CACHE/trixie-root
MIRROR=${VT_TRIXIE_MIRROR:-http://deb.debian.org/debian}
# What building and testing need there; the same list as install-deps.sh
# minus the host-only tools (fuzzing, plots, AppArmor).
PACKAGES=(
	build-essential autoconf automake libtool pkg-config
	libvirt-dev libxml2-dev libjson-c-dev nettle-dev libcmocka-dev bats
	qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
	busybox-static cpio rsync tini jq socat procps util-linux iproute2 ovmf virtinst dnsmasq-base
)
# Changing the list rebuilds the tree.
STAMP_TEXT="trixie ${PACKAGES[*]}"

say() { echo "$ME: $*" >&2; }

tree_ok() { [ -f "$ROOT/.vt-stamp" ] && [ "$(<"$ROOT/.vt-stamp")" = "$STAMP_TEXT" ]; }

# Build into a temporary directory and rename it into place, so that an
# interrupted build is never mistaken for a complete tree.
build_tree() {
	tree_ok && return 0
	command -v debootstrap >/dev/null || {
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
	}
	local tmp=$CACHE/.trixie-root.$$
	mkdir -p "$CACHE"
	rm -rf --one-file-system "$CACHE"/.trixie-root.*
	say "debootstrap trixie into $tmp (once; cached)"
	debootstrap --variant=minbase trixie "$tmp" "$MIRROR" >"$CACHE/.trixie-debootstrap.log" 2>&1 || {
		tail -20 "$CACHE/.trixie-debootstrap.log" >&2
		return 1
	}
	# No service may start inside the tree during installation.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 0755 "$tmp/usr/sbin/policy-rc.d"
	in_namespace "$tmp" /bin/sh -c "apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ${PACKAGES[*]}" \
		>"$CACHE/.trixie-apt.log" 2>&1 || {
		tail -20 "$CACHE/.trixie-apt.log" >&2
		return 1
	}
	in_namespace "$tmp" apt-get clean
	echo "$STAMP_TEXT" >"$tmp/.vt-stamp"
	rm -rf --one-file-system "$ROOT"
	mv "$tmp" "$ROOT"
}

# Run $2... chrooted into tree $1 in a private mount namespace.
in_namespace() {
	local root=$1
	shift
	cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	# shellcheck disable=SC2016 # a script for the namespace's bash, which expands it
	unshare -m --propagation private -- /bin/bash -c '
		set -e
		root=$1 src=$2 cache=$3
		shift 3
		# A mount point of its own: pivot_root needs one.
		mount --bind "$root" "$root"
		mount -t proc proc "$root/proc"
		mount --rbind /sys "$root/sys"
		mount --rbind /dev "$root/dev"
		# A devpts of its own, as a container has: libvirt moves /dev/pts
		# into each QEMU'"'"'s mount namespace, and the host'"'"'s one seen
		# through the chroot gives QEMU no pty.
		mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
		mount --bind "$root/dev/pts/ptmx" "$root/dev/ptmx"
		mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
		mkdir -p "$root/run" "$root/src" "$root/var/cache/virt-template-test"
		mount -t tmpfs -o mode=0755 tmpfs "$root/run"
		mount --bind "$src" "$root/src"
		mount -o remount,bind,ro "$root/src"
		# The test guest (kernel, initrd) is the host'"'"'s. libvirt names its
		# cached QEMU capabilities by binary path, the same on both stacks:
		# keep the tree'"'"'s apart, or each stack would re-probe every run.
		mkdir -p "$cache/trixie-capabilities"
		mount --bind "$cache" "$root/var/cache/virt-template-test"
		mkdir -p "$root/var/cache/virt-template-test/libvirt-qemu-capabilities"
		mount --bind "$cache/trixie-capabilities" \
			"$root/var/cache/virt-template-test/libvirt-qemu-capabilities"
		# pivot_root, not chroot: the tree becomes the namespace'"'"'s root, so
		# the mount namespaces libvirt makes for QEMU see the same paths
		# (with chroot, /proc/PID/fd and smaps of QEMU show host paths).
		cd "$root"
		mkdir -p .old-root
		pivot_root . .old-root
		cd /
		umount -l /.old-root
		rmdir /.old-root
		exec /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 TERM=dumb "$@"
	' in-namespace "$root" "$SRC" "$CACHE" "$@"
}

# The build happens in a copy of the source files (not of the host's build,
# made against libvirt 9) at /build in the tree.
copy_source() {
	rm -rf --one-file-system "$ROOT/build"
	mkdir "$ROOT/build"
	git -C "$SRC" ls-files -co --exclude-standard -z |
		rsync -a --from0 --files-from=- "$SRC/" "$ROOT/build/"
}

# /dev is the host's: the harness's `chgrp kvm /dev/kvm` with the tree's
# gid for kvm would flip the host's /dev/kvm back and forth, and each flip
# makes both stacks' libvirtd re-probe QEMU (~20 s). One gid for both.
align_kvm_group() {
	local gid tree_gid
	gid=$(getent group kvm | cut -d: -f3) || return 0
	tree_gid=$(awk -F: '$1 == "kvm" {print $3}' "$ROOT/etc/group")
	[ -n "$tree_gid" ] && [ "$tree_gid" != "$gid" ] || return 0
	in_namespace "$ROOT" groupmod -g "$gid" kvm ||
		say "the tree's kvm group keeps gid $tree_gid (the host's $gid is taken there)"
}

check() {
	build_tree
	align_kvm_group
	copy_source
	# shellcheck disable=SC2016 # a script for the tree's bash, which expands it
	in_namespace "$ROOT" /bin/bash -c '
		set -euo pipefail
		cd /build
		echo "trixie: $(libvirtd --version) / $(qemu-system-x86_64 --version | head -1)"
		bash scripts/build.sh
		status=0
		VT_SECOND_STACK=1 make -s check-stack || status=$?
		[ "$status" = 0 ] || cat test-suite.log >&2
		exit "$status"
	'
}

case "${1:-}" in
tree) build_tree && echo "$ROOT" ;;
run) shift; build_tree; in_namespace "$ROOT" "$@" ;;
check) check ;;
*) sed -n '5,12s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
esac
