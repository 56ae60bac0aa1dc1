#!/bin/bash
# Integration tests: the real virt-template and hook against a real libvirtd
# and QEMU (TCG), in a private libvirtd started by tests/harness/isolated.sh.
# Usage: run.sh [BATS_FILE...]   (default: every tests/integration/*.bats)
# Needs from the build (make check sets them): VT_BUILDDIR VT_SRCDIR
# VT_STATEDIR VT_MEMDIR VT_RUNDIR VT_CONSOLE_LOGDIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${VT_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${VT_BUILDDIR:=$VT_SRCDIR}"
export VT_SRCDIR VT_BUILDDIR

# shellcheck source=tests/tap.sh
. "$VT_SRCDIR/tests/tap.sh"
tap_skip_in_distcheck "the integration tests need root and a private libvirtd"
[ "$(id -u)" = 0 ] || tap_skip "integration tests need root (a private libvirtd)"
command -v bats >/dev/null || tap_skip "bats is not installed"
for v in VT_STATEDIR VT_MEMDIR VT_RUNDIR VT_CONSOLE_LOGDIR; do
	[ -n "${!v:-}" ] || { echo "run.sh: $v is not set (run through make check)" >&2; exit 99; }
done
for p in virt-template virt-template-hook; do
	[ -x "$VT_BUILDDIR/$p" ] || { echo "run.sh: build virt-template first (no $VT_BUILDDIR/$p)" >&2; exit 99; }
done

"$VT_SRCDIR/tests/guest/build-guest.sh"
eval "$("$VT_SRCDIR/tests/guest/build-guest.sh" --print-paths | sed 's/^/export VT_GUEST_/')"
# The Debian 12 guest of distro.bats, built here: the harness's network
# namespace reaches no mirror.
"$VT_SRCDIR/tests/guest/build-distro.sh"
eval "$("$VT_SRCDIR/tests/guest/build-distro.sh" --print-paths | sed 's/^/export VT_DISTRO_/')"
# KVM when it really boots the guest here, else TCG (probe-accel.sh says why).
VT_VIRT_TYPE=$("$VT_SRCDIR/tests/guest/probe-accel.sh")
export VT_VIRT_TYPE
echo "# guests run with domain type '$VT_VIRT_TYPE'"

export VIRT_TEMPLATE_DATADIR="$VT_SRCDIR/xml-templates"
export PATH="$VT_BUILDDIR:$PATH"
[ $# -gt 0 ] || set -- "$here"/*.bats
# Bounds, so that a guest that never answers fails its test instead of
# holding the run past CI's time limit with nothing reported: 10 min a
# test (the longest takes about 2), and 60 min for the whole run (the
# whole run takes about 25 beside the other stack). bats reports a test
# it stops as "timeout after 600s"; a run stopped short has fewer results
# than its plan, which the TAP driver reports as an error.
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-600}
rc=0
"$VT_SRCDIR/tests/harness/isolated.sh" --hook "$VT_BUILDDIR/virt-template-hook" -- \
	timeout "${VT_SUITE_TIMEOUT:-3600}" bats --tap --timing "$@" || rc=$?
# isolated.sh exits 77 before bats starts when a tool it needs is missing.
[ "$rc" != 77 ] || tap_skip "tests/harness/isolated.sh cannot run here (see its SKIP message)"
exit "$rc"
