# The spine: create → save → clone → virsh start → destroy/start → delete.
# Tests run in order and build on each other, on one template.

load helpers

setup_file() {
	export T=life
	export CLONES="life-a life-b life-c"
}

@test "create from kernel+initrd and save with --wait-console" {
	make_template "$T"
	run virt-template info "$T" --json
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '"state": "saved"'
	# Device state only: RAM stays in the memory file. x-ignore-shared skips
	# RAM blocks that are shared; QEMU >= 8.1 only those backed by a named
	# file (not memfd), which the template's memory-backend-file is.
	local size
	size=$(stat -c %s "$VT_STATEDIR/$T/state")
	[ "$size" -gt 0 ]
	[ "$size" -lt $((2 * 1024 * 1024)) ]
	# The template domain is gone, its memory file kept.
	run virsh dominfo "$T"
	[ "$status" -ne 0 ]
	[ "$(stat -c %s "$VT_MEMDIR/$T/memory")" -eq $((256 * 1024 * 1024)) ]
	# Least permission: root alone in the store; the memory file's seal is
	# checked with running clones below.
	[ "$(stat -c %a:%U "$VT_STATEDIR/$T")" = "700:root" ]
	[ "$(stat -c %a:%U "$VT_STATEDIR/$T/state")" = "600:root" ]
	[ "$(stat -c %a:%U "$VT_STATEDIR/$T/meta.json")" = "600:root" ]
	grep -q "$VT_READY" "$(console_log "$T")"
	sha256sum <"$VT_MEMDIR/$T/memory" >"$BATS_FILE_TMPDIR/mem.sha"
}

@test "list shows the saved template" {
	run virt-template list
	[ "$status" -eq 0 ]
	echo "$output" | grep -Eq "^ $T +saved +256.0 MiB"
	run virt-template list --json
	echo "$output" | grep -q "\"name\": \"$T\""
}

@test "clone --print-xml prints a clone and defines nothing" {
	run virt-template clone "$T" probe --print-xml
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '<name>probe</name>'
	echo "$output" | grep -q 'share=off'
	echo "$output" | grep -q -- '-incoming'
	run virsh dominfo probe
	[ "$status" -ne 0 ]
}

@test "clone defines three persistent domains" {
	# shellcheck disable=SC2086 # $CLONES is a list of names
	run virt-template -q clone "$T" $CLONES
	[ "$status" -eq 0 ]
	# shellcheck disable=SC2086 # $CLONES is a list of names
	[ "$output" = "$(printf '%s\n' $CLONES)" ]
	for c in $CLONES; do
		[ "$(domain_state "$c")" = "shut off" ]
		virsh dumpxml "$c" | grep -q "$c-console.log"
	done
	run virt-template info "$T"
	echo "$output" | grep -Eq '^Clones: +3$'
}

@test "virsh start resumes each clone at the template point" {
	local tlog token
	tlog=$(console_log "$T")
	token=$(token_of "$tlog")
	[ -n "$token" ]
	for c in $CLONES; do
		timeout "$START_TIMEOUT" virsh start "$c"
		[ "$(domain_state "$c")" = "running" ]
	done
	for c in $CLONES; do
		local log
		log=$(console_log "$c")
		wait_for_file_match "$log" "VT-TICK [0-9]+ $token" 30
		# The counter continues from the template's value; no second boot.
		assert_template_point "$log" "$tlog"
		run ! grep -q 'VT-BOOT\|VT-READY' "$log"
	done
	virsh domstate life-a --reason | grep -q 'running (booted)'
}

@test "virsh list --all shows the clones as normal domains" {
	run virsh list --all
	for c in $CLONES; do
		echo "$output" | grep -Eq " $c +running"
	done
}

@test "destroy and start again resumes from the template point again" {
	local log token
	log=$(console_log life-a)
	token=$(token_of "$(console_log "$T")")
	wait_for_file_match "$log" "VT-TICK 3 " 30
	virsh destroy life-a
	[ "$(domain_state life-a)" = "shut off" ]
	[ ! -e "$VT_RUNDIR/life-a.qmp" ]
	: >"$log"
	timeout "$START_TIMEOUT" virsh start life-a
	wait_for_file_match "$log" "VT-TICK [0-9]+ $token" 30
	assert_template_point "$log" "$(console_log "$T")"
	run ! grep -q VT-BOOT "$log"
}

@test "the saved memory file is sealed, and each clone's QEMU holds it as its QEMU version allows" {
	local mem=$VT_MEMDIR/$T/memory c pid qemu_gid
	qemu_gid=$(sed -n 's/.*"qemu_gid": *\([0-9]*\).*/\1/p' "$VT_STATEDIR/$T/meta.json")
	# No QEMU can replace or remove the file: its directory is root's.
	[ "$(stat -c '%u:%g %a' "$VT_MEMDIR/$T")" = "0:$qemu_gid 750" ]
	if qemu_at_least 8.2.0; then
		grep -q '"readonly_mapping": *true' "$VT_STATEDIR/$T/meta.json"
		# Nobody may write it; QEMU reads it through its group.
		[ "$(stat -c '%u:%g %a' "$mem")" = "0:$qemu_gid 440" ]
		local expected=read-only
	else
		# QEMU 7.2 opens a share=off file read-write: only its user may.
		grep -q '"readonly_mapping": *false' "$VT_STATEDIR/$T/meta.json"
		[ "$(stat -c '%g %a' "$mem")" = "$qemu_gid 600" ]
		[ "$(stat -c '%u' "$mem")" != 0 ]
		local expected=read-write
	fi
	for c in $CLONES; do
		pid=$(cat "/run/libvirt/qemu/$c.pid")
		[ "$(fd_access_modes "$pid" "$mem" | sort -u)" = "$expected" ]
	done
	echo "QEMU $(qemu_version): clones hold the memory file $expected" >&3
}

@test "the template memory file is unchanged after clones ran and wrote memory" {
	# Clones run and dirty guest RAM (the tick loop, plus a write of fresh
	# memory asked for on the console), then stop.
	for c in $CLONES; do
		wait_for_file_match "$(console_log "$c")" "VT-TICK" 30
		guest_command "$c" "write 32"
	done
	for c in $CLONES; do
		wait_for_file_match "$(console_log "$c")" "VT-WROTE 32" 60
		virsh destroy "$c"
	done
	[ "$(sha256sum <"$VT_MEMDIR/$T/memory")" = "$(cat "$BATS_FILE_TMPDIR/mem.sha")" ]
}

@test "delete refuses while clones exist" {
	run --separate-stderr virt-template delete "$T"
	[ "$status" -eq 1 ]
	# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
	[[ "$stderr" == "virt-template: error: template '$T' has 3 clone(s) defined; use --force"* ]]
	[ -f "$VT_STATEDIR/$T/state" ]
	[ "$(domain_state life-b)" = "shut off" ]
}

@test "delete --force removes the clones and every file" {
	timeout "$START_TIMEOUT" virsh start life-b
	virt-template -q delete --force "$T"
	for c in $CLONES; do
		run virsh dominfo "$c"
		[ "$status" -ne 0 ]
	done
	[ ! -e "$VT_STATEDIR/$T" ]
	[ ! -e "$VT_MEMDIR/$T" ]
	[ ! -e "$VT_RUNDIR/life-b.qmp" ]
	run virt-template info "$T"
	[ "$status" -ne 0 ]
}
