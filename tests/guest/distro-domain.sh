#!/bin/bash
# Print the domain XML a user would have for the Debian 12 guest of
# build-distro.sh: what `virt-install --import --print-xml` writes for it.
#
# Usage: distro-domain.sh NAME DISK [VIRT-INSTALL-OPTION...]
#   NAME    the domain's name
#   DISK    its qcow2 disk: an overlay or a copy of build-distro.sh's disk,
#           never that disk itself (the domain writes it)
#   extra options go to virt-install, e.g.
#           --serial pty,log.file=/var/log/libvirt/qemu/NAME-console.log
# Needs a libvirtd (LIBVIRT_DEFAULT_URI, else qemu:///system), as inside
# tests/harness/isolated.sh: virt-install reads its capabilities. Like for any
# user, virt-install defines and starts a directory storage pool for DISK's
# directory when no pool holds it. Environment: VT_CACHE_DIR (see
# build-distro.sh), which builds the guest if needed.
#
# The domain (virt-install 4.1, Debian 12): q35, TCG, 1 GiB, 1 vCPU, direct
# kernel boot, virtio disk, no network and no graphics, a pty serial console,
# the guest agent's virtio-serial channel, virtio balloon and rng, USB (xhci),
# 14 pcie-root-ports.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
# debian11: the newest Debian the osinfo database of Debian 12 knows.
OSINFO=debian11
CMDLINE='root=/dev/vda rw console=ttyS0 net.ifnames=0'

usage() { sed -n '5,10s/^# \{0,1\}//p' "$SELF"; }
die() { echo "distro-domain: $*" >&2; exit 1; }

main() {
	case "${1:-}" in -h | --help) usage; exit 0 ;; esac
	[ $# -ge 2 ] || { usage >&2; exit 2; }
	local name=$1 disk=$2 line kernel='' initrd=''
	shift 2
	[ -f "$disk" ] || die "no such disk: $disk"
	command -v virt-install >/dev/null || die "virt-install is missing (apt-get install virtinst)"
	while IFS= read -r line; do
		case "$line" in kernel=*) kernel=${line#*=} ;; initrd=*) initrd=${line#*=} ;; esac
	done < <("$HERE/build-distro.sh" --print-paths)
	if [ -z "$kernel" ] || [ -z "$initrd" ]; then die "build-distro.sh failed"; fi
	# virt-install adds the agent channel by itself for a known OS; naming
	# it keeps it there whatever virt-install version or osinfo data.
	virt-install --connect "${LIBVIRT_DEFAULT_URI:-qemu:///system}" --print-xml --import \
		--name "$name" --memory 1024 --vcpus 1 --virt-type qemu --osinfo "$OSINFO" \
		--disk "path=$disk,bus=virtio,format=qcow2" \
		--boot "kernel=$kernel,initrd=$initrd,kernel_args=$CMDLINE" \
		--network none --graphics none \
		--channel unix,target.type=virtio,name=org.qemu.guest_agent.0 \
		"$@"
}

main "$@"; exit
