# shellcheck shell=bash
# TAP helpers for the test scripts make check runs; sourced, not run.
# automake's TAP driver counts exit 77 as an error: a skip is a "1..0"
# plan with the reason, and exit 0.

# Skips the whole script: tap_skip REASON...
tap_skip() {
	echo "1..0 # SKIP $*"
	exit 0
}

# make distcheck (configure VT_DISTCHECK=1) builds the tarball as any user
# could, with no libvirtd: a test that needs root, a libvirtd or minutes
# skips there. tap_skip_in_distcheck WHAT-IT-NEEDS...
tap_skip_in_distcheck() {
	[ "${VT_DISTCHECK:-}" != 1 ] || tap_skip "under make distcheck: $*"
}
