#!/bin/bash
# Build the tiny test guest (Debian cloud kernel + busybox initramfs) into a
# cache directory outside the source tree. Idempotent and quiet on success.
#
# Usage: build-guest.sh [-v] [--print-paths]
#   -v             say what is being done (on stderr)
#   --print-paths  print "kernel=PATH" and "initrd=PATH" (stdout) when done
# Environment:
#   VT_CACHE_DIR   cache directory (default /var/cache/virt-template-test)
#
# The cache holds vmlinuz and initrd.img (mode 0644 in a 0755 directory: QEMU
# runs as libvirt-qemu and must read them), plus the downloaded kernel .deb.
# The kernel is fetched once; the initramfs is rebuilt whenever tests/guest/init,
# the guest kit, the udhcpc script, this script or busybox is newer than it.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
INIT="$HERE/init"
KIT="$HERE/../../guest/virt-template-guest"
UDHCPC_SCRIPT="$HERE/udhcpc.script"
BUSYBOX=/bin/busybox
CACHE=${VT_CACHE_DIR:-/var/cache/virt-template-test}
META_PKG=linux-image-cloud-amd64
VERBOSE=0
PRINT_PATHS=0

usage() { sed -n '5,9s/^# \{0,1\}//p' "$SELF"; }
log() { if [ "$VERBOSE" = 1 ]; then echo "build-guest: $*" >&2; fi; }
die() { echo "build-guest: $*" >&2; exit 1; }

# Temporary directories of this run, removed on any exit.
TMPS=()
trap 'rm -rf "${TMPS[@]}"' EXIT
new_tmp() { mktemp -d "$CACHE/.$1.XXXXXX"; }

# Run a command with its output hidden unless -v; show the output if it fails.
quiet() {
	if [ "$VERBOSE" = 1 ]; then "$@" >&2; return; fi
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" = 0 ] || printf '%s\n' "$out" >&2
	return "$rc"
}

# The versioned kernel package behind the meta package, e.g.
# linux-image-6.1.0-56-cloud-amd64.
kernel_package() {
	apt-cache depends "$META_PKG" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}

# apt-get download into $1; prints the .deb path. Fails if lists are missing.
download_kernel() {
	local dir=$1 pkg
	pkg=$(kernel_package)
	[ -n "$pkg" ] || return 1
	log "downloading $pkg"
	# apt drops to user _apt for downloads; let it write here (no warning).
	chown _apt "$dir" 2>/dev/null || true
	(cd "$dir" && quiet apt-get download "$pkg") || return 1
	ls "$dir"/"$pkg"_*.deb
}

fetch_kernel() {
	[ -s "$CACHE/vmlinuz" ] && return 0
	local tmp deb
	tmp=$(new_tmp kernel)
	TMPS+=("$tmp")
	# Only touch the package lists when they are the reason for a failure.
	if ! deb=$(download_kernel "$tmp"); then
		log "download failed; running apt-get update"
		quiet apt-get update || die "apt-get update failed"
		deb=$(download_kernel "$tmp") || die "cannot download the $META_PKG kernel"
	fi
	log "extracting $(basename "$deb")"
	dpkg -x "$deb" "$tmp/root"
	set -- "$tmp"/root/boot/vmlinuz-*
	[ -f "$1" ] || die "no boot/vmlinuz-* in $deb"
	install -m 0644 "$1" "$CACHE/.vmlinuz.new"
	mv -f "$CACHE/.vmlinuz.new" "$CACHE/vmlinuz"
	mv -f "$deb" "$CACHE/"
}

initrd_is_stale() {
	local f img=$CACHE/initrd.img
	[ -s "$img" ] || return 0
	for f in "$INIT" "$KIT" "$UDHCPC_SCRIPT" "$SELF" "$BUSYBOX"; do
		[ "$f" -nt "$img" ] && return 0
	done
	return 1
}

# The kernel's virtio drivers are modules (the cloud kernel builds in only
# the 8250 serial): these go into the initramfs, and init loads them in this
# order (each after what it depends on; a dpkg -x tree has no modules.dep).
MODULES=(
	drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci drivers/block/virtio_blk
	net/core/failover drivers/net/net_failover drivers/net/virtio_net
	drivers/char/virtio_console drivers/char/hw_random/virtio-rng
)

# Copies MODULES from the cached kernel package into initramfs root $1, and
# lists them, in load order, in $1/etc/modules.
add_modules() {
	local root=$1 deb tree m
	set -- "$CACHE"/linux-image-*.deb
	deb=$1
	[ -f "$deb" ] || die "no cached kernel package in $CACHE (remove $CACHE/vmlinuz to fetch it)"
	tree=$(dirname "$root")/kernel
	dpkg -x "$deb" "$tree"
	mkdir -p "$root/lib/modules" "$root/etc"
	: >"$root/etc/modules"
	for m in "${MODULES[@]}"; do
		set -- "$tree"/lib/modules/*/kernel/"$m".ko
		[ -f "$1" ] || die "module $m.ko is not in $(basename "$deb")"
		install -m 0644 "$1" "$root/lib/modules/"
		basename "$1" >>"$root/etc/modules"
	done
}

# The initramfs: busybox with one symlink per applet, /init, the guest kit,
# udhcpc's script, the virtio modules, and the mount points.
build_initrd() {
	initrd_is_stale || return 0
	[ -x "$BUSYBOX" ] || die "$BUSYBOX missing (apt-get install busybox-static)"
	log "building initrd.img"
	local tmp root a
	tmp=$(new_tmp initrd)
	TMPS+=("$tmp")
	root=$tmp/root
	mkdir -p "$root"/{bin,dev,proc,sys,tmp}
	install -m 0755 "$BUSYBOX" "$root/bin/busybox"
	for a in $("$BUSYBOX" --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	install -m 0755 "$INIT" "$root/init"
	install -m 0755 "$KIT" "$root/bin/virt-template-guest"
	install -D -m 0755 "$UDHCPC_SCRIPT" "$root/etc/udhcpc/default.script"
	add_modules "$root"
	(cd "$root" && find . | LC_ALL=C sort | cpio -o --format=newc -R 0:0 --quiet) |
		gzip -9 -n >"$tmp/initrd.img"
	chmod 0644 "$tmp/initrd.img"
	mv -f "$tmp/initrd.img" "$CACHE/initrd.img"
}

main() {
	while [ $# -gt 0 ]; do
		case "$1" in
		-v) VERBOSE=1 ;;
		--print-paths) PRINT_PATHS=1 ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	mkdir -p "$CACHE"
	chmod 0755 "$CACHE"
	# Concurrent test runs may build at once: serialise on the cache.
	exec 9>"$CACHE/.lock"
	flock 9
	fetch_kernel
	build_initrd
	if [ "$PRINT_PATHS" = 1 ]; then
		echo "kernel=$CACHE/vmlinuz"
		echo "initrd=$CACHE/initrd.img"
	fi
}

main "$@"; exit
