#!/bin/bash
# The guest kit (guest/virt-template-guest) in a fake guest, under each shell
# it must run in: dash, busybox sh and bash. A FIFO stands for the virtio
# port, a directory for /sys, /dev, /proc, /etc and /run (VT_GUEST_ROOT), and
# shell functions for ip, hostname, date, networkctl, nmcli and dhclient:
# they record their arguments. (Functions, not a PATH: busybox sh runs its
# own applets before any PATH.) Sleeping stand-ins for udhcpc are real
# processes, for the kit restarts one. TAP; needs no root. Where it can, the
# kit runs in its own user, UTS and network namespaces: a stub missed could
# change nothing of this machine's clock, name or links.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${VT_SRCDIR:=$(cd "$here/../.." && pwd)}"
# shellcheck source=tests/tap.sh
. "$here/../tap.sh"
KIT=$VT_SRCDIR/guest/virt-template-guest
TMP=$(mktemp -d)
DAEMONS=()
# shellcheck disable=SC2317 # run by the trap
cleanup() {
	[ ${#DAEMONS[@]} = 0 ] || kill "${DAEMONS[@]}" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

# The kit's commands, as functions that record their arguments in $CALLS.
# date fails on a fraction when $DATE_MODE holds "busybox", as busybox's does.
cat >"$TMP/stubs.sh" <<'EOF'
ip() { echo "ip $*" >>"$CALLS"; }
hostname() { echo "hostname $*" >>"$CALLS"; }
networkctl() { echo "networkctl $*" >>"$CALLS"; }
nmcli() { echo "nmcli $*" >>"$CALLS"; return 1; }
dhclient() { echo "dhclient $*" >>"$CALLS"; }
date() {
	echo "date $*" >>"$CALLS"
	case "$(cat "$DATE_MODE"):$*" in busybox:*@*.*) return 1 ;; esac
}
EOF
# udhcpc as a process: a daemon (STUB_DAEMON=1) sleeps until killed; run by
# the kit, it records its arguments and exits, as udhcpc -b does once bound.
mkdir "$TMP/bin"
cat >"$TMP/bin/udhcpc" <<'EOF'
#!/bin/sh
if [ "${STUB_DAEMON:-}" = 1 ]; then while :; do sleep 1; done; fi
echo "udhcpc $*" >>"$CALLS"
EOF
chmod +x "$TMP/bin/udhcpc"

SANDBOX=()
if unshare -r -u -n true 2>/dev/null; then SANDBOX=(unshare -r -u -n); fi

n=0 status=0
pass() { n=$((n + 1)); echo "ok $n - $*"; }
# fail DESC [DIAGNOSTIC-FILE...]
fail() {
	n=$((n + 1))
	echo "not ok $n - $1"
	shift
	local f
	for f in "$@"; do sed "s|^|# ${f##*/}: |" "$f" 2>/dev/null || true; done
	status=1
}

# Waits until file $1 has a line matching extended regex $2, at most $3 s.
wait_for() {
	local left=$(($3 * 10))
	until grep -Eq -- "$2" "$1" 2>/dev/null; do
		left=$((left - 1))
		[ "$left" -gt 0 ] || return 1
		sleep 0.1
	done
}

# Writes stdin to the port as the host does: open, write, close.
# shellcheck disable=SC2016 # a script for that bash
send() { timeout 10 bash -c 'cat >"$1"' send "$PORT"; }

# A guest: two ports (only one the kit's), eth0 and eth1 (virtio), br0 with
# eth0's address (no device behind it), the template's names in /etc.
make_guest() {
	local r=$1
	mkdir -p "$r"/sys/class/virtio-ports/vport1p1 "$r"/dev "$r"/proc "$r"/etc "$r"/run
	echo org.qemu.guest_agent.0 >"$r"/sys/class/virtio-ports/vport1p1/name
	mkfifo "$r"/dev/vport1p1
	mk_nic "$r" eth0 2 52:54:00:00:00:01 device
	mk_nic "$r" eth1 3 52:54:00:00:00:02 device
	mk_nic "$r" br0 4 52:54:00:00:00:01
	echo template >"$r"/etc/hostname
	printf '127.0.0.1\tlocalhost\n127.0.1.1\ttemplate\n' >"$r"/etc/hosts
}
mk_nic() {
	mkdir -p "$1/sys/class/net/$2"
	echo "$3" >"$1/sys/class/net/$2/ifindex"
	echo "$4" >"$1/sys/class/net/$2/address"
	[ -z "${5:-}" ] || mkdir "$1/sys/class/net/$2/device"
}

# A udhcpc stand-in serving $2, seen by the kit in $1/proc; sets DAEMON.
start_udhcpc() {
	STUB_DAEMON=1 "$TMP/bin/udhcpc" -i "$2" -b -s /etc/udhcpc/default.script &
	DAEMON=$!
	DAEMONS+=("$DAEMON")
	ln -s "/proc/$DAEMON" "$1/proc/$DAEMON"
}
alive() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:.Z' "/proc/$1/status" 2>/dev/null; }

# Expected records, one a line, against what the stubs wrote since line $1.
calls_are() {
	tail -n +"$(($1 + 1))" "$CALLS" >"$D/calls.got"
	printf '%s\n' "${@:2}" | sed '/^$/d' >"$D/calls.want"
	diff -u "$D/calls.want" "$D/calls.got" >"$D/calls.diff"
}
ncalls() { wc -l <"$CALLS"; }

# The whole story under shell $1 (a command line, word split).
run_shell() {
	local label=$1 sh=$2 r kit eth0 eth1 c payload
	D=$TMP/$label
	r=$D/root
	mkdir -p "$D"
	make_guest "$r"
	export CALLS=$D/calls DATE_MODE=$D/date-mode
	: >"$CALLS"
	echo coreutils >"$DATE_MODE"
	start_udhcpc "$r" eth0
	eth0=$DAEMON
	start_udhcpc "$r" eth1
	eth1=$DAEMON
	# shellcheck disable=SC2086,SC2016 # $sh is a command line; a script for it
	VT_GUEST_ROOT=$r VT_GUEST_POLL=0.2 VT_GUEST_WAIT=0.2 "${SANDBOX[@]}" $sh \
		-c '. "$1"; . "$2"' kit-test "$TMP/stubs.sh" "$KIT" >"$D/out" 2>"$D/err" &
	kit=$!
	DAEMONS+=("$kit")

	if wait_for "$D/err" 'waiting for the virtio port org\.virt-template\.identity\.0' 5; then
		pass "$label: waits for a port named org.virt-template.identity.0"
	else
		fail "$label: waits for a port named org.virt-template.identity.0" "$D/err"
	fi
	mkdir "$r"/sys/class/virtio-ports/vport1p2
	echo org.virt-template.identity.0 >"$r"/sys/class/virtio-ports/vport1p2/name
	mkfifo "$r"/dev/vport1p2
	PORT=$r/dev/vport1p2

	# A message: eth0 and a NIC the guest has not, some binary data.
	head -c 300 /dev/urandom >"$D/payload"
	payload=$(base64 -w 0 "$D/payload")
	printf '%s\n' 'virt-template-identity 1' 'name clone-7' \
		'mac 52:54:00:00:00:01 52:54:00:AB:CD:EF' 'mac 52:54:00:00:00:77 52:54:00:00:00:78' \
		'time 1700000000.250' "data $payload" end | send
	local line="virt-template-guest: identity applied: name=clone-7 clock=1700000000.250"
	line="$line 52:54:00:00:00:77=absent eth0=52:54:00:ab:cd:ef dhcp=udhcpc data=300B"
	if wait_for "$D/out" 'identity applied' 10 && [ "$(cat "$D/out")" = "$line" ]; then
		pass "$label: reports the message applied"
	else
		fail "$label: reports the message applied (want: $line)" "$D/out" "$D/err"
	fi
	if calls_are 0 'date -s @1700000000.250' 'hostname clone-7' \
		'ip link set dev eth0 down' 'ip link set dev eth0 address 52:54:00:ab:cd:ef' \
		'ip link set dev eth0 up' 'udhcpc -i eth0 -b -s /etc/udhcpc/default.script'; then
		pass "$label: sets the clock and the name, eth0's MAC, restarts eth0's udhcpc"
	else
		fail "$label: sets the clock and the name, eth0's MAC, restarts eth0's udhcpc" \
			"$D/calls.diff"
	fi
	if ! alive "$eth0" && alive "$eth1"; then
		pass "$label: stops eth0's udhcpc, not eth1's"
	else
		fail "$label: stops eth0's udhcpc, not eth1's"
	fi
	if cmp -s "$D/payload" "$r/run/virt-template/data" &&
		[ "$(stat -c %a "$r/run/virt-template/data")" = 600 ]; then
		pass "$label: writes the data to /run/virt-template/data, mode 0600"
	else
		fail "$label: writes the data to /run/virt-template/data, mode 0600"
	fi
	if [ "$(cat "$r/etc/hostname")" = clone-7 ] &&
		grep -qx '127\.0\.1\.1	clone-7' "$r/etc/hosts"; then
		pass "$label: writes /etc/hostname and the 127.0.1.1 line of /etc/hosts"
	else
		fail "$label: writes /etc/hostname and the 127.0.1.1 line of /etc/hosts" \
			"$r/etc/hostname" "$r/etc/hosts"
	fi

	# A malformed message, then one the host stopped writing midway: nothing
	# of them is applied, and the next one is.
	c=$(ncalls)
	printf '%s\n' 'virt-template-identity 1' 'name clone-x' 'mac 52:54:00:00:00:01 nonsense' \
		'time 1700000000' end | send
	printf '%s\n' 'virt-template-identity 1' 'name clone-y' | send
	if wait_for "$D/err" "message skipped: bad mac line 'mac 52:54:00:00:00:01 nonsense'" 10 &&
		wait_for "$D/err" "message skipped: the host closed the port before 'end'" 10; then
		pass "$label: skips a malformed message and a truncated one, with a line on stderr"
	else
		fail "$label: skips a malformed message and a truncated one, with a line on stderr" \
			"$D/err"
	fi

	# busybox's date, CRLF line ends, a key this kit does not know, no data.
	echo busybox >"$DATE_MODE"
	printf '%s\r\n' 'virt-template-identity 1' 'name clone-8' 'time 1700000000.750' \
		'future-key whatever' end | send
	line="virt-template-guest: identity applied: name=clone-8 clock=1700000000.750 data=none"
	if wait_for "$D/out" 'name=clone-8' 10 && [ "$(tail -n 1 "$D/out")" = "$line" ] &&
		[ "$(wc -l <"$D/out")" = 2 ]; then
		pass "$label: applies the next message, and only it"
	else
		fail "$label: applies the next message, and only it (want: $line)" "$D/out" "$D/err"
	fi
	if calls_are "$c" 'date -s @1700000000.750' 'date -s @1700000001' 'hostname clone-8' &&
		[ ! -e "$r/run/virt-template/data" ]; then
		pass "$label: busybox date: whole seconds, rounded; no data: the file is removed"
	else
		fail "$label: busybox date: whole seconds, rounded; no data: the file is removed" \
			"$D/calls.diff"
	fi
	if alive "$kit"; then
		pass "$label: still reading after five writers came and went"
	else
		fail "$label: still reading after five writers came and went" "$D/err"
	fi
	kill "$kit" "$eth1" 2>/dev/null || true
}

run_shell dash dash
if command -v busybox >/dev/null; then
	run_shell busybox-sh 'busybox sh'
else
	n=$((n + 1))
	echo "ok $n # SKIP busybox is not installed"
fi
run_shell bash 'bash --posix'
echo "1..$n"
exit "$status"
