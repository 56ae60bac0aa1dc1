#!/bin/bash
# Build a real distribution guest: Debian 12 with systemd and qemu-guest-agent
# on a qcow2 disk, plus its kernel and initrd for direct kernel boot. Built
# once into the cache; quiet on success.
#
# Usage: build-distro.sh [-v] [--print-paths]
#   -v             say what is being done (on stderr)
#   --print-paths  print "disk=PATH", "kernel=PATH" and "initrd=PATH" (stdout),
#                  one a line, when done
# Environment:
#   VT_CACHE_DIR       cache directory (default /var/cache/virt-template-test)
#   VT_DISTRO_MIRROR   Debian mirror (default: the host's apt sources' one)
#
# The cache holds distro-vmlinuz, distro-initrd.img (mode 0644 in a 0755
# directory: QEMU runs as libvirt-qemu and must read them), distro.qcow2
# (0444) and distro.stamp, the checksum of this script and of the guest kit
# they were built by: a changed script or kit rebuilds them (~1 min from the
# archive; the log is .distro-debootstrap.log). Boot an overlay or a copy of
# distro.qcow2, never the file itself: libvirt gives a backing file to the
# QEMU user and leaves it so, and only mode 0444 then keeps QEMU from opening
# it for writing.
#
# The guest: root on /dev/vda (ext4, 2 GiB sparse), a getty on ttyS0, root
# without a password, no network, qemu-guest-agent started by udev when the
# virtio port org.qemu.guest_agent.0 appears (guest-exec allowed: Debian's
# agent blocks no command), systemd-logind (with dbus) for the ACPI power
# button, timers that would run jobs during tests masked, and the guest kit
# (guest/virt-template-guest in /usr/local/sbin, its unit enabled: it waits
# for the port org.virt-template.identity.0 and reports on the console). The
# initrd holds only what mounts a virtio-blk ext4 root (MODULES=list).
#
# Build it on the host: the image does not depend on the stack that boots it,
# and the Debian 13 tree (tests/stacks/trixie.sh) sees the host's cache, bind-
# mounted, where this script finds it fresh and builds nothing.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
KIT=$HERE/../../guest/virt-template-guest
KIT_UNIT=$HERE/../../guest/virt-template-guest.service
CACHE=${VT_CACHE_DIR:-/var/cache/virt-template-test}
DISK=$CACHE/distro.qcow2
KERNEL=$CACHE/distro-vmlinuz
INITRD=$CACHE/distro-initrd.img
STAMP=$CACHE/distro.stamp
SUITE=bookworm
HOSTNAME_=vt-distro
IMAGE_SIZE=2G
# systemd-sysv..e2fsprogs: what the tests need; dbus: systemd-logind needs
# it, and logind is what powers off on the ACPI button (virsh shutdown);
# iproute2: the guest kit sets a NIC's MAC with ip.
INCLUDE=systemd-sysv,udev,dbus,qemu-guest-agent,linux-image-amd64,initramfs-tools,e2fsprogs,iproute2
# Units that wait at boot or run jobs later (TCG is slow: a test guest must
# be idle). Masking a unit that is not installed is harmless.
MASK=(
	systemd-networkd-wait-online.service systemd-timesyncd.service
	apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer
	e2scrub_all.timer e2scrub_reap.service fstrim.timer
)
VERBOSE=0
PRINT_PATHS=0

usage() { sed -n '6,9s/^# \{0,1\}//p' "$SELF"; }
log() { if [ "$VERBOSE" = 1 ]; then echo "build-distro: $*" >&2; fi; }
die() { echo "build-distro: $*" >&2; exit 1; }

# Temporary directories of this run, removed on any exit (on a signal, once
# the running step ends; what a SIGKILL leaves, the next build removes).
TMPS=()
trap 'rm -rf --one-file-system "${TMPS[@]}"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

stamp_text() { cat "$SELF" "$KIT" "$KIT_UNIT" | sha256sum | cut -d' ' -f1; }

is_fresh() {
	[ -s "$DISK" ] && [ -s "$KERNEL" ] && [ -s "$INITRD" ] && [ -f "$STAMP" ] &&
		[ "$(<"$STAMP")" = "$(stamp_text)" ]
}

# The first mirror of the host's apt sources that has $SUITE (deb822 or
# one-line format).
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		# One stanza per paragraph: the first URI of one listing the suite.
		awk -v suite="$SUITE" 'BEGIN { RS = ""; FS = "\n" }
			{ uri = ""; ok = 0
			  for (i = 1; i <= NF; i++) {
				n = split($i, w, /[ \t]+/)
				if (w[1] == "URIs:") uri = w[2]
				if (w[1] == "Suites:") for (j = 2; j <= n; j++) if (w[j] == suite) ok = 1
			  }
			  if (ok && uri != "") { print uri; exit } }' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -E 's/\[[^]]*\]//' "$f" | awk -v suite="$SUITE" '$1 == "deb" && $3 == suite { print $2; exit }'
	done
}

mirror() {
	local m=${VT_DISTRO_MIRROR:-}
	[ -n "$m" ] || m=$(host_mirror | head -n 1)
	[ -n "$m" ] || die "no $SUITE mirror in /etc/apt/sources*; set VT_DISTRO_MIRROR"
	echo "$m"
}

# Run $2... chrooted into $1 with /proc, /sys and /dev, in a private mount
# namespace: no mount outlives the command, even when it is killed.
in_root() {
	# shellcheck disable=SC2016 # a script for the namespace's bash
	unshare -m --propagation private -- /bin/bash -c '
		set -e
		root=$1
		shift
		mount -t proc proc "$root/proc"
		mount --rbind /sys "$root/sys"
		mount --rbind /dev "$root/dev"
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	' in-root "$@"
}

# What the initramfs needs before the first one is made (by the kernel's
# postinst): only the modules that mount a virtio-blk ext4 root. The default
# (MODULES=most) makes a 36 MB initrd that TCG decompresses at every boot.
configure_initramfs() {
	local root=$1
	# Not yet unpacked: initramfs-tools-core's postinst writes a default
	# modules file only where none is.
	mkdir -p "$root/etc/initramfs-tools/conf.d"
	printf '%s\n' '# tests/guest/build-distro.sh: loaded in the initramfs.' \
		virtio_pci virtio_blk ext4 >"$root/etc/initramfs-tools/modules"
	cat >"$root/etc/initramfs-tools/conf.d/virt-template.conf" <<-EOF
		# tests/guest/build-distro.sh: a virtio-blk ext4 root, no swap.
		MODULES=list
		COMPRESS=gzip
		RESUME=none
	EOF
}

configure_system() {
	local root=$1
	echo "$HOSTNAME_" >"$root/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$HOSTNAME_" >"$root/etc/hosts"
	# fsck pass 0: the kernel mounts the root rw (root=/dev/vda rw) and a
	# check at every TCG boot buys a test guest nothing.
	printf '/dev/vda\t/\text4\trw,errors=remount-ro\t0\t0\n' >"$root/etc/fstab"
	rm -f "$root/etc/resolv.conf"
	in_root "$root" passwd -q -d root
	in_root "$root" systemctl -q enable serial-getty@ttyS0.service
	in_root "$root" systemctl -q mask "${MASK[@]}"
	# The guest kit, as its unit's comment says to install it.
	install -m 0755 "$KIT" "$root/usr/local/sbin/virt-template-guest"
	install -m 0644 "$KIT_UNIT" "$root/etc/systemd/system/virt-template-guest.service"
	in_root "$root" systemctl -q enable virt-template-guest.service
	# Nothing the guest or the tests read; a smaller image copies faster.
	rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
		"$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
		"$root"/var/log/*.log "$root"/tmp/* "$root"/var/tmp/*
}

# debootstrap in two stages, so that the initramfs is configured before the
# kernel package makes the first initrd.
bootstrap() {
	local root=$1 mirror
	mirror=$(mirror)
	log "debootstrap $SUITE from $mirror (log: $CACHE/.distro-debootstrap.log)"
	debootstrap --variant=minbase --foreign --include="$INCLUDE" \
		"$SUITE" "$root" "$mirror" >"$CACHE/.distro-debootstrap.log" 2>&1 || {
		tail -n 20 "$CACHE/.distro-debootstrap.log" >&2
		die "debootstrap (first stage) failed"
	}
	configure_initramfs "$root"
	in_root "$root" /debootstrap/debootstrap --second-stage \
		>>"$CACHE/.distro-debootstrap.log" 2>&1 || {
		tail -n 20 "$CACHE/.distro-debootstrap.log" >&2
		die "debootstrap (second stage) failed"
	}
}

# The tree as an ext4 image (no loop mount), then qcow2. The guest's own
# mke2fs.conf: features its kernel knows, whatever the host's e2fsprogs.
make_disk() {
	local root=$1 out=$2
	log "mkfs.ext4 -d ($IMAGE_SIZE sparse) and qemu-img convert"
	truncate -s "$IMAGE_SIZE" "$out.raw"
	MKE2FS_CONFIG=$root/etc/mke2fs.conf mkfs.ext4 -q -F -L root -d "$root" "$out.raw"
	qemu-img convert -f raw -O qcow2 "$out.raw" "$out"
	rm -f "$out.raw"
}

build() {
	local t tmp root
	for t in debootstrap mkfs.ext4 qemu-img unshare; do
		command -v "$t" >/dev/null ||
			die "$t is missing (apt-get install debootstrap e2fsprogs qemu-utils util-linux; in tests/stacks/trixie.sh's tree: run build-distro.sh on the host first)"
	done
	# What a killed build left; ours are serialised by the lock.
	rm -rf --one-file-system "$CACHE"/.distro-build.*
	tmp=$(mktemp -d "$CACHE/.distro-build.XXXXXX")
	TMPS+=("$tmp")
	root=$tmp/root
	bootstrap "$root"
	configure_system "$root"
	set -- "$root"/boot/vmlinuz-*
	if [ $# != 1 ] || [ ! -f "$1" ]; then die "expected one boot/vmlinuz-* in the tree"; fi
	install -m 0644 "$1" "$tmp/vmlinuz"
	install -m 0644 "$root/boot/initrd.img-${1##*/vmlinuz-}" "$tmp/initrd.img"
	make_disk "$root" "$tmp/disk.qcow2"
	chmod 0444 "$tmp/disk.qcow2"
	# The stamp goes last: three files renamed one by one are only ever
	# taken for a complete set once it says so.
	rm -f "$STAMP"
	mv -f "$tmp/disk.qcow2" "$DISK"
	mv -f "$tmp/vmlinuz" "$KERNEL"
	mv -f "$tmp/initrd.img" "$INITRD"
	stamp_text >"$tmp/stamp"
	chmod 0644 "$tmp/stamp"
	mv -f "$tmp/stamp" "$STAMP"
	log "built $DISK ($(du -h "$DISK" | cut -f1) on disk)"
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
	# Concurrent test runs may build at once: serialise on the cache (not on
	# build-guest.sh's lock: its users need not wait minutes for this build).
	exec 9>"$CACHE/.distro.lock"
	flock 9
	is_fresh || build
	if [ "$PRINT_PATHS" = 1 ]; then
		echo "disk=$DISK"
		echo "kernel=$KERNEL"
		echo "initrd=$INITRD"
	fi
}

main "$@"; exit
