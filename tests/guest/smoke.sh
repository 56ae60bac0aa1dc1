#!/bin/bash
# Smoke test of the bundled guest: cold-boot example-domain.xml.in with
# `virsh create` and wait for VT-READY and two VT-TICK lines on its console.
#
# Usage: smoke.sh [--append 'PARAMS'] [--timeout SECS]
#   --append   extra kernel parameters, e.g. 'vt.fill=100'
#   --timeout  give up after SECS (default 60)
# Prints "create=S boot-to-ready=S token=T" (seconds from just before
# `virsh create`); exit 0 on success. Outside tests/harness/isolated.sh it
# re-runs itself inside it. Environment: VT_CACHE_DIR (see build-guest.sh).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
APPEND=
TIMEOUT=60
NAME=vt-smoke-$$
LOG=/var/log/libvirt/qemu/$NAME-console.log
XML=

die() { echo "smoke: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--append) APPEND=$2; shift ;;
		--timeout) TIMEOUT=$2; shift ;;
		*) sed -n '5,7s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
		esac
		shift
	done
}

# example-domain.xml.in with the placeholders filled in and PARAMS appended.
domain_xml() {
	local kernel='' initrd='' line
	while IFS= read -r line; do
		case "$line" in kernel=*) kernel=${line#*=} ;; initrd=*) initrd=${line#*=} ;; esac
	done < <("$HERE/build-guest.sh" --print-paths)
	if [ -z "$kernel" ] || [ -z "$initrd" ]; then die "build-guest.sh failed"; fi
	sed -e "s|@NAME@|$NAME|g" -e "s|@KERNEL@|$kernel|g" -e "s|@INITRD@|$initrd|g" \
		-e "s|</cmdline>|${APPEND:+ $APPEND}</cmdline>|" \
		"$HERE/example-domain.xml.in"
}

count() { grep -c "$1" "$LOG" 2>/dev/null || true; }

main() {
	parse_args "$@"
	if [ -z "${VT_ISOLATED_SCRATCH:-}" ]; then
		exec "$HERE/../harness/isolated.sh" -- "$HERE/smoke.sh" "$@"
	fi
	local t0 t1 t_ready='' deadline=$((SECONDS + TIMEOUT))
	XML=$(mktemp /tmp/vt-smoke.XXXXXX.xml)
	trap 'virsh -q destroy "$NAME" >/dev/null 2>&1 || true; rm -f "$XML"' EXIT
	domain_xml >"$XML"

	t0=$(now)
	virsh -q create "$XML" >/dev/null
	t1=$(now)
	while [ "$(count VT-TICK)" -lt 2 ]; do
		[ -n "$t_ready" ] || [ "$(count VT-READY)" = 0 ] || t_ready=$(now)
		[ "$SECONDS" -lt "$deadline" ] ||
			die "no VT-READY + 2 VT-TICK within ${TIMEOUT}s; console:$(echo; cat "$LOG")"
		sleep 0.1
	done
	[ -n "$t_ready" ] || t_ready=$(now)
	[ "$(count VT-BOOT)" = 1 ] || die "VT-BOOT printed $(count VT-BOOT) times"
	grep -q VT-FILL-FAILED "$LOG" && die "guest could not fill RAM: $(grep VT-FILL "$LOG")"
	echo "create=$(elapsed "$t0" "$t1") boot-to-ready=$(elapsed "$t0" "$t_ready")" \
		"token=$(sed -n 's/^VT-READY token=\([0-9a-f]*\).*/\1/p' "$LOG")"
}

main "$@"; exit
