#!/bin/bash
# A second, private libvirtd on this machine: a migration peer for the one
# tests/harness/isolated.sh started. Run it from inside that environment.
#
# Usage: peer.sh start DIR | stop DIR
#   start  starts the peer; DIR (created) holds its pid files, its log
#          directory (DIR/log: the peer's /var/log/libvirt) and "env", a
#          file to source: PEER_URI PEER_ADDR LOCAL_ADDR (ours) PEER_PID
#   stop   stops it and removes its network link
#
# The peer is another host as libvirt sees it: its own network namespace,
# joined to ours by a veth pair (10.77.0.1 here, 10.77.0.2 there; nothing
# leaves the two namespaces), its own hostname (a UTS namespace) and host
# UUID, and its own /etc/libvirt, /run/libvirt, /var/lib/libvirt,
# /var/log/libvirt, /var/cache/libvirt and virt-template run directory.
# The virt-template store and memory directories are the same files on
# both, as shared storage would be. Its libvirtd listens on TCP without
# authentication, on the peer's address only.
#
# Environment read: VT_RUNDIR, VT_ISOLATED_SCRATCH (from isolated.sh).

# Functions below run in the peer's namespaces, which shellcheck cannot see.
# shellcheck disable=SC2317
set -euo pipefail

SELF=$(readlink -f "${BASH_SOURCE[0]}")
LOCAL_ADDR=10.77.0.1
PEER_ADDR=10.77.0.2
LINK=vt-peer0

die() { echo "peer.sh: $*" >&2; exit 1; }

# --- inside the peer's namespaces --------------------------------------------

peer_etc() {
	local etc=$1/etc
	cp -a /etc/libvirt "$etc"
	sed -i -E '/^[[:space:]]*(log_outputs|listen_tls|listen_tcp|auth_tcp|listen_addr|host_uuid)[[:space:]]*=/d' \
		"$etc"/libvirtd.conf
	cat >>"$etc"/libvirtd.conf <<-EOF
		# --- added by tests/harness/peer.sh ---
		log_outputs="1:file:$1/libvirtd.log"
		listen_tls = 0
		listen_tcp = 1
		auth_tcp = "none"
		listen_addr = "$PEER_ADDR"
		host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
	EOF
	sed -i -E '/^[[:space:]]*migration_address[[:space:]]*=/d' "$etc"/qemu.conf
	printf 'migration_address = "%s"\n' "$PEER_ADDR" >>"$etc"/qemu.conf
	rm -f "$etc"/qemu/*.xml
	mount --bind "$etc" /etc/libvirt
}

# Empty copies of libvirt's state directories (their owners and modes kept),
# with the QEMU capabilities libvirtd already found.
peer_state() {
	local d
	for d in /var/lib/libvirt /var/cache/libvirt; do
		mkdir -p "$1$d"
		(cd "$d" && find . -name 'domain-*' -prune -o -type d -print0 |
			cpio -0 -pdm --quiet "$1$d")
	done
	cp -p /var/cache/libvirt/qemu/capabilities/*.xml "$1/var/cache/libvirt/qemu/capabilities/" \
		2>/dev/null || true
	mkdir -p "$1/log/qemu"
	mount --bind "$1/var/lib/libvirt" /var/lib/libvirt
	mount --bind "$1/var/cache/libvirt" /var/cache/libvirt
	mount --bind "$1/log" /var/log/libvirt
	mount -t tmpfs -o mode=0755 vt-peer-run /run/libvirt
	mount -t tmpfs -o mode=0755 vt-peer-run "$VT_RUNDIR"
}

inside() {
	local dir=$1
	echo vt-peer >/proc/sys/kernel/hostname
	ip link set lo up
	# Wait for our end of the veth pair (the starter moves it in).
	for _ in $(seq 100); do
		ip addr show dev "$LINK" 2>/dev/null | grep "$PEER_ADDR" >/dev/null && break
		sleep 0.1
	done
	peer_etc "$dir"
	peer_state "$dir"
	virtlogd -d -p "$dir/virtlogd.pid"
	libvirtd -d --listen -p "$dir/libvirtd.pid"
	touch "$dir/started"
	# Hold the namespaces until stopped.
	exec sleep infinity
}

# --- from the test's namespaces -----------------------------------------------

wait_for() {
	for _ in $(seq 300); do
		eval "$1" && return 0
		sleep 0.1
	done
	return 1
}

start() {
	local dir=$1 pid
	mkdir -p "$dir"
	rm -f "$dir/started"
	unshare -m -n -u --propagation private --fork -- "$BASH" "$SELF" inside "$dir" \
		</dev/null >"$dir/peer.out" 2>&1 3>&- &
	pid=$!
	# unshare forks: the namespaces belong to its child.
	wait_for "pgrep -P $pid >/dev/null" || die "the peer did not start"
	pid=$(pgrep -P "$pid")
	echo "$pid" >"$dir/ns.pid"
	ip link add "$LINK" type veth peer name "$LINK" netns "$pid"
	ip addr add "$LOCAL_ADDR/24" dev "$LINK"
	ip link set "$LINK" up
	nsenter -t "$pid" -n ip addr add "$PEER_ADDR/24" dev "$LINK"
	nsenter -t "$pid" -n ip link set "$LINK" up
	wait_for "[ -e '$dir/started' ]" || die "the peer's libvirtd did not start: $(cat "$dir/peer.out")"
	wait_for "virsh -q -c qemu+tcp://$PEER_ADDR/system version >/dev/null 2>&1" ||
		die "the peer's libvirtd does not answer"
	cat >"$dir/env" <<-EOF
		PEER_URI=qemu+tcp://$PEER_ADDR/system
		PEER_ADDR=$PEER_ADDR
		LOCAL_ADDR=$LOCAL_ADDR
		PEER_PID=$pid
	EOF
}

stop() {
	local dir=$1 d pid
	[ -s "$dir/ns.pid" ] || return 0
	pid=$(cat "$dir/ns.pid")
	for d in libvirtd virtlogd; do
		if [ -s "$dir/$d.pid" ]; then kill -TERM "$(cat "$dir/$d.pid")" 2>/dev/null || true; fi
	done
	sleep 1
	# Whatever still runs in the peer's namespaces (QEMU, daemons, the holder).
	for d in /proc/[0-9]*; do
		if [ "$d/ns/net" -ef "/proc/$pid/ns/net" ]; then kill -KILL "${d#/proc/}" 2>/dev/null || true; fi
	done
	ip link del "$LINK" 2>/dev/null || true
	rm -f "$dir/ns.pid"
}

case "${1:-}" in
inside) inside "$2" ;;
start) start "$2" ;;
stop) stop "$2" ;;
*) sed -n '5,10s/^# \{0,1\}//p' "$SELF" >&2; exit 2 ;;
esac
