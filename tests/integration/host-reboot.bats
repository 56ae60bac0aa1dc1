# A host suspend/resume cycle as libvirt-guests does it with
# ON_SHUTDOWN=suspend and ON_BOOT=start: every running clone managed-saved,
# libvirtd stopped, a simulated reboot (the run directories and every tmpfs
# the product uses emptied, the page cache dropped), libvirtd started, every
# clone started. Templates whose memory is on disk survive it; a template
# kept on tmpfs (create --memory-dir) does not, and says so.

load helpers
load daemon

setup_file() {
	# Where a user would put a tmpfs template: under /dev/shm, which the
	# QEMU user can enter. A tmpfs of its own, so the test can "reboot" it.
	SHM=$(mktemp -d /dev/shm/vt-test.XXXXXX)
	export SHM
	mount -t tmpfs -o mode=0755 vt-test-shm "$SHM"
}

teardown_file() {
	virt-template -q delete --force hr 2>/dev/null || true
	virt-template -q delete --force hrt 2>/dev/null || true
	umount "$SHM" 2>/dev/null || true
	rmdir "$SHM"
}

# What libvirt-guests does at shutdown with ON_SHUTDOWN=suspend.
suspend_running_guests() {
	local dom
	for dom in $(virsh list --name); do
		virsh -q managedsave "$dom"
	done
}

# Everything a reboot takes away that the product or libvirt keeps in
# memory: /run, tmpfs, the page cache, the daemons.
simulate_reboot() {
	stop_daemon libvirtd
	stop_daemon virtlogd
	find /run/libvirt "$VT_RUNDIR" -mindepth 1 -delete
	umount "$SHM"
	mount -t tmpfs -o mode=0755 vt-test-shm "$SHM"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	start_virtlogd
	start_libvirtd
}

@test "create puts the memory on persistent storage by default, and warns in one line for tmpfs" {
	run --separate-stderr make_template hr
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	run virt-template info hr --json
	echo "$output" | grep -q "\"memory_path\": \"$VT_MEMDIR/hr/memory\""
	echo "$output" | grep -q '"memory_survives_reboot": true'
	run --separate-stderr make_template hrt --memory-dir "$SHM"
	[ "$status" -eq 0 ]
	[ "$stderr" = "virt-template: warning: template 'hrt' keeps its memory on tmpfs ('$SHM/hrt/memory'): it does not survive a host reboot" ]
	[ -f "$SHM/hrt/memory" ]
	[ ! -e "$VT_MEMDIR/hrt" ]
	run virt-template info hrt
	echo "$output" | grep -Eq "^Memory file: +$SHM/hrt/memory \(tmpfs: lost at host reboot\)$"
}

@test "a memory directory that is not a directory or not absolute is refused before anything exists" {
	expect_clean_failure "memory directory '/nonexistent-dir'" \
		make_template hrx --memory-dir /nonexistent-dir
	touch "$BATS_TEST_TMPDIR/file"
	expect_clean_failure "is not a directory" make_template hrx --memory-dir "$BATS_TEST_TMPDIR/file"
}

@test "managed-saved clones resume their own state after the cycle, the others start at the template point" {
	local token tokent
	token=$(token_of "$(console_log hr)")
	tokent=$(token_of "$(console_log hrt)")
	virt-template -q clone hr hr-1 hr-2 hr-3
	virt-template -q clone hrt hrt-1 hrt-2
	for c in hr-1 hr-2; do
		timeout "$START_TIMEOUT" virsh -q start "$c"
		wait_for_file_match "$(console_log "$c")" "VT-TICK 3 $token" 30
	done
	timeout "$START_TIMEOUT" virsh -q start hrt-1
	wait_for_file_match "$(console_log hrt-1)" "VT-TICK [0-9]+ $tokent" 30

	suspend_running_guests
	local last1 last2
	last1=$(last_tick "$(console_log hr-1)")
	last2=$(last_tick "$(console_log hr-2)")
	last_tick "$(console_log hrt-1)" >"$BATS_FILE_TMPDIR/hrt-1.last"
	simulate_reboot

	# ON_BOOT=start: every guest is started again.
	for c in hr-1 hr-2 hr-3; do
		timeout "$START_TIMEOUT" virsh -q start "$c"
	done
	for c in hr-1 hr-2; do
		virsh domstate "$c" --reason | grep -q 'running (restored)'
	done
	wait_for_file_match "$(console_log hr-1)" "VT-TICK $((last1 + 1)) $token" 30
	wait_for_file_match "$(console_log hr-2)" "VT-TICK $((last2 + 1)) $token" 30
	# hr-3 was never started: the template point, as after any start.
	wait_for_file_match "$(console_log hr-3)" "VT-TICK [0-9]+ $token" 30
	assert_template_point "$(console_log hr-3)" "$(console_log hr)"
	for c in hr-1 hr-2 hr-3; do
		run ! grep -q VT-BOOT "$(console_log "$c")"
	done
}

@test "a tmpfs template is gone after the cycle: its managed-saved clone resumes all the same, a fresh start is refused naming the file, and delete cleans up" {
	# A restore brings all of the clone's RAM from its image (restore begin
	# gives it anonymous memory): the template's file is not needed.
	local tokent last
	tokent=$(token_of "$(console_log hrt)")
	last=$(cat "$BATS_FILE_TMPDIR/hrt-1.last")
	timeout "$START_TIMEOUT" virsh -q start hrt-1
	virsh domstate hrt-1 --reason | grep -q 'running (restored)'
	wait_for_file_match "$(console_log hrt-1)" "VT-TICK $((last + 1)) $tokent" 30
	virsh -q destroy hrt-1
	# A start at the template point needs the template's memory.
	for c in hrt-1 hrt-2; do
		run --separate-stderr timeout "$START_TIMEOUT" virsh start "$c"
		[ "$status" -ne 0 ]
		# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
		[[ "$stderr" == *"cannot start clone '$c': template 'hrt': memory file '$SHM/hrt/memory': No such file or directory"* ]]
		[ "$(domain_state "$c")" = "shut off" ]
	done
	# Not half-deleted: it is listed, says where its memory was, and goes
	# with its clones.
	run virt-template info hrt
	[ "$status" -eq 0 ]
	echo "$output" | grep -q "Memory file: *$SHM/hrt/memory"
	virt-template -q delete --force hrt
	run virsh dominfo hrt-1
	[ "$status" -ne 0 ]
	[ ! -e "$VT_STATEDIR/hrt" ]
}
