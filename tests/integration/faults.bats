# Faults during save: the template is never marked saved by a failed save,
# no partial state is ever used, and there is a way forward.

load helpers

# Creates template $1 without waiting, so the test can interfere.
boot_template() {
	# shellcheck disable=SC2154 # run.sh exports VT_GUEST_* (build-guest.sh --print-paths)
	virt-template -q create "$1" --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" \
		--virt-type "$VT_VIRT_TYPE" --memory 256
}

teardown() {
	umount "$VT_STATEDIR/full" 2>/dev/null || true
	virt-template -q delete --force killed 2>/dev/null || true
	virt-template -q delete --force full 2>/dev/null || true
}

@test "kill -9 of the template's QEMU during save: not saved, and a clear way forward" {
	boot_template killed
	virt-template save killed --wait-console 'never-printed' --timeout 120 2>"$BATS_TEST_TMPDIR/err" &
	local save=$!
	wait_for_file_match "$(console_log killed)" "$VT_READY" 60
	kill -9 "$(cat /run/libvirt/qemu/killed.pid)"
	local rc=0
	wait "$save" || rc=$?
	[ "$rc" -ne 0 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/err")" -eq 1 ]
	grep -q "^virt-template: error: template 'killed': the domain stopped before its console matched" "$BATS_TEST_TMPDIR/err"
	grep -q '"state": *"booting"' "$VT_STATEDIR/killed/meta.json"
	[ ! -e "$VT_STATEDIR/killed/state" ]
	# What create wrote and nothing else: save got no further than its wait
	# (no domain.xml, no state, no temporary file).
	[ "$(store_files killed)" = meta.json ]
	run virt-template info killed
	echo "$output" | grep -Eq '^State: +stopped$'
	# The way forward the error names: save says so, delete cleans up.
	run --separate-stderr virt-template save killed
	# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
	[ "$stderr" = "virt-template: error: template 'killed' is not running; delete it and create it again" ]
	virt-template -q delete killed
	make_template killed
}

@test "the state directory full during save: a clear error, no partial state, retry works" {
	boot_template full
	wait_for_file_match "$(console_log full)" "$VT_READY" 60
	# A 64 KiB file system in place of the template's store directory.
	cp -a "$VT_STATEDIR/full" "$BATS_TEST_TMPDIR/store"
	mount -t tmpfs -o size=64k,mode=0700 vt-full "$VT_STATEDIR/full"
	cp -a "$BATS_TEST_TMPDIR/store/." "$VT_STATEDIR/full/"
	run --separate-stderr virt-template save full
	[ "$status" -eq 1 ]
	[ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ]
	[[ "$stderr" == "virt-template: error: saving the device state failed: "*"No space left on device"* ]]
	# Nothing that looks like a saved state, and the metadata says booting.
	[ ! -e "$VT_STATEDIR/full/state" ]
	[ "$(store_files full)" = meta.json ]
	grep -q '"state": *"booting"' "$VT_STATEDIR/full/meta.json"
	# The guest goes on, so a retry with room succeeds.
	[ "$(domain_state full)" = "running" ]
	cp -a "$VT_STATEDIR/full/." "$BATS_TEST_TMPDIR/store/"
	umount "$VT_STATEDIR/full"
	cp -a "$BATS_TEST_TMPDIR/store/meta.json" "$VT_STATEDIR/full/meta.json"
	virt-template -q save full
	virt-template -q clone full full-c --start
	wait_for_file_match "$(console_log full-c)" "VT-TICK" 30
}

@test "the hook's QMP wait is bounded: libvirt gets the failure and the clone ends shut off" {
	make_template slow
	virt-template -q clone slow slow-c
	timeout 120 virsh start slow-c 2>"$BATS_TEST_TMPDIR/err" &
	local start=$! sock=$VT_RUNDIR/slow-c.qmp
	# QEMU's monitor serves one client at a time: take it before the hook
	# does (libvirt probes the guest CPU for ~0.3 s first), and hold it.
	for _ in $(seq 1000); do [ -S "$sock" ] && break; sleep 0.01; done
	sleep 60 | socat -u UNIX-CONNECT:"$sock" - >/dev/null 2>&1 &
	local holder=$!
	local rc=0 t0=$SECONDS
	wait "$start" || rc=$?
	kill "$holder" 2>/dev/null || true
	[ "$rc" -ne 0 ]
	# Bounded well under libvirt's own timeouts (the hook's bound is 15 s).
	[ $((SECONDS - t0)) -lt 40 ]
	grep -q "cannot restore clone 'slow-c' from template 'slow'" "$BATS_TEST_TMPDIR/err"
	grep -q "timed out" "$BATS_TEST_TMPDIR/err"
	[ "$(domain_state slow-c)" = "shut off" ]
	# Nothing is damaged: the next start works.
	timeout 60 virsh -q start slow-c
	wait_for_file_match "$(console_log slow-c)" "VT-TICK" 30
	virt-template -q delete --force slow
}
