# Migration of clones between two libvirtds on this machine: ours and a peer
# (tests/harness/peer.sh) in its own network, UTS and mount namespaces,
# joined by a veth pair, with the virt-template store and memory as shared
# storage.

load helpers

setup_file() {
	export T=mig
	export PEER=$BATS_FILE_TMPDIR/peer
	make_template "$T"
	bash "$VT_SRCDIR/tests/harness/peer.sh" start "$PEER"
	# shellcheck source=/dev/null
	. "$PEER/env"
	export PEER_URI PEER_ADDR LOCAL_ADDR PEER_PID
	TOKEN=$(token_of "$(console_log "$T")")
	export TOKEN
}

teardown_file() {
	bash "$VT_SRCDIR/tests/harness/peer.sh" stop "$PEER" || true
	virt-template -q delete --force "$T" || true
}

peer_virsh() { virsh -q -c "$PEER_URI" "$@"; }
peer_log() { echo "$PEER/log/qemu/$1-console.log"; }
peer_state() { peer_virsh domstate "$1" 2>/dev/null | head -n 1; }

# Asserts that domain $2 runs on the host of virsh -c $1, within 5 s of a
# migration's end; otherwise shows its state with the reason, the end of
# its QEMU log and of its console in log directory $3 (a guest that died
# after the migration says why there).
assert_running_on() {
	local state
	for _ in $(seq 50); do
		state=$(virsh -q -c "$1" domstate --reason "$2" 2>&1 | head -n 1)
		[[ "$state" == "running "* ]] && return 0
		sleep 0.1
	done
	echo "$2 is '$state' on $1; its QEMU log and console end with:" >&2
	tail -n 20 "$3/$2.log" "$3/$2-console.log" >&2 || true
	return 1
}
peer_running() { assert_running_on "$PEER_URI" "$1" "$PEER/log/qemu"; }
local_running() { assert_running_on qemu:///system "$1" "$VT_CONSOLE_LOGDIR"; }

# Runs a command in the peer's mount namespace (its view of the files).
in_peer() { nsenter -t "$PEER_PID" -m -- "$@"; }

migrate_live() {
	timeout 120 virsh -q migrate --live --persistent --undefinesource "$1" "$PEER_URI" \
		--migrateuri "tcp://$PEER_ADDR"
}

@test "the peer is another host to libvirt" {
	[ "$(peer_virsh hostname)" = vt-peer ]
	[ "$(peer_virsh sysinfo 2>/dev/null | md5sum)" != x ]
	[ "$(virsh capabilities | sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' | head -n 1)" != \
		"$(peer_virsh capabilities | sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' | head -n 1)" ]
}

@test "live migration keeps a running clone running: its counter goes on, with the template's token" {
	virt-template -q clone "$T" lm-1
	timeout "$START_TIMEOUT" virsh -q start lm-1
	wait_for_file_match "$(console_log lm-1)" "VT-TICK 3 $TOKEN" 30
	migrate_live lm-1
	run virsh dominfo lm-1
	[ "$status" -ne 0 ]
	peer_running lm-1
	local last
	last=$(last_tick "$(console_log lm-1)")
	wait_tick_over "$(peer_log lm-1)" "$last" "$TOKEN" 30
	run ! grep -q 'VT-BOOT\|VT-READY' "$(peer_log lm-1)"
	# Our started hook left the incoming QEMU to libvirt and stayed quiet.
	run ! grep -q "cannot restore clone 'lm-1'" "$PEER/libvirtd.log"
}

@test "on the destination it is a normal clone: destroy and start return it to the template point there" {
	peer_virsh destroy lm-1
	: >"$(peer_log lm-1)"
	timeout "$START_TIMEOUT" virsh -q -c "$PEER_URI" start lm-1
	wait_for_file_match "$(peer_log lm-1)" "VT-TICK [0-9]+ $TOKEN" 30
	assert_template_point "$(peer_log lm-1)" "$(console_log "$T")"
	run ! grep -q VT-BOOT "$(peer_log lm-1)"
	# And it comes back live, the same way.
	local last
	last=$(last_tick "$(peer_log lm-1)")
	timeout 120 virsh -q -c "$PEER_URI" migrate --live --persistent --undefinesource lm-1 \
		qemu:///system --migrateuri "tcp://$LOCAL_ADDR"
	local_running lm-1
	wait_tick_over "$(console_log lm-1)" "$last" "$TOKEN" 30
	run ! grep -q 'VT-BOOT\|VT-READY' "$(console_log lm-1)"
	virsh -q destroy lm-1
}

@test "offline migration of a shut-off clone: it starts at the template point on the destination" {
	virt-template -q clone "$T" off-1
	timeout 60 virsh -q migrate --offline --persistent --undefinesource off-1 "$PEER_URI"
	run virsh dominfo off-1
	[ "$status" -ne 0 ]
	[ "$(peer_state off-1)" = "shut off" ]
	timeout "$START_TIMEOUT" virsh -q -c "$PEER_URI" start off-1
	wait_for_file_match "$(peer_log off-1)" "VT-TICK [0-9]+ $TOKEN" 30
	assert_template_point "$(peer_log off-1)" "$(console_log "$T")"
	peer_virsh destroy off-1
}

@test "a destination without the template refuses the migration before anything moves, naming the template" {
	virt-template -q clone "$T" nt-1
	timeout "$START_TIMEOUT" virsh -q start nt-1
	wait_for_file_match "$(console_log nt-1)" "VT-TICK [0-9]+ $TOKEN" 30
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	in_peer mount --bind "$BATS_TEST_TMPDIR/empty" "$VT_STATEDIR/$T"
	run --separate-stderr migrate_live nt-1
	in_peer umount "$VT_STATEDIR/$T"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"cannot migrate clone 'nt-1' to this host: template '$T' does not exist"* ]] ||
		{ echo "stderr: $stderr" >&2; return 1; }
	[ "$(domain_state nt-1)" = running ]
	run peer_virsh dominfo nt-1
	[ "$status" -ne 0 ]
	local last
	last=$(last_tick "$(console_log nt-1)")
	wait_tick_over "$(console_log nt-1)" "$last" "$TOKEN" 30
}

@test "a migration whose destination QEMU fails leaves the source clone running" {
	# The peer's QEMU cannot open the memory file (the hook's checks pass:
	# it is there, of the right size).
	local mem=$VT_MEMDIR/$T/memory
	truncate -s "$(stat -c %s "$mem")" "$BATS_TEST_TMPDIR/closed"
	chmod 000 "$BATS_TEST_TMPDIR/closed"
	in_peer mount --bind "$BATS_TEST_TMPDIR/closed" "$mem"
	run --separate-stderr migrate_live nt-1
	in_peer umount "$mem"
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	[ "$(domain_state nt-1)" = running ]
	run peer_virsh dominfo nt-1
	[ "$status" -ne 0 ]
	local last
	last=$(last_tick "$(console_log nt-1)")
	wait_tick_over "$(console_log nt-1)" "$last" "$TOKEN" 30
	# And it migrates once the destination is right.
	migrate_live nt-1
	peer_running nt-1
	peer_virsh destroy nt-1
}

@test "a disk-backed clone migrates live with its overlay (shared storage) and keeps its disk there" {
	mkdir -p /var/lib/libvirt/images
	local img
	img=$(mktemp -d /var/lib/libvirt/images/vt-mig.XXXXXX)
	chmod 0755 "$img"
	truncate -s 8M "$img/data.raw"
	plain_xml mgd-src | sed "s|<devices>|<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$img/data.raw'/><target dev='vda' bus='virtio'/></disk>|" >"$img/src.xml"
	virt-template -q create mgd --xml "$img/src.xml" --wait-console "$VT_READY" --timeout 120
	local token
	token=$(token_of "$(console_log mgd)")
	virt-template -q clone mgd mgd-1
	timeout "$START_TIMEOUT" virsh -q start mgd-1
	wait_for_file_match "$(console_log mgd-1)" "VT-TICK [0-9]+ $token" 30
	guest_command mgd-1 "disk-write moved-with-me"
	wait_for_file_match "$(console_log mgd-1)" "^VT-DISK-WROTE moved-with-me" 30
	local last
	# --unsafe: the overlay is on one local filesystem both libvirtds see,
	# which libvirt cannot tell from a local disk (it trusts NFS, GlusterFS,
	# Ceph ... or cache='none'). It is shared here all the same.
	timeout 120 virsh -q migrate --live --persistent --undefinesource --unsafe mgd-1 "$PEER_URI" \
		--migrateuri "tcp://$PEER_ADDR"
	peer_running mgd-1
	last=$(last_tick "$(console_log mgd-1)")
	wait_tick_over "$(peer_log mgd-1)" "$last" "$token" 30
	# The destination kept the overlay: the write is there.
	local pty
	pty=$(peer_virsh ttyconsole mgd-1)
	{ sleep 1.2; printf 'disk-read\n'; sleep 1; } >"$pty"
	wait_for_file_match "$(peer_log mgd-1)" "^VT-DISK moved-with-me" 30
	# A fresh start there is at the template point, disk included.
	peer_virsh destroy mgd-1
	: >"$(peer_log mgd-1)"
	timeout "$START_TIMEOUT" virsh -q -c "$PEER_URI" start mgd-1
	wait_for_file_match "$(peer_log mgd-1)" "VT-TICK [0-9]+ $token" 30
	pty=$(peer_virsh ttyconsole mgd-1)
	{ sleep 1.2; printf 'disk-read\n'; sleep 1; } >"$pty"
	wait_for_file_match "$(peer_log mgd-1)" "^VT-DISK token=$token" 30
	peer_virsh destroy mgd-1
	peer_virsh undefine mgd-1
	virt-template -q delete --force mgd
	rm -rf "$img"
}
