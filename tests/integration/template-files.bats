# Damaged template files: every clone start is refused with the reason, the
# clone ends shut off, and once the file is repaired the template works.

load helpers

setup_file() {
	export T=tf
	make_template "$T"
	make_template tf-other
	virt-template -q clone "$T" tf-c
	sha256sum <"$VT_MEMDIR/$T/memory" >"$BATS_FILE_TMPDIR/mem.sha"
	cp -a "$VT_STATEDIR/$T/state" "$BATS_FILE_TMPDIR/state"
	cp -a "$VT_STATEDIR/$T/meta.json" "$BATS_FILE_TMPDIR/meta.json"
}

teardown_file() {
	virt-template -q delete --force "$T" || true
	virt-template -q delete --force tf-other || true
}

teardown() {
	# Repair whatever the test broke.
	cp -a "$BATS_FILE_TMPDIR/state" "$VT_STATEDIR/$T/state"
	cp -a "$BATS_FILE_TMPDIR/meta.json" "$VT_STATEDIR/$T/meta.json"
	local mem=$VT_MEMDIR/$T/memory
	if [ -L "$mem" ] || [ ! -e "$mem" ]; then
		rm -f "$mem"
		mv "$mem.moved" "$mem"
	fi
	virsh -q destroy tf-c >/dev/null 2>&1 || true
}

# virsh start of the clone fails, saying $1, and leaves it shut off.
expect_start_refused() {
	run --separate-stderr timeout "$START_TIMEOUT" virsh start tf-c
	[ "$status" -ne 0 ] || { echo "clone started" >&2; return 1; }
	# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
	[[ "$stderr" == *"$1"* ]] || { echo "stderr: $stderr" >&2; return 1; }
	[ "$(domain_state tf-c)" = "shut off" ]
	[ ! -e "$VT_RUNDIR/tf-c.qmp" ]
}

@test "a truncated state file is refused" {
	truncate -s 1000 "$VT_STATEDIR/$T/state"
	expect_start_refused "the device state of template '$T' does not match its metadata"
}

@test "a corrupted state file (flipped bytes) is refused" {
	printf '\xff\x00\xff' | dd of="$VT_STATEDIR/$T/state" bs=1 seek=5000 conv=notrunc status=none
	expect_start_refused "does not match its metadata (truncated, corrupted or replaced)"
}

@test "the state file of another template is refused" {
	cp "$VT_STATEDIR/tf-other/state" "$VT_STATEDIR/$T/state"
	expect_start_refused "does not match its metadata"
}

@test "a missing memory file is refused at prepare" {
	mv "$VT_MEMDIR/$T/memory" "$VT_MEMDIR/$T/memory.moved"
	expect_start_refused "template '$T': memory file '$VT_MEMDIR/$T/memory': No such file or directory"
	# QEMU did not create an empty one in its place.
	[ ! -e "$VT_MEMDIR/$T/memory" ]
}

@test "a memory file of the wrong size is refused" {
	truncate -s +4096 "$VT_MEMDIR/$T/memory"
	expect_start_refused "memory file has $((256 * 1024 * 1024 + 4096)) bytes, expected $((256 * 1024 * 1024))"
	truncate -s -4096 "$VT_MEMDIR/$T/memory"
}

@test "a memory file replaced by a symlink is refused" {
	mv "$VT_MEMDIR/$T/memory" "$VT_MEMDIR/$T/memory.moved"
	ln -s "$VT_MEMDIR/$T/memory.moved" "$VT_MEMDIR/$T/memory"
	expect_start_refused "is not a regular file"
}

@test "metadata edited by hand is refused" {
	sed -i 's/"memory_bytes": *[0-9]*/"memory_bytes": 4096/' "$VT_STATEDIR/$T/meta.json"
	expect_start_refused "memory file has $((256 * 1024 * 1024)) bytes, expected 4096"
	cp -a "$BATS_FILE_TMPDIR/meta.json" "$VT_STATEDIR/$T/meta.json"
	sed -i 's/"state": *"saved"/"state": "frozen"/' "$VT_STATEDIR/$T/meta.json"
	expect_start_refused "unknown state 'frozen'"
	cp -a "$BATS_FILE_TMPDIR/meta.json" "$VT_STATEDIR/$T/meta.json"
	sed -i 's/"state_digest": *"[0-9a-f]*"/"state_digest": "0000000000000000000000000000000000000000000000000000000000000000"/' "$VT_STATEDIR/$T/meta.json"
	expect_start_refused "does not match its metadata"
	echo '{ not json' >"$VT_STATEDIR/$T/meta.json"
	expect_start_refused "template metadata is not valid JSON"
}

@test "after all of that the template is intact and its clone starts" {
	[ "$(sha256sum <"$VT_MEMDIR/$T/memory")" = "$(cat "$BATS_FILE_TMPDIR/mem.sha")" ]
	timeout "$START_TIMEOUT" virsh start tf-c
	wait_for_file_match "$(console_log tf-c)" "VT-TICK" 30
	[ "$(domain_state tf-c)" = "running" ]
}
