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
status=0
# When each part ended, in seconds from the start, printed at the end: CI
# has a time budget, and this says where it went.
times=()
took() { times+=("$1 ${SECONDS}s"); }
# The second stack: its Debian 13 tree (minutes of download and unpacking,
# once per machine) builds while the host builds the project and the
# guests; its tests start once both are there. The two stacks then run at
# once, each in namespaces of its own (their own libvirtd, network, store
# and run directories), most of their time spent waiting on guests.
guests_ready=$(mktemp -u /tmp/vt-guests-ready.XXXXXX)
trap 'rm -f "$guests_ready"' EXIT
trixie_pid=
if [ "${VT_STACKS:-all}" != host ]; then
	(
		bash tests/stacks/trixie.sh tree
		while [ ! -e "$guests_ready" ]; do
			kill -0 "$$" 2>/dev/null || exit 1
			sleep 1
		done
		rc=0
		bash tests/stacks/trixie.sh check || rc=$?
		echo "$SECONDS" >trixie.seconds
		exit "$rc"
	) >trixie.log 2>&1 &
	trixie_pid=$!
fi
bash scripts/build.sh
# The guests both stacks boot, built once, here: the tests' namespaces reach
# no mirror.
tests/guest/build-guest.sh
tests/guest/build-distro.sh
touch "$guests_ready"
took "build and guests"
# Fuzzing is CPU bound, beside the other stack's guests: 15 s a target in
# CI (VT_FUZZ_SECONDS, 60 by default) is still thousands of runs each.
# Two tests at a time: the benchmark smoke and fuzzing then run beside the
# integration tests (each smoke and integration run has a private libvirtd
# of its own), not after them on a machine the other stack has left idle.
VT_FUZZ_SECONDS=${VT_FUZZ_SECONDS:-15} make -s -j2 check || status=$?
took "make check"

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
took package

# The release tarball is complete: it builds from a read-only source tree,
# passes its tests and installs. Its log: distcheck.log.
distcheck=passed
make -s distcheck >distcheck.log 2>&1 || {
	distcheck="FAILED (distcheck.log)"
	status=1
	tail -n 40 distcheck.log >&2
}
took distcheck
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
	times+=("debian 13 tree $(cat trixie.seconds 2>/dev/null || echo '?')s")
	trixie_summary=$(summary "debian 13 tree (libvirt 11.3, QEMU 10.0)" \
		"$(bash tests/stacks/trixie.sh tree)/build/test-suite.log")
fi
echo "$package_summary"
echo "make distcheck: $distcheck"
echo "$host_summary"
[ -z "$trixie_summary" ] || echo "$trixie_summary"
echo "ended at: $(printf '%s, ' "${times[@]}" | sed 's/, $//')"
exit "$status"
