#!/bin/bash
# The README's test command: installs dependencies, builds, and runs every
# test (unit tests, then integration tests against a private libvirtd) on
# this machine's libvirt and QEMU, then the Debian package's test
# (scripts/package-test.sh), then make distcheck (the tarball builds and
# passes what needs neither root nor a libvirtd); and, beside them, the
# unit and integration tests again on libvirt 11.3 + QEMU 10.0, in a Debian
# 13 tree (tests/stacks/trixie.sh, built once and cached; its output goes to
# trixie.log). VT_STACKS=host skips the second stack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
# The guests both stacks boot, built once, here: the tests' namespaces reach
# no mirror.
tests/guest/build-guest.sh
tests/guest/build-distro.sh
status=0
# The two stacks run at once: each in namespaces of its own (their own
# libvirtd, network, store and run directories), most of their time spent
# waiting on guests; in turn they would take twice as long.
trixie_pid=
if [ "${VT_STACKS:-all}" != host ]; then
	bash tests/stacks/trixie.sh check >trixie.log 2>&1 &
	trixie_pid=$!
fi
make -s check || status=$?

# make install puts the tool, the hook and the XML where libvirt and users look.
destdir=$(mktemp -d)
make -s install DESTDIR="$destdir" >/dev/null
for f in usr/bin/virt-template etc/libvirt/hooks/qemu.d/virt-template \
	usr/share/virt-template/kernel-initrd.xml usr/share/virt-template/guest/virt-template-guest \
	usr/share/virt-template/guest/virt-template-guest.service; do
	[ -f "$destdir/$f" ] || { echo "make install: $f is missing" >&2; status=1; }
done
rm -rf "$destdir"

# The Debian package: built from what git tracks, lintian, installed on this
# (throwaway) machine for a smoke test of the installed files, then purged.
# Its log: package.log.
package_summary="package: FAILED (package.log)"
if bash scripts/package-test.sh >package.log 2>&1; then
	package_summary=$(tail -n 1 package.log)
else
	status=1
	tail -n 40 package.log >&2
fi

# The release tarball is complete: it builds from a read-only source tree,
# passes its tests and installs. Its log: distcheck.log.
distcheck=passed
make -s distcheck >distcheck.log 2>&1 || {
	distcheck="FAILED (distcheck.log)"
	status=1
	tail -n 40 distcheck.log >&2
}
# One closing line per stack for any reader; automake's summaries are above.
summary() {
	awk -v stack="$1" '/^# (PASS|XPASS):/ {p += $3} /^# (FAIL|XFAIL|ERROR):/ {f += $3}
	     /^# SKIP:/ {s += $3}
	     END {printf "%s: %d passed, %d failed, %d skipped\n", stack, p, f, s}' "$2" 2>/dev/null ||
		true
}
host="host ($(libvirtd --version | awk '{print "libvirt " $NF}'), $(qemu-system-x86_64 --version |
	awk 'NR == 1 {print "QEMU " $4}'))"
host_summary=$(summary "$host" test-suite.log)
if [ "$status" -ne 0 ]; then
	cat test-suite.log >&2 || true
fi
trixie_summary=
if [ -n "$trixie_pid" ]; then
	if ! wait "$trixie_pid"; then
		status=1
		tail -n 200 trixie.log >&2
	fi
	trixie_summary=$(summary "debian 13 tree (libvirt 11.3, QEMU 10.0)" \
		"$(bash tests/stacks/trixie.sh tree)/build/test-suite.log")
fi
echo "$package_summary"
echo "make distcheck: $distcheck"
echo "$host_summary"
[ -z "$trixie_summary" ] || echo "$trixie_summary"
exit "$status"
