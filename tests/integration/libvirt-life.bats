# Clones are ordinary domains in what libvirt does to them besides start and
# destroy: managed save (virt-manager's Save, libvirt-guests), save and
# restore, edits, reset and reboot, undefine. One template; each test its
# own clones.

load helpers

setup_file() {
	export T=life2
	make_template "$T"
	TOKEN=$(token_of "$(console_log "$T")")
	export TOKEN
}

teardown_file() {
	virt-template -q delete --force "$T" || true
}

# Starts clone $1 and waits until it ticks with the template's token.
start_clone() {
	timeout "$START_TIMEOUT" virsh -q start "$1"
	wait_for_file_match "$(console_log "$1")" "VT-TICK [0-9]+ $TOKEN" 30
}

# Waits until clone $1 has ticked past tick $2.
wait_tick_after() {
	local left=300
	until [ "$(last_tick "$(console_log "$1")")" -gt "$2" ]; do
		left=$((left - 1))
		[ "$left" -gt 0 ] || { echo "$1 did not tick past $2" >&2; return 1; }
		sleep 0.1
	done
}

# Clone $1 resumed its own state: after a restore its counter goes on from
# $2 (the last tick before the save), with the template's token, and it
# never booted.
assert_resumed_own_state() {
	local log
	log=$(console_log "$1")
	wait_tick_after "$1" "$2"
	[ "$(first_tick_after_restore "$log" "$2")" -eq $(($2 + 1)) ] ||
		{ echo "$1: counter did not continue from $2" >&2; tail -n 5 "$log" >&2; return 1; }
	run ! grep -q 'VT-BOOT\|VT-READY' "$log"
	[ "$(token_of_ticks "$log" | sort -u)" = "$TOKEN" ]
}

# The first tick greater than $2 in log $1 (after a restore the counter
# continues; after a fresh start it would restart at the template's).
first_tick_after_restore() { grep -o 'VT-TICK [0-9]*' "$1" | cut -d' ' -f2 | awk -v n="$2" '$1 > n {print; exit}'; }
token_of_ticks() { grep -o 'VT-TICK [0-9]* [0-9a-f]*' "$1" | cut -d' ' -f3; }

@test "managed save and start resume the clone's own state, not the template point" {
	virt-template -q clone "$T" ms-1
	start_clone ms-1
	wait_tick_after ms-1 4
	virsh -q managedsave ms-1
	[ "$(domain_state ms-1)" = "shut off" ]
	virsh dominfo ms-1 | grep -Eq '^Managed save: +yes'
	local last
	last=$(last_tick "$(console_log ms-1)")
	sleep 2 # a clone started from the template point would have ticked by now
	timeout "$START_TIMEOUT" virsh -q start ms-1
	virsh domstate ms-1 --reason | grep -q 'running (restored)'
	assert_resumed_own_state ms-1 "$last"
	# The restored clone saves again (nothing of our restore is left in QEMU).
	last=$(last_tick "$(console_log ms-1)")
	virsh -q managedsave ms-1
	timeout "$START_TIMEOUT" virsh -q start ms-1
	assert_resumed_own_state ms-1 "$last"
}

@test "destroy after a managed-save resume returns the clone to the template point" {
	local log
	log=$(console_log ms-1)
	virsh -q destroy ms-1
	: >"$log"
	start_clone ms-1
	assert_template_point "$log" "$(console_log "$T")"
	run ! grep -q VT-BOOT "$log"
	virsh -q destroy ms-1
}

@test "virsh save and restore resume the clone's own state" {
	virt-template -q clone "$T" sv-1
	start_clone sv-1
	wait_tick_after sv-1 3
	virsh -q save sv-1 "$BATS_FILE_TMPDIR/sv-1.save"
	local last
	last=$(last_tick "$(console_log sv-1)")
	timeout "$START_TIMEOUT" virsh -q restore "$BATS_FILE_TMPDIR/sv-1.save"
	assert_resumed_own_state sv-1 "$last"
}

@test "restore --xml and save-image-define restore the clone with an edited description" {
	virsh -q save sv-1 "$BATS_FILE_TMPDIR/sv-1b.save"
	local last
	last=$(last_tick "$(console_log sv-1)")
	virsh save-image-dumpxml "$BATS_FILE_TMPDIR/sv-1b.save" |
		sed 's|</name>|</name><description>edited for restore</description>|' >"$BATS_FILE_TMPDIR/edited.xml"
	timeout "$START_TIMEOUT" virsh -q restore "$BATS_FILE_TMPDIR/sv-1b.save" --xml "$BATS_FILE_TMPDIR/edited.xml"
	assert_resumed_own_state sv-1 "$last"
	virsh dumpxml sv-1 | grep -q 'edited for restore'

	virsh -q save sv-1 "$BATS_FILE_TMPDIR/sv-1c.save"
	last=$(last_tick "$(console_log sv-1)")
	virsh save-image-dumpxml "$BATS_FILE_TMPDIR/sv-1c.save" |
		sed 's|edited for restore|defined into the image|' >"$BATS_FILE_TMPDIR/defined.xml"
	virsh -q save-image-define "$BATS_FILE_TMPDIR/sv-1c.save" "$BATS_FILE_TMPDIR/defined.xml"
	timeout "$START_TIMEOUT" virsh -q restore "$BATS_FILE_TMPDIR/sv-1c.save"
	assert_resumed_own_state sv-1 "$last"
	virsh dumpxml sv-1 | grep -q 'defined into the image'

	# save-image-edit, with an editor that edits without asking.
	virsh -q save sv-1 "$BATS_FILE_TMPDIR/sv-1d.save"
	last=$(last_tick "$(console_log sv-1)")
	EDITOR="sed -i s/defined.into.the.image/edited.in.place/" \
		virsh -q save-image-edit "$BATS_FILE_TMPDIR/sv-1d.save" >/dev/null
	timeout "$START_TIMEOUT" virsh -q restore "$BATS_FILE_TMPDIR/sv-1d.save"
	assert_resumed_own_state sv-1 "$last"
	virsh dumpxml sv-1 | grep -q 'edited.in.place'
	virsh -q destroy sv-1
}

@test "another hook script beside ours filters the XML of a restore: both work" {
	# hooks.rst: each qemu.d script's output is the next one's input. Ours
	# prints nothing for restore begin, which passes the XML on unchanged.
	local other=/etc/libvirt/hooks/qemu.d/50-site-policy
	cat >"$other" <<-'HOOK'
		#!/bin/sh
		if [ "$2" = restore ] && [ "$3" = begin ]; then
			sed 's|</name>|</name><description>set by the site hook</description>|'
		else
			cat >/dev/null
		fi
	HOOK
	chmod 0755 "$other"
	kill -HUP "$(cat "$VT_ISOLATED_SCRATCH/libvirtd.pid")"
	sleep 1
	virt-template -q clone "$T" hk-1
	start_clone hk-1
	virsh -q managedsave hk-1
	local last
	last=$(last_tick "$(console_log hk-1)")
	timeout "$START_TIMEOUT" virsh -q start hk-1
	rm -f "$other"
	kill -HUP "$(cat "$VT_ISOLATED_SCRATCH/libvirtd.pid")"
	assert_resumed_own_state hk-1 "$last"
	virsh dumpxml hk-1 | grep -q 'set by the site hook'
	virsh -q destroy hk-1
}

# shellcheck disable=SC2030 # each test's run sets its own $status
@test "a truncated or corrupted managed save image: the start fails clearly, managedsave-remove brings back the template point" {
	virt-template -q clone "$T" bad-1
	start_clone bad-1
	virsh -q managedsave bad-1
	local image=/var/lib/libvirt/qemu/save/bad-1.save
	[ -f "$image" ]
	truncate -s $(($(stat -c %s "$image") / 2)) "$image"
	run --separate-stderr timeout "$START_TIMEOUT" virsh start bad-1
	[ "$status" -ne 0 ]
	[ -n "$stderr" ]
	[ "$(domain_state bad-1)" = "shut off" ]
	virsh -q managedsave-remove bad-1 2>/dev/null || true
	[ ! -e "$image" ]
	: >"$(console_log bad-1)"
	start_clone bad-1
	assert_template_point "$(console_log bad-1)" "$(console_log "$T")"

	# A corrupted one (its header overwritten): libvirt itself discards a
	# managed save image it cannot read and starts the domain afresh, which
	# for a clone is the template point; or it fails and the way back is the
	# same as above.
	virsh -q destroy bad-1
	start_clone bad-1
	virsh -q managedsave bad-1
	printf 'garbage!' | dd of="$image" conv=notrunc status=none
	: >"$(console_log bad-1)"
	run --separate-stderr timeout "$START_TIMEOUT" virsh start bad-1
	if [ "$status" -ne 0 ]; then
		[ -n "$stderr" ]
		[ "$(domain_state bad-1)" = "shut off" ]
		virsh -q managedsave-remove bad-1 2>/dev/null || true
		start_clone bad-1
	fi
	echo "a corrupted managed save image: virsh start exited $status" >&3
	[ ! -e "$image" ]
	wait_for_file_match "$(console_log bad-1)" "VT-TICK [0-9]+ $TOKEN" 30
	assert_template_point "$(console_log bad-1)" "$(console_log "$T")"
	virsh -q destroy bad-1
}

# Runs virsh start $1 expecting the hook's refusal matching $2, and the clone
# left shut off.
expect_start_refused_with() {
	run --separate-stderr timeout "$START_TIMEOUT" virsh start "$1"
	# shellcheck disable=SC2031 # set by the run just above, not in a test's subshell
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"$2"* ]] || { echo "stderr: $stderr" >&2; return 1; }
	[ "$(domain_state "$1")" = "shut off" ]
}

@test "edits a saved device state cannot follow are refused at start, naming what differs" {
	virt-template -q clone "$T" ed-mem ed-cpu ed-dev ed-mach
	virsh dumpxml ed-mem | sed -E 's|<memory unit=.KiB.>[0-9]+</memory>|<memory unit="KiB">524288</memory>|; /<currentMemory/d' >"$BATS_TEST_TMPDIR/m.xml"
	virsh -q define "$BATS_TEST_TMPDIR/m.xml" >/dev/null
	expect_start_refused_with ed-mem "clone 'ed-mem' no longer matches template '$T': memory is 524288 KiB, the template's 262144 KiB"

	virsh -q setvcpus ed-cpu 2 --config --maximum
	virsh -q setvcpus ed-cpu 2 --config
	expect_start_refused_with ed-cpu "clone 'ed-cpu' no longer matches template '$T': vCPUs are 2, the template's 1"

	printf '%s\n' "<interface type='user'><model type='e1000'/></interface>" >"$BATS_TEST_TMPDIR/nic.xml"
	virsh -q attach-device ed-dev "$BATS_TEST_TMPDIR/nic.xml" --config
	expect_start_refused_with ed-dev "clone 'ed-dev' no longer matches template '$T': it has a device the template has not (interface model=e1000"

	virsh dumpxml ed-mach | sed -E "s|machine='pc-q35-[0-9.]+'|machine='pc-i440fx-7.2'|" >"$BATS_TEST_TMPDIR/mach.xml"
	if virsh -q define "$BATS_TEST_TMPDIR/mach.xml" >/dev/null 2>&1; then
		expect_start_refused_with ed-mach "clone 'ed-mach' no longer matches template '$T': machine type is 'pc-i440fx-7.2'"
	fi
	virsh -q undefine ed-mem
	virsh -q undefine ed-cpu
	virsh -q undefine ed-dev
	virsh -q undefine ed-mach
}

@test "a domain copied from a clone is refused with a line that says how to make clones" {
	virt-template -q clone "$T" orig-1
	virsh dumpxml orig-1 | sed 's|<name>orig-1</name>|<name>copy-1</name>|; /<uuid>/d; /<mac /d' >"$BATS_TEST_TMPDIR/copy.xml"
	virsh -q define "$BATS_TEST_TMPDIR/copy.xml" >/dev/null
	start_clone orig-1
	expect_start_refused_with copy-1 "domain 'copy-1' is a copy of another clone (its monitor is '$VT_RUNDIR/orig-1.qmp'); make clones with 'virt-template clone $T copy-1'"
	# The original never noticed.
	[ -S "$VT_RUNDIR/orig-1.qmp" ]
	wait_tick_after orig-1 "$(last_tick "$(console_log orig-1)")"
	virsh -q undefine copy-1
	virsh -q destroy orig-1
}

# Template $1 of the bundled guest whose domain restarts on a guest reboot
# (the bundled base destroys it).
make_restarting_template() {
	plain_xml "$1" | sed "s|<on_reboot>destroy</on_reboot>|<on_reboot>restart</on_reboot>|" \
		>"$BATS_TEST_TMPDIR/$1.xml"
	virt-template -q create "$1" --xml "$BATS_TEST_TMPDIR/$1.xml" --wait-console "$VT_READY" \
		--timeout 120
}

# Clone $1 boots afresh in place: the template's kernel boots again (a new
# token), the domain keeps running, and the template's memory is untouched.
assert_rebooted_in_place() {
	wait_for_file_match "$(console_log "$1")" "VT-BOOT" 60
	wait_for_file_match "$(console_log "$1")" "VT-READY" 60
	[ "$(domain_state "$1")" = "running" ]
	local new
	new=$(token_of "$(console_log "$1")")
	[ -n "$new" ]
	[ "$new" != "$2" ]
}

@test "virsh reset and a guest reboot of a clone reboot it in place, a fresh boot of the template's kernel" {
	make_restarting_template rr
	local token mem_sha
	token=$(token_of "$(console_log rr)")
	mem_sha=$(sha256sum <"$VT_MEMDIR/rr/memory")
	virt-template -q clone rr rr-1 rr-2
	for c in rr-1 rr-2; do
		timeout "$START_TIMEOUT" virsh -q start "$c"
		wait_for_file_match "$(console_log "$c")" "VT-TICK [0-9]+ $token" 30
	done
	virsh -q reset rr-1
	assert_rebooted_in_place rr-1 "$token"
	guest_command rr-2 reboot
	wait_for_file_match "$(console_log rr-2)" VT-REBOOTING 30
	assert_rebooted_in_place rr-2 "$token"
	[ "$(sha256sum <"$VT_MEMDIR/rr/memory")" = "$mem_sha" ]
	# A fresh start after that is at the template point again.
	virsh -q destroy rr-1
	: >"$(console_log rr-1)"
	timeout "$START_TIMEOUT" virsh -q start rr-1
	wait_for_file_match "$(console_log rr-1)" "VT-TICK [0-9]+ $token" 30
	run ! grep -q VT-BOOT "$(console_log rr-1)"
	virt-template -q delete --force rr
}

@test "with on_reboot=destroy (the bundled base) a guest reboot or virsh reset stops the clone, as for any domain" {
	virt-template -q clone "$T" rb-1
	start_clone rb-1
	guest_command rb-1 reboot
	wait_for_file_match "$(console_log rb-1)" VT-REBOOTING 30
	for _ in $(seq 300); do
		[ "$(domain_state rb-1)" = "shut off" ] && break
		sleep 0.1
	done
	[ "$(domain_state rb-1)" = "shut off" ]
	start_clone rb-1
	virsh -q reset rb-1
	for _ in $(seq 300); do
		[ "$(domain_state rb-1)" = "shut off" ] && break
		sleep 0.1
	done
	[ "$(domain_state rb-1)" = "shut off" ]
	: >"$(console_log rb-1)"
	start_clone rb-1
	run ! grep -q VT-BOOT "$(console_log rb-1)"
	virsh -q destroy rb-1
}

@test "undefine --managed-save of a clone leaves nothing of ours behind" {
	virt-template -q clone "$T" un-1
	start_clone un-1
	virsh -q managedsave un-1
	local before
	before=$(virt-template info "$T" --json | sed -n 's/.*"clones": \([0-9]*\).*/\1/p')
	virsh -q undefine --managed-save un-1
	[ ! -e /var/lib/libvirt/qemu/save/un-1.save ]
	[ ! -e "$VT_RUNDIR/un-1.qmp" ]
	run virsh dominfo un-1
	[ "$status" -ne 0 ]
	[ "$(virt-template info "$T" --json | sed -n 's/.*"clones": \([0-9]*\).*/\1/p')" -eq $((before - 1)) ]
}

@test "delete --force also removes the clones' managed save images" {
	make_template del2
	virt-template -q clone del2 del2-a del2-b
	local token
	token=$(token_of "$(console_log del2)")
	timeout "$START_TIMEOUT" virsh -q start del2-a
	wait_for_file_match "$(console_log del2-a)" "VT-TICK [0-9]+ $token" 30
	virsh -q managedsave del2-a
	[ -f /var/lib/libvirt/qemu/save/del2-a.save ]
	virt-template -q delete --force del2
	[ ! -e /var/lib/libvirt/qemu/save/del2-a.save ]
	run virsh dominfo del2-a
	[ "$status" -ne 0 ]
	[ ! -e "$VT_STATEDIR/del2" ]
}
