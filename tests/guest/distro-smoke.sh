#!/bin/bash
# Smoke test of the Debian 12 guest (build-distro.sh): define it from
# distro-domain.sh on an overlay of the cached disk, start it, wait for the
# guest agent, ask systemd how the boot went through guest-exec, then power
# it off with `virsh shutdown --mode acpi` (the power button).
#
# Usage: distro-smoke.sh [--timeout SECS]
#   --timeout  give up on each wait after SECS (default 180)
# Prints "agent=S login=S state=STATE shutdown=S" and systemd's own boot
# time: seconds from just before `virsh start` to the agent's first answer
# and to "login:" on the serial console, `systemctl is-system-running
# --wait` (running or degraded; failed units are listed when degraded), and
# from `virsh shutdown --mode acpi` to shut off. Exit 0 on success. Outside
# tests/harness/isolated.sh it re-runs itself inside it. Environment:
# VT_CACHE_DIR (see build-distro.sh).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
TIMEOUT=180
NAME=vt-distro-smoke-$$
LOG=/var/log/libvirt/qemu/$NAME-console.log
# In the private /var/lib/libvirt of isolated.sh, where a user's disks go.
DIR=/var/lib/libvirt/images/$NAME

die() {
	echo "distro-smoke: $*" >&2
	if [ -s "$LOG" ]; then
		echo "distro-smoke: console (last 30 lines):" >&2
		tail -n 30 "$LOG" >&2
	fi
	exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--timeout) [ $# -ge 2 ] || { usage >&2; exit 2; }
			TIMEOUT=$2; shift ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
}
usage() { sed -n '7,8s/^# \{0,1\}//p' "$SELF"; }

agent() { virsh -q qemu-agent-command "$NAME" --timeout 10 "$1" 2>/dev/null; }

# Run $1 with arguments $2... in the guest through guest-exec; print its
# stdout, return its exit code. Bounded by TIMEOUT.
guest_run() {
	local req pid status deadline=$((SECONDS + TIMEOUT))
	# The arguments one a line (jq 1.6 takes any "--x" after --args for its own).
	req=$(if [ $# -gt 1 ]; then printf '%s\n' "${@:2}"; fi |
		jq -cRn --arg path "$1" '{execute: "guest-exec", arguments:
			{path: $path, arg: [inputs], "capture-output": true}}')
	pid=$(agent "$req" | jq -e '.return.pid') || die "guest-exec $1 failed"
	while :; do
		status=$(agent "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") ||
			die "guest-exec-status failed"
		[ "$(jq '.return.exited' <<<"$status")" != true ] || break
		[ "$SECONDS" -lt "$deadline" ] || die "'$*' did not end within ${TIMEOUT}s"
		sleep 0.5
	done
	jq -r '.return["out-data"] // ""' <<<"$status" | base64 -d
	return "$(jq '.return.exitcode // 255' <<<"$status")"
}

# Wait until command $2... succeeds, polling; $1 names what is awaited.
wait_for() {
	local what=$1 deadline=$((SECONDS + TIMEOUT))
	shift
	until "$@"; do
		[ "$(virsh -q domstate "$NAME")" = running ] || die "domain stopped waiting for $what"
		[ "$SECONDS" -lt "$deadline" ] || die "no $what within ${TIMEOUT}s"
		sleep 0.5
	done
}

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	virsh -q destroy "$NAME" >/dev/null 2>&1 || true
	virsh -q undefine "$NAME" >/dev/null 2>&1 || true
	rm -rf "$DIR"
}

main() {
	parse_args "$@"
	if [ -z "${VT_ISOLATED_SCRATCH:-}" ]; then
		# Build here: isolated.sh's network namespace has no route to a mirror.
		"$HERE/build-distro.sh"
		exec "$HERE/../harness/isolated.sh" -- "$SELF" "$@"
	fi
	local disk line t0 t_agent t_login state boot before t1
	while IFS= read -r line; do
		case "$line" in disk=*) disk=${line#*=} ;; esac
	done < <("$HERE/build-distro.sh" --print-paths)
	[ -n "${disk:-}" ] || die "build-distro.sh failed"
	before=$(stat -c '%s %Y' "$disk")
	trap cleanup EXIT
	# An overlay: the guest writes its own file, never the cached disk.
	mkdir -p "$DIR"
	qemu-img create -q -f qcow2 -F qcow2 -b "$disk" "$DIR/disk.qcow2"
	"$HERE/distro-domain.sh" "$NAME" "$DIR/disk.qcow2" \
		--serial "pty,log.file=$LOG,log.append=off" >"$DIR/domain.xml"
	virsh -q define "$DIR/domain.xml" >/dev/null

	t0=$(now)
	virsh -q start "$NAME" >/dev/null
	wait_for "answer from the guest agent" agent '{"execute":"guest-ping"}' >/dev/null
	t_agent=$(now)
	wait_for '"login:" on the serial console' grep -q 'login:' "$LOG"
	t_login=$(now)
	state=$(guest_run /bin/systemctl is-system-running --wait) || true
	case "$state" in
	running) ;;
	degraded) guest_run /bin/systemctl --failed --no-legend --plain >&2 || true ;;
	*) die "systemctl is-system-running: '$state'" ;;
	esac
	boot=$(guest_run /usr/bin/systemd-analyze time | head -n 1) || true

	t1=$(now)
	# --mode acpi: with the agent connected, plain `virsh shutdown` asks the
	# agent (guest-shutdown) and would not prove the power button works.
	virsh -q shutdown --mode acpi "$NAME" >/dev/null
	local deadline=$((SECONDS + TIMEOUT))
	until [ "$(virsh -q domstate "$NAME")" = "shut off" ]; do
		[ "$SECONDS" -lt "$deadline" ] || die "not shut off ${TIMEOUT}s after an ACPI shutdown"
		sleep 0.5
	done
	[ "$(stat -c '%s %Y' "$disk")" = "$before" ] || die "the cached disk $disk was written"
	echo "agent=$(elapsed "$t0" "$t_agent") login=$(elapsed "$t0" "$t_login")" \
		"state=$state shutdown=$(elapsed "$t1" "$(now)")"
	echo "guest: $boot"
}

main "$@"; exit
