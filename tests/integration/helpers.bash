# Shared by the integration tests. Runs inside the isolated libvirtd.
bats_require_minimum_version 1.5.0

: "${VT_GUEST_kernel:?run through tests/integration/run.sh}"
: "${VT_GUEST_initrd:?run through tests/integration/run.sh}"
VT_READY='VT-READY'
# shellcheck disable=SC2034 # for the .bats files
START_TIMEOUT=60

# The guest's console log of domain $1.
console_log() { echo "$VT_CONSOLE_LOGDIR/$1-console.log"; }

# Creates and saves template $1 from the bundled guest; extra args follow.
make_template() {
	local name=$1
	shift
	virt-template -q create "$name" --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" \
		--virt-type "$VT_VIRT_TYPE" --memory 256 --wait-console "$VT_READY" --timeout 120 "$@"
}

# The bundled guest as a plain domain XML (no virt-template involved).
plain_xml() {
	# shellcheck disable=SC2154 # run.sh exports VT_GUEST_* (build-guest.sh --print-paths)
	sed -e "s|<name>template</name>|<name>$1</name>|" -e "s|type='kvm'|type='$VT_VIRT_TYPE'|" \
		-e "s|/boot/vmlinuz|$VT_GUEST_kernel|" -e "s|/boot/initrd.img|$VT_GUEST_initrd|" \
		-e "s|console=ttyS0|console=ttyS0 quiet panic=-1|" \
		-e "s|template-console.log|$1-console.log|" "$VIRT_TEMPLATE_DATADIR/kernel-initrd.xml"
}

# Waits until file $1 matches extended regex $2, at most $3 seconds.
wait_for_file_match() {
	local file=$1 re=$2 left=$(($3 * 10))
	until grep -Eq -- "$re" "$file" 2>/dev/null; do
		left=$((left - 1))
		[ "$left" -gt 0 ] || { echo "no '$re' in $file after $3 s" >&2; cat "$file" >&2 || true; return 1; }
		sleep 0.1
	done
}

domain_state() { virsh domstate "$1" 2>/dev/null | head -n 1; }

# The names in template $1's store directory, sorted, on one line: tests
# compare it with exactly what should be there.
store_files() { find "$VT_STATEDIR/$1" -mindepth 1 -printf '%f\n' | sort | paste -sd ' '; }

# Everything virt-template and libvirt hold, to prove a failure left nothing.
world_snapshot() {
	virsh list --all --name | sed '/^$/d' | sort
	ls -A -I .lock -I .memory -I .disks "$VT_STATEDIR" "$VT_MEMDIR" 2>/dev/null || true
}

# Runs "$@" expecting failure with exactly one line on stderr matching $1
# (extended regex), and nothing changed in libvirt or the store.
# shellcheck disable=SC2154 # bats' run sets $status and $stderr
expect_clean_failure() {
	local re=$1
	shift
	local before after
	before=$(world_snapshot)
	run --separate-stderr "$@"
	after=$(world_snapshot)
	[ "$status" -ne 0 ] || { echo "expected failure, got status 0" >&2; return 1; }
	[ "$(printf '%s\n' "$stderr" | grep -c .)" -le 2 ] || { echo "stderr: $stderr" >&2; return 1; }
	printf '%s\n' "$stderr" | head -n 1 | grep -Eq "^virt-template: error: .*$re" ||
		{ echo "stderr '$stderr' does not match '$re'" >&2; return 1; }
	[ "$before" = "$after" ] || { echo "left behind: $(diff <(echo "$before") <(echo "$after"))" >&2; return 1; }
}

# Waits until log $1 has a tick after tick $2 with token $3, at most $4 s:
# a guest resumed from its own state (a restore, a migration) counts on
# from where it was, whatever the log lost when its new QEMU opened it.
wait_tick_over() {
	local left=$(($4 * 10)) n
	while :; do
		n=$(grep -o "VT-TICK [0-9]* $3" "$1" 2>/dev/null | tail -n 1 | cut -d' ' -f2)
		[ -n "$n" ] && [ "$n" -gt "$2" ] && return 0
		left=$((left - 1))
		[ "$left" -gt 0 ] || { echo "no tick after $2 with token $3 in $1 after $4 s" >&2; tail -n 60 "$1" >&2; return 1; }
		sleep 0.1
	done
}

# Succeeds when the console log $1 of a clone starts at the template point:
# its first tick follows the last one in the template's log $2. The template
# can be frozen in the middle of a console line (the 8250 driver sends a
# write's first byte, then the rest from the next interrupt; a CI run caught
# "V" in the template's log and "T-TICK 1" in its clone's), so the template's
# unfinished last line is read as the start of the clone's log.
assert_template_point() {
	local tlog partial first last
	tlog=$(cat "$2" && echo x)
	tlog=${tlog%x}
	partial=${tlog##*$'\n'}
	[[ $partial == *$'\r' ]] && partial=
	last=$(grep -o 'VT-TICK [0-9]*' <<<"${tlog%"$partial"}" | tail -n 1 | cut -d' ' -f2)
	first=$(grep -m1 -o 'VT-TICK [0-9]*' <<<"$partial$(cat "$1")" | cut -d' ' -f2)
	if [ -z "$first" ] || [ "$first" -ne $((${last:-0} + 1)) ]; then
		echo "$1 starts at tick '$first', not after the template's last tick '$last'" >&2
		return 1
	fi
}

# The last VT-TICK number in a console log.
last_tick() { grep -o 'VT-TICK [0-9]*' "$1" | tail -n 1 | cut -d' ' -f2; }
token_of() { sed -n 's/.*VT-READY token=\([0-9a-f]*\).*/\1/p' "$1" | head -n 1; }

# Sends a command line to the guest of running domain $1 on its serial pty.
guest_command() {
	local pty
	pty=$(virsh ttyconsole "$1")
	[ -c "$pty" ] || { echo "domain $1 has no console pty" >&2; return 1; }
	# QEMU's pty chardev notices a connected reader by polling about once a
	# second and drops input until then: hold the pty open around the write.
	{ sleep 1.2; printf '%s\n' "$2"; sleep 1; } >"$pty"
}

# What the service at host $1, TCP port $2 says before it closes (the test
# guest's port 7 answers its hostname), at most 10 s.
tcp_answer() { timeout 10 socat -u "TCP:$1:$2,connect-timeout=5" - | tr -d '\r\n'; }

# The QEMU version libvirt runs (virsh version's "Running hypervisor").
qemu_version() { virsh version | sed -n 's/^Running hypervisor: QEMU //p'; }
# True if that QEMU is at least version $1.
qemu_at_least() { [ "$(printf '%s\n%s\n' "$1" "$(qemu_version)" | sort -V | head -n 1)" = "$1" ]; }

# How process $1 holds file $2 open: "read-only" or "read-write" (the access
# mode in /proc/PID/fdinfo's octal flags), one line per fd; nothing if not.
fd_access_modes() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[ "$(readlink "$fd")" = "$2" ] || continue
		case $((0$(awk '/^flags:/ {print $2}' "/proc/$1/fdinfo/${fd##*/}") & 3)) in
		0) echo read-only ;;
		2) echo read-write ;;
		*) echo write-only ;;
		esac
	done
}

# Field $2 of the guest's `ident` answer (hostname, mac, time, data).
ident_of() {
	local log n
	log=$(console_log "$1")
	n=$(grep -c '^VT-ID ' "$log" || true)
	guest_command "$1" ident
	for _ in $(seq 100); do
		[ "$(grep -c '^VT-ID ' "$log" || true)" -gt "$n" ] && break
		sleep 0.1
	done
	grep '^VT-ID ' "$log" | tail -n 1 | tr -d '\r' | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# Guest $1's wall clock is within 2 s of the host's: its `ident` answer
# (whole seconds) must fall between the host's clock before the question,
# less 2, and after the answer, plus 2; the round trip takes seconds.
clock_close() {
	local before guest after
	before=$(date +%s)
	guest=$(ident_of "$1" time)
	after=$(date +%s)
	[ "$guest" -ge $((before - 2)) ] && [ "$guest" -le $((after + 2)) ] && return 0
	echo "$1: guest clock $guest, host $before..$after" >&2
	return 1
}
