#!/bin/bash
# The README's test command: installs dependencies, builds, and runs every
# test (unit tests, then integration tests against a private libvirtd).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
status=0
make -s check || status=$?

# make install puts the tool, the hook and the XML where libvirt and users look.
destdir=$(mktemp -d)
make -s install DESTDIR="$destdir" >/dev/null
for f in usr/bin/virt-template etc/libvirt/hooks/qemu.d/virt-template \
	usr/share/virt-template/kernel-initrd.xml; do
	[ -f "$destdir/$f" ] || { echo "make install: $f is missing" >&2; status=1; }
done
rm -rf "$destdir"
# One closing line for any reader; automake's own summary is above it.
awk '/^# (PASS|XPASS):/ {p += $3} /^# (FAIL|XFAIL|ERROR):/ {f += $3} /^# SKIP:/ {s += $3}
     END {printf "%d passed, %d failed, %d skipped\n", p, f, s}' test-suite.log 2>/dev/null ||
	true
if [ "$status" -ne 0 ]; then
	cat test-suite.log >&2 || true
fi
exit "$status"
