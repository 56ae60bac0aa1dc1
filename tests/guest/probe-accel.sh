#!/bin/bash
# Prints the libvirt domain type the tests and the demo should use: "kvm" if
# KVM really boots the bundled guest to its VT-READY line, else "qemu" (TCG).
#
# Usage: probe-accel.sh
# Environment: VT_VIRT_TYPE set: printed as is, no probe. VT_CACHE_DIR (see
# build-guest.sh) keeps the answer per host kernel, CPU and QEMU build.
#
# Why a boot and not query-kvm: on some hosts (nested virtualisation) KVM
# answers every probe, yet Linux guests hang early in boot. A guest that
# reaches VT-READY under KVM within PROBE_SECONDS is proof enough; TCG
# reaches it in ~3 s on the machines we run on, KVM in well under 1 s.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${VT_CACHE_DIR:-/var/cache/virt-template-test}
PROBE_SECONDS=10
QEMU='qemu-system-x86_64'

[ -z "${VT_VIRT_TYPE:-}" ] || { echo "$VT_VIRT_TYPE"; exit 0; }

# What the answer depends on.
probe_key() {
	{
		uname -r
		grep -m1 '^model name' /proc/cpuinfo || true
		"$QEMU" --version | head -n 1
		cksum <"$1"
	} | cksum | cut -d' ' -f1
}

# 0 if the guest prints VT-READY under KVM in time.
kvm_boots() {
	local kernel=$1 initrd=$2 dir qemu i rc=1
	dir=$(mktemp -d)
	"$QEMU" -accel kvm -cpu host -m 256 -nodefaults -display none -no-reboot \
		-kernel "$kernel" -initrd "$initrd" -append 'console=ttyS0 quiet panic=-1' \
		-serial "file:$dir/console" >"$dir/qemu.log" 2>&1 &
	qemu=$!
	for ((i = 0; i < PROBE_SECONDS * 10; i++)); do
		if grep -q 'VT-READY' "$dir/console" 2>/dev/null; then rc=0; break; fi
		kill -0 "$qemu" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$qemu" 2>/dev/null || true
	wait "$qemu" 2>/dev/null || true
	rm -rf "$dir"
	return "$rc"
}

main() {
	local kernel initrd key cached answer=qemu
	if [ ! -w /dev/kvm ] || ! command -v "$QEMU" >/dev/null; then
		echo qemu
		return
	fi
	eval "$("$HERE/build-guest.sh" --print-paths)"
	key=$(probe_key "$kernel")
	cached=$CACHE/accel-probe.$key
	if [ -f "$cached" ]; then
		cat "$cached"
		return
	fi
	# (stderr: bash reports the killed QEMU)
	if kvm_boots "$kernel" "$initrd" 2>/dev/null; then answer=kvm; fi
	mkdir -p "$CACHE"
	echo "$answer" >"$cached.$$" && mv -f "$cached.$$" "$cached"
	echo "$answer"
}

main "$@"
