#!/bin/bash
# Installs what building, testing and the demo need on Debian 12 (as root).
set -euo pipefail
packages=(
	build-essential autoconf automake libtool pkg-config dpkg-dev debhelper lintian
	libvirt-dev libxml2-dev libjson-c-dev nettle-dev libcmocka-dev bats shellcheck
	qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients
	busybox-static cpio rsync tini apparmor gnuplot-nox jq socat debootstrap iproute2 ovmf virtinst dnsmasq-base
	clang-14 libclang-rt-14-dev llvm-14
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep 'ok installed' >/dev/null || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
