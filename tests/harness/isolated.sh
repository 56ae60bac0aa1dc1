#!/bin/bash
# Run a command beside a private, throw-away libvirtd.
#
# Usage: isolated.sh [--hook FILE] [--keep] -- CMD [ARGS...]
#   --hook FILE  install FILE as /etc/libvirt/hooks/qemu.d/virt-template
#   --keep       keep the scratch directory (logs, state) and say where it is
# Exits with CMD's status; 77 (skip) when not root or a tool is missing.
#
# CMD runs in a private mount and network namespace (only loopback), where
# /etc/libvirt (a copy of the host's without hooks, domains or autostarted
# networks), /run/libvirt, /var/lib/libvirt, /var/log/libvirt and
# /var/cache/libvirt are private, with its own virtlogd and libvirtd. A host
# libvirtd is neither needed nor touched.
#
# Environment read:
#   VT_STATEDIR VT_MEMDIR VT_DISKDIR VT_RUNDIR  product directories to replace by fresh,
#                empty ones, e.g. /var/lib/virt-template: the store and the
#                memory directory on disk (scratch directories, as on a host:
#                they survive a simulated reboot), the run directory on tmpfs
#   VT_LIBVIRTD_LOG_FILTERS  libvirtd log_filters (default: see LOG_FILTERS)
#   VT_ISOLATED_CGROUPS=1  let libvirtd use cgroups (default: off, see below)
#   VT_CACHE_DIR  QEMU capabilities found by libvirtd are kept in
#                VT_CACHE_DIR/libvirt-qemu-capabilities (default dir
#                /var/cache/virt-template-test) for the next run: probing QEMU
#                costs ~8 s per fresh libvirtd. VT_ISOLATED_CAPS_CACHE=0: don't.
# Environment given to CMD:
#   LIBVIRT_DEFAULT_URI=qemu:///system
#   VT_ISOLATED_SCRATCH  scratch directory; libvirtd.log is in it

# Teardown functions run from traps, which shellcheck cannot see.
# shellcheck disable=SC2317
set -euo pipefail

ME=isolated
SELF=$(readlink -f "${BASH_SOURCE[0]}")
URI=qemu:///system
READY_TIMEOUT=30
# Debug for the qemu driver, hooks and the commands libvirtd runs; not the
# capability probe (megabytes of QMP schema).
LOG_FILTERS="3:qemu.qemu_capabilities 1:qemu 1:util.hook 1:util.command 3:*"
CAPS_DIR=/var/cache/libvirt/qemu/capabilities
CAPS_CACHE=${VT_CACHE_DIR:-/var/cache/virt-template-test}/libvirt-qemu-capabilities

HOOK=
KEEP=0
SCRATCH=
MOUNTS=()

usage() { sed -n '4,7s/^# \{0,1\}//p' "$SELF"; }
say() { echo "$ME: $*" >&2; }
skip() { say "SKIP: $*"; exit 77; }

# --- outside: checks, then re-run in a private mount namespace -------------

preflight() {
	[ "$(id -u)" = 0 ] || skip "must run as root"
	local t missing=()
	for t in unshare libvirtd virtlogd virsh mount umount ip; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	[ ${#missing[@]} = 0 ] || skip "missing: ${missing[*]}"
}

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--hook) [ $# -ge 2 ] || { usage >&2; exit 2; }
			HOOK=$(readlink -f "$2"); shift ;;
		--keep) KEEP=1 ;;
		-h | --help) usage; exit 0 ;;
		--) shift; break ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	[ $# -gt 0 ] || { usage >&2; exit 2; }
	[ -z "$HOOK" ] || [ -f "$HOOK" ] || { say "no such hook: $HOOK"; exit 2; }
	CMD=("$@")
}

# --- inside: set up -----------------------------------------------------------

# Mount $1 (tmpfs or a directory to bind) over $2, remembering it for teardown.
mount_over() {
	mkdir -p "$2"
	if [ "$1" = tmpfs ]; then
		mount -t tmpfs -o mode=0755 vt-isolated "$2"
	else
		mount --bind "$1" "$2"
	fi
	MOUNTS+=("$2")
}

# Empty copy of directory tree $1 at $2: directories only, with their owners
# and modes (libvirt expects e.g. /var/lib/libvirt/qemu owned by libvirt-qemu),
# minus the per-domain runtime directories of a running host libvirtd.
copy_skeleton() {
	mkdir -p "$2"
	[ -d "$1" ] || return 0
	(cd "$1" && find . -name 'domain-*' -prune -o -type d -print0 |
		cpio -0 -pdm --quiet "$2")
}

# The host's /etc/libvirt minus anything that would start or run on its own:
# hooks, persistent domains (and their autostart), autostarted networks/pools.
private_etc() {
	local etc=$SCRATCH/etc
	cp -a /etc/libvirt "$etc"
	rm -rf "$etc"/hooks "$etc"/qemu/*.xml "$etc"/qemu/autostart \
		"$etc"/qemu/networks/autostart "$etc"/storage/autostart
	mkdir -p "$etc"/hooks/qemu.d
	if [ -n "$HOOK" ]; then
		install -m 0755 "$HOOK" "$etc"/hooks/qemu.d/virt-template
	fi
	# libvirt's config parser takes the first of repeated keys: drop the host's.
	sed -i -E '/^[[:space:]]*log_(filters|outputs|level)[[:space:]]*=/d' "$etc"/libvirtd.conf
	# cgroupfs is shared by every libvirtd: a domain machine/qemu-<id>-<name>
	# may already belong to the host's (or a concurrent run's) domain of the
	# same name, and ours would join it and rewrite its settings. No cgroups.
	if [ "${VT_ISOLATED_CGROUPS:-0}" != 1 ]; then
		sed -i -E '/^[[:space:]]*cgroup_controllers[[:space:]]*=/d' "$etc"/qemu.conf
		printf '\n# added by tests/harness/isolated.sh\ncgroup_controllers = [ ]\n' >>"$etc"/qemu.conf
	fi
	cat >>"$etc"/libvirtd.conf <<-EOF

		# --- added by tests/harness/isolated.sh ---
		log_filters="${VT_LIBVIRTD_LOG_FILTERS:-$LOG_FILTERS}"
		log_outputs="1:file:$SCRATCH/libvirtd.log"
	EOF
}

setup_mounts() {
	local d v
	private_etc
	mount_over "$SCRATCH/etc" /etc/libvirt
	mount_over tmpfs /run/libvirt
	for d in /var/lib/libvirt /var/log/libvirt /var/cache/libvirt; do
		copy_skeleton "$d" "$SCRATCH$d"
		mount_over "$SCRATCH$d" "$d"
	done
	product_dirs
	seed_caps
}

# Fresh product directories: the store and memory on disk, the run
# directory on tmpfs, as /run is. A memory directory inside the store is
# already fresh.
product_dirs() {
	local v
	for v in VT_STATEDIR VT_MEMDIR VT_DISKDIR; do
		[ -n "${!v:-}" ] || continue
		if [ "$v" != VT_STATEDIR ] && [ -n "${VT_STATEDIR:-}" ] &&
			[[ ${!v} == "$VT_STATEDIR"/* ]]; then
			continue
		fi
		mkdir -p "$SCRATCH/product/$v"
		mount_over "$SCRATCH/product/$v" "${!v}"
	done
	[ -z "${VT_RUNDIR:-}" ] || mount_over tmpfs "$VT_RUNDIR"
}

# libvirt revalidates cached capabilities itself (QEMU binary and libvirtd
# ctimes, kernel, microcode, KVM access) exactly as after a host libvirtd
# restart, so seeding them from an earlier run is safe.
caps_cache_on() { [ "${VT_ISOLATED_CAPS_CACHE:-1}" != 0 ]; }

seed_caps() {
	caps_cache_on && [ -d "$CAPS_CACHE" ] || return 0
	mkdir -p "$CAPS_DIR"
	cp -p "$CAPS_CACHE"/*.xml "$CAPS_DIR"/ 2>/dev/null || true
}

# Keep new or re-probed capabilities; rename() so concurrent runs never see
# half a file.
save_caps() {
	caps_cache_on && [ -d "$CAPS_DIR" ] || return 0
	local f
	mkdir -p "$CAPS_CACHE"
	for f in "$CAPS_DIR"/*.xml; do
		[ -f "$f" ] || continue
		cmp -s "$f" "$CAPS_CACHE/${f##*/}" && continue
		cp -p "$f" "$CAPS_CACHE/.${f##*/}.$$" &&
			mv -f "$CAPS_CACHE/.${f##*/}.$$" "$CAPS_CACHE/${f##*/}"
	done
}

# libvirtd probes QEMU as root and finds KVM, then the QEMU user cannot open
# /dev/kvm: the capability cache is declared stale and re-probed on every
# domain start (~60 s). Giving group kvm access avoids that.
fix_kvm() {
	[ -c /dev/kvm ] || return 0
	getent group kvm >/dev/null || return 0
	chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
}

start_daemons() {
	virtlogd -d -p "$SCRATCH/virtlogd.pid"
	libvirtd -d -p "$SCRATCH/libvirtd.pid"
	local i pid
	pid=$(<"$SCRATCH/libvirtd.pid")
	for ((i = 0; i < READY_TIMEOUT * 5; i++)); do
		virsh -q -c "$URI" version >/dev/null 2>&1 && return 0
		[ -d "/proc/$pid" ] || break
		sleep 0.2
	done
	say "libvirtd did not answer (${READY_TIMEOUT}s); use --keep and see libvirtd.log"
	return 1
}

# --- inside: tear down -------------------------------------------------------

# True if process $1 lives in this mount namespace: only those are ours to
# signal (never a host daemon named by a stale pid file). Builtins only, so
# that no short-lived child of ours shows up while /proc is scanned.
# Our parent may be the subreaper (tini) that started us: not ours to kill.
ours() { [[ $1 != "$$" && $1 != "$PPID" && /proc/$1/ns/mnt -ef /proc/$$/ns/mnt ]]; }

# Wait up to $1 seconds for processes $2... to go away.
wait_gone() {
	local t=$(($1 * 10)) p alive
	shift
	while [ "$t" -gt 0 ]; do
		alive=0
		for p in "$@"; do [ -d "/proc/$p" ] && alive=1; done
		[ "$alive" = 1 ] || return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}

# Stop libvirtd and virtlogd together: each takes ~2 s to exit on TERM.
stop_daemons() {
	local d pid pids=()
	for d in libvirtd virtlogd; do
		[ -s "$SCRATCH/$d.pid" ] || continue
		pid=$(<"$SCRATCH/$d.pid")
		ours "$pid" && kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
	done
	[ ${#pids[@]} -gt 0 ] || return 0
	wait_gone 10 "${pids[@]}" && return 0
	say "daemons did not stop on TERM; killing"
	for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	wait_gone 5 "${pids[@]}"
}

destroy_domains() {
	local dom
	[ -S /run/libvirt/libvirt-sock ] || return 0
	for dom in $(timeout 20 virsh -q -c "$URI" list --name 2>/dev/null); do
		timeout 20 virsh -q -c "$URI" destroy "$dom" >/dev/null 2>&1 ||
			say "could not destroy $dom"
	done
}

# Whatever still runs in this namespace was started here: QEMU processes a
# dying libvirtd left behind, stray children of CMD. TERM first, then KILL.
kill_leftovers() {
	local p sig found
	for sig in TERM KILL; do
		found=0
		for p in /proc/[0-9]*; do
			p=${p#/proc/}
			if ours "$p" && kill "-$sig" "$p" 2>/dev/null; then found=1; fi
		done
		[ "$found" = 1 ] || return 0
		sleep 1
	done
}

cleanup() {
	local rc=$? i
	set +e
	# Finish the teardown even if the caller keeps signalling (it is bounded).
	trap '' INT TERM HUP
	trap - EXIT
	destroy_domains
	stop_daemons
	kill_leftovers
	save_caps
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}"
	done
	if [ "$KEEP" = 1 ]; then
		say "kept $SCRATCH"
	else
		rm -rf --one-file-system "$SCRATCH"
	fi
	exit "$rc"
}

# Run CMD in the background so that a signal to us runs the trap at once
# (bash defers traps while a foreground child runs) and pass it on as TERM:
# background children of a script ignore SIGINT. "<&0" keeps our stdin (a
# script's background jobs would get /dev/null).
run_cmd() {
	local child rc
	"${CMD[@]}" <&0 &
	child=$!
	trap 'kill -TERM $child 2>/dev/null' INT TERM HUP
	set +e
	wait "$child"
	rc=$?
	while kill -0 "$child" 2>/dev/null; do
		wait "$child"
		rc=$?
	done
	set -e
	return "$rc"
}

inside() {
	unset _VT_ISOLATED_INNER
	# On disk, not a tmpfs /tmp: the store and the memory files there must
	# survive a simulated reboot, as on a host.
	SCRATCH=$(mktemp -d /var/tmp/vt-isolated.XXXXXX)
	say "scratch $SCRATCH"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	ip link set lo up
	setup_mounts
	fix_kvm
	start_daemons
	export LIBVIRT_DEFAULT_URI=$URI VT_ISOLATED_SCRATCH=$SCRATCH
	run_cmd
}

main() {
	parse_args "$@"
	if [ -z "${_VT_ISOLATED_INNER:-}" ]; then
		preflight
		export _VT_ISOLATED_INNER=1
		# libvirtd and QEMU are daemons: orphans reparented to PID 1, which
		# libvirt polls with kill(pid, 0) until reaped. Some sandboxes' PID 1
		# reaps only every 1-2 s, which would add that to every destroy and
		# save; a child subreaper (tini -s) reaps at once, as systemd does.
		local reaper=()
		command -v tini >/dev/null && reaper=(tini -s --)
		# A network namespace of its own too: a test may add links (a
		# migration peer, tests/harness/peer.sh) that nothing outside sees.
		exec unshare -m -n --propagation private -- "${reaper[@]}" "$BASH" "$SELF" "$@"
	fi
	inside
}

# One line, so bash has parsed it all before running: editing this file
# during a run cannot change what the run executes next.
main "$@"; exit
