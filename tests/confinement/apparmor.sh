#!/bin/bash
# The AppArmor abstraction parses, on its own and inside libvirt's own
# libvirt-qemu abstraction (which includes libvirt-qemu.d/). AppArmor is not
# active on the test machines, so this checks syntax (apparmor_parser -Q)
# and that the configured paths are the ones allowed.
set -euo pipefail
# shellcheck source=tests/tap.sh
. "$(dirname "$0")/../tap.sh"
snippet=${VT_BUILDDIR:?}/confinement/virt-template
command -v apparmor_parser >/dev/null || tap_skip "apparmor_parser is not installed"
echo 1..3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/abstractions/libvirt-qemu.d"
cp "$snippet" "$tmp/abstractions/libvirt-qemu.d/virt-template"

check() { # check N NAME PROFILE-BODY
	printf '#include <tunables/global>\nprofile vt-probe /usr/bin/qemu-system-x86_64 {\n%s\n}\n' "$3" >"$tmp/probe"
	if apparmor_parser -Q -K -I "$tmp" -I /etc/apparmor.d "$tmp/probe" 2>"$tmp/err"; then
		echo "ok $1 - $2"
	else
		echo "not ok $1 - $2"; sed 's/^/# /' "$tmp/err"
	fi
}
check 1 "the snippet parses on its own" "  #include <abstractions/libvirt-qemu.d/virt-template>"
if [ -f /etc/apparmor.d/abstractions/libvirt-qemu ]; then
	check 2 "the snippet parses inside libvirt's libvirt-qemu abstraction" "  #include <abstractions/libvirt-qemu>"
else
	echo "ok 2 # SKIP libvirt's AppArmor abstraction is not installed"
fi
if grep -qx "${VT_MEMDIR:?}/\*/memory rw," "$snippet" && grep -qx "${VT_RUNDIR:?}/\*.qmp rw," "$snippet"; then
	echo "ok 3 - the configured memory and runtime directories are the ones allowed"
else
	echo "not ok 3 - the snippet does not name $VT_MEMDIR and $VT_RUNDIR"
fi
