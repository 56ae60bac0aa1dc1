# Disk-backed templates with the bundled guest and a data disk: the
# template runs on its own copy, each clone on its own overlay, and a
# clone's disk always holds the same point as its RAM.

load helpers

setup_file() {
	export T=dk
	# Where virt-install puts images (private to the test's libvirtd), which
	# the QEMU user can reach.
	mkdir -p /var/lib/libvirt/images
	IMG=$(mktemp -d /var/lib/libvirt/images/vt-test.XXXXXX)
	chmod 0755 "$IMG"
	export IMG
	truncate -s 8M "$IMG/data.raw"
	qemu-img convert -O qcow2 "$IMG/data.raw" "$IMG/data.qcow2"
	disk_xml "$T-src" "$IMG/data.qcow2" qcow2 >"$IMG/src.xml"
	sha256sum <"$IMG/data.qcow2" >"$IMG/source.sha"
	virt-template -q create "$T" --xml "$IMG/src.xml" --wait-console "$VT_READY" --timeout 120
	TOKEN=$(token_of "$(console_log "$T")")
	export TOKEN
}

teardown_file() {
	virt-template -q delete --force "$T" || true
	rm -rf "$IMG"
}

# The bundled guest as a domain with disk vda: image $2 of format $3.
disk_xml() {
	plain_xml "$1" | sed "s|<devices>|<devices><disk type='file' device='disk'><driver name='qemu' type='$3'/><source file='$2'/><target dev='vda' bus='virtio'/></disk>|"
}

# What clone $1's guest reads from the first sector of its disk, past its
# page cache.
disk_of() {
	local log
	log=$(console_log "$1")
	local before
	before=$(grep -c '^VT-DISK ' "$log" || true)
	guest_command "$1" disk-read
	for _ in $(seq 100); do
		[ "$(grep -c '^VT-DISK ' "$log" || true)" -gt "$before" ] && break
		sleep 0.1
	done
	grep '^VT-DISK ' "$log" | tail -n 1 | cut -d' ' -f2- | tr -d '\r'
}

write_disk() {
	guest_command "$1" "disk-write $2"
	wait_for_file_match "$(console_log "$1")" "^VT-DISK-WROTE $2" 30
}

start_clone() {
	timeout "$START_TIMEOUT" virsh -q start "$1"
	wait_for_file_match "$(console_log "$1")" "VT-TICK [0-9]+ $TOKEN" 30
}

@test "create copies the source's disk: the template runs on its own, the source is never written" {
	local dir=$VT_DISKDIR/$T
	[ -f "$dir/base-vda.qcow2" ]
	# The template wrote its token to its own disk, not to the source's.
	[ "$(sha256sum <"$IMG/data.qcow2")" = "$(cat "$IMG/source.sha")" ]
	run virt-template info "$T" --json
	echo "$output" | grep -q '"target": "vda"'
	echo "$output" | grep -q "\"disk_dir\": \"$dir\""
	# Saved: the base is sealed, and the pristine overlay is there.
	local qemu_gid
	qemu_gid=$(sed -n 's/.*"qemu_gid": *\([0-9]*\).*/\1/p' "$VT_STATEDIR/$T/meta.json")
	[ "$(stat -c '%u:%g %a' "$dir/base-vda.qcow2")" = "0:$qemu_gid 440" ]
	qemu-img info "$dir/pristine-vda.qcow2" | grep -q "backing file: $dir/base-vda.qcow2"
	qemu-img info "$dir/pristine-vda.qcow2" | grep -q 'backing file format: qcow2'
	sha256sum <"$dir/base-vda.qcow2" >"$BATS_FILE_TMPDIR/base.sha"
}

@test "each clone runs on its own overlay: a write in one is not in another" {
	run --separate-stderr virt-template clone "$T" dk-1 dk-2
	[ "$status" -eq 0 ]
	# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
	[[ "$stderr" == *"every fresh start of a clone of '$T' discards what it wrote to its disks"* ]]
	for c in dk-1 dk-2; do
		[ -f "$VT_DISKDIR/$T/clones/$c-vda.qcow2" ]
		virsh dumpxml "$c" | grep -q "$VT_DISKDIR/$T/clones/$c-vda.qcow2"
		start_clone "$c"
		[ "$(disk_of "$c")" = "token=$TOKEN" ]
	done
	write_disk dk-1 written-by-dk-1
	[ "$(disk_of dk-1)" = written-by-dk-1 ]
	[ "$(disk_of dk-2)" = "token=$TOKEN" ]
	[ "$(sha256sum <"$VT_DISKDIR/$T/base-vda.qcow2")" = "$(cat "$BATS_FILE_TMPDIR/base.sha")" ]
}

@test "a managed save keeps a clone's disk; a fresh start resets it to the template point" {
	virsh -q managedsave dk-1
	timeout "$START_TIMEOUT" virsh -q start dk-1
	virsh domstate dk-1 --reason | grep -q 'running (restored)'
	[ "$(disk_of dk-1)" = written-by-dk-1 ]
	virsh -q save dk-1 "$BATS_FILE_TMPDIR/dk-1.save"
	timeout "$START_TIMEOUT" virsh -q restore "$BATS_FILE_TMPDIR/dk-1.save"
	[ "$(disk_of dk-1)" = written-by-dk-1 ]
	virsh -q destroy dk-1
	start_clone dk-1
	[ "$(disk_of dk-1)" = "token=$TOKEN" ]
	[ "$(sha256sum <"$VT_DISKDIR/$T/base-vda.qcow2")" = "$(cat "$BATS_FILE_TMPDIR/base.sha")" ]
}

@test "the template's RAM never resumes over a disk that was not reset: such a start is refused" {
	# A note that libvirt restores this start (as restore begin writes it),
	# but the start is a fresh one: prepare keeps the disk, started refuses.
	virsh -q destroy dk-2
	local ms
	ms=$(awk '{printf "%d", $1 * 1000}' /proc/uptime)
	printf '%s %s\n' "$(cat /proc/sys/kernel/random/boot_id)" "$ms" >"$VT_RUNDIR/dk-2.incoming"
	run --separate-stderr timeout "$START_TIMEOUT" virsh start dk-2
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"its disks were not reset to the template point for this start"* ]] ||
		{ echo "stderr: $stderr" >&2; return 1; }
	[ "$(domain_state dk-2)" = "shut off" ]
	# The next start is an ordinary one.
	start_clone dk-2
	[ "$(disk_of dk-2)" = "token=$TOKEN" ]
	virsh -q destroy dk-2
}

@test "a clone whose disk was pointed elsewhere is refused at start" {
	virt-template -q clone "$T" dk-moved
	virsh dumpxml dk-moved | sed "s|clones/dk-moved-vda.qcow2|clones/dk-1-vda.qcow2|" >"$BATS_TEST_TMPDIR/m.xml"
	virsh -q define "$BATS_TEST_TMPDIR/m.xml" >/dev/null
	run --separate-stderr timeout "$START_TIMEOUT" virsh start dk-moved
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"clone 'dk-moved' does not run on its own overlay '$VT_DISKDIR/$T/clones/dk-moved-vda.qcow2' for disk 'vda'"* ]]
	virsh -q undefine dk-moved
}

@test "detach makes a shut-off clone an ordinary domain with its own flattened disk" {
	virsh -q destroy dk-1 2>/dev/null || true
	start_clone dk-1
	write_disk dk-1 kept-by-detach
	virsh -q shutdown dk-1 2>/dev/null || true
	virsh -q destroy dk-1 2>/dev/null || true
	# A fresh start would reset it: detach keeps what is on its overlay now,
	# which after that destroy is what dk-1 wrote.
	local out=$IMG/detached
	mkdir -p "$out"
	expect_clean_failure "directory '$BATS_TEST_TMPDIR' is not reachable by the QEMU user" \
		virt-template detach dk-1 --disk-dir "$BATS_TEST_TMPDIR"
	local before
	before=$(virt-template info "$T" --json | sed -n 's/.*"clones": \([0-9]*\).*/\1/p')
	run --separate-stderr virt-template detach dk-1 --disk-dir "$out"
	[ "$status" -eq 0 ]
	[ -f "$out/dk-1-vda.qcow2" ]
	local info xml
	info=$(qemu-img info --output=json "$out/dk-1-vda.qcow2")
	[[ $info != *backing* ]]
	[ ! -e "$VT_DISKDIR/$T/clones/dk-1-vda.qcow2" ]
	xml=$(virsh dumpxml dk-1)
	[[ $xml != *vt:template* ]]
	[[ $xml != *vt-qmp* ]]
	[[ $xml != *vt-ram* ]]
	[[ $xml != *-incoming* ]]
	[ "$(virt-template info "$T" --json | sed -n 's/.*"clones": \([0-9]*\).*/\1/p')" -eq $((before - 1)) ]
	# It cold-boots from its own disk.
	: >"$(console_log dk-1)"
	timeout "$START_TIMEOUT" virsh -q start dk-1
	wait_for_file_match "$(console_log dk-1)" VT-BOOT 60
	virsh -q destroy dk-1
	virsh -q undefine dk-1
}

@test "detach refuses a running clone, one with a managed save image, and a non-clone" {
	start_clone dk-2
	expect_clean_failure "clone 'dk-2' is running; shut it down first" virt-template detach dk-2
	virsh -q managedsave dk-2
	expect_clean_failure "clone 'dk-2' has a managed save image" virt-template detach dk-2
	virsh -q managedsave-remove dk-2
	expect_clean_failure "domain 'nosuch' does not exist" virt-template detach nosuch
}

@test "disks that cannot be templated are refused before anything exists, one line each" {
	disk_xml bad1 /nonexistent.qcow2 qcow2 >"$BATS_TEST_TMPDIR/bad1.xml"
	expect_clean_failure "disk 'vda' \('/nonexistent.qcow2'\): No such file or directory" \
		virt-template create bad1 --xml "$BATS_TEST_TMPDIR/bad1.xml"
	# A backing chain that loops.
	qemu-img create -q -f qcow2 "$IMG/a.qcow2" 8M
	qemu-img create -q -f qcow2 -F qcow2 -b "$IMG/a.qcow2" "$IMG/b.qcow2"
	qemu-img rebase -u -F qcow2 -b "$IMG/b.qcow2" "$IMG/a.qcow2"
	disk_xml bad2 "$IMG/b.qcow2" qcow2 >"$BATS_TEST_TMPDIR/bad2.xml"
	expect_clean_failure "disk 'vda' \('$IMG/b.qcow2'\): .*" \
		virt-template create bad2 --xml "$BATS_TEST_TMPDIR/bad2.xml"
	# The wrong format for the image.
	disk_xml bad3 "$IMG/data.raw" qcow2 >"$BATS_TEST_TMPDIR/bad3.xml"
	expect_clean_failure "disk 'vda' \('$IMG/data.raw'\)" \
		virt-template create bad3 --xml "$BATS_TEST_TMPDIR/bad3.xml"
	disk_xml bad4 "$IMG/data.raw" raw | sed "s|</disk>|<shareable/></disk>|" >"$BATS_TEST_TMPDIR/bad4.xml"
	expect_clean_failure "disk 'vda' is <shareable/>" \
		virt-template create bad4 --xml "$BATS_TEST_TMPDIR/bad4.xml"
}

@test "create --from a running domain with disks is refused: its disks would be copied while it writes them" {
	disk_xml dksrc "$IMG/data.raw" raw >"$BATS_TEST_TMPDIR/dksrc.xml"
	virsh -q define "$BATS_TEST_TMPDIR/dksrc.xml" >/dev/null
	virsh -q start dksrc
	expect_clean_failure "domain 'dksrc' is running; shut it down first" virt-template create bad5 --from dksrc
	virsh -q destroy dksrc
	virsh -q undefine dksrc
}

@test "delete --force removes the base, the pristine overlay and every clone's overlay" {
	virt-template -q delete --force "$T"
	[ ! -e "$VT_DISKDIR/$T" ]
	[ ! -e "$VT_STATEDIR/$T" ]
	run virsh dominfo dk-2
	[ "$status" -ne 0 ]
}

@test "UEFI: the template's variables are frozen at save, each clone starts with its own copy of them" {
	[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || skip "no OVMF firmware (Debian: ovmf)"
	plain_xml ue-src | sed -e "s|<os>|<os><loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'/>|" \
		-e "s|<acpi/>|<acpi/><smm state='off'/>|" >"$BATS_TEST_TMPDIR/ue.xml"
	virt-template -q create ue --xml "$BATS_TEST_TMPDIR/ue.xml" --wait-console "$VT_READY" --timeout 300
	local frozen=$VT_DISKDIR/ue/nvram.fd own=$VT_DISKDIR/ue/clones/ue-1-nvram.fd token
	[ "$(stat -c '%u %a' "$frozen")" = "0 400" ]
	virt-template -q clone ue ue-1
	cmp "$frozen" "$own"
	virsh dumpxml ue-1 | grep -q ">$own</nvram>"
	token=$(token_of "$(console_log ue)")
	timeout "$START_TIMEOUT" virsh -q start ue-1
	wait_for_file_match "$(console_log ue-1)" "VT-TICK [0-9]+ $token" 60
	virsh -q managedsave ue-1
	timeout "$START_TIMEOUT" virsh -q start ue-1
	virsh domstate ue-1 --reason | grep -q 'running (restored)'
	virsh -q destroy ue-1
	# What a run changed in the clone's variables is gone at its next fresh
	# start, as for its disks.
	printf 'changed' | dd of="$own" bs=1 seek=4096 conv=notrunc status=none
	run ! cmp -s "$frozen" "$own"
	timeout "$START_TIMEOUT" virsh -q start ue-1
	cmp "$frozen" "$own"
	virt-template -q delete --force ue
	[ ! -e "$VT_DISKDIR/ue" ]
}
