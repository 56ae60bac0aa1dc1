# Bad input: one clear line on stderr, a non-zero exit, nothing left behind.

load helpers

setup_file() {
	export T=bad
	make_template "$T"
	virsh -q define /dev/stdin <<-XML
	<domain type='qemu'><name>taken</name><memory unit='MiB'>64</memory>
	<os><type arch='x86_64'>hvm</type></os></domain>
	XML
}

teardown_file() {
	virt-template -q delete --force "$T" || true
	virsh -q undefine taken || true
}

@test "unknown template" {
	expect_clean_failure "template 'nosuch' does not exist" virt-template clone nosuch c1
	expect_clean_failure "template 'nosuch' does not exist" virt-template info nosuch
	expect_clean_failure "template 'nosuch' does not exist" virt-template delete nosuch
	expect_clean_failure "template 'nosuch' does not exist" virt-template save nosuch
}

@test "clone of an unsaved template" {
	# shellcheck disable=SC2154 # run.sh exports VT_GUEST_* (build-guest.sh --print-paths)
	virt-template -q create unsaved --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" --virt-type "$VT_VIRT_TYPE"
	expect_clean_failure "template 'unsaved' is not saved yet" virt-template clone unsaved c1
	virt-template -q delete --force unsaved
	[ ! -e "$VT_STATEDIR/unsaved" ]
}

@test "template name already taken by a template or a domain" {
	expect_clean_failure "template '$T' already exists" \
		virt-template create "$T" --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" --virt-type "$VT_VIRT_TYPE"
	expect_clean_failure "a domain named 'taken' already exists" \
		virt-template create taken --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" --virt-type "$VT_VIRT_TYPE"
}

@test "clone name already taken" {
	expect_clean_failure "a domain named 'taken' already exists" virt-template clone "$T" ok1 taken
	expect_clean_failure "'$T' is the name of a template" virt-template clone "$T" "$T"
	expect_clean_failure "clone name 'dup' is given twice" virt-template clone "$T" dup dup
}

@test "invalid template and clone names" {
	local name
	for name in '../x' 'a/b' '.hidden' '-x' 'a,b' 'sp ace' "$(printf 'n%.0s' {1..65})" ''; do
		expect_clean_failure "(invalid template name|template name must not be empty|longer than 64)" \
			virt-template create --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" -- "$name"
		expect_clean_failure "(invalid clone name|clone name must not be empty|longer than 64)" \
			virt-template clone "$T" -- ok2 "$name"
	done
}

@test "a missing --xml file" {
	expect_clean_failure "cannot open '/nonexistent.xml'" virt-template create x1 --xml /nonexistent.xml
}

@test "XML that is not a domain" {
	echo '<network><name>n</name></network>' >"$BATS_TEST_TMPDIR/net.xml"
	expect_clean_failure "XML is not a libvirt <domain> definition" \
		virt-template create x2 --xml "$BATS_TEST_TMPDIR/net.xml"
	echo '<domain><name>broken' >"$BATS_TEST_TMPDIR/broken.xml"
	expect_clean_failure "malformed XML" virt-template create x3 --xml "$BATS_TEST_TMPDIR/broken.xml"
}

@test "a domain XML libvirt refuses leaves no template behind" {
	sed 's/<vcpu>1</<vcpu>0</' "$VIRT_TEMPLATE_DATADIR/kernel-initrd.xml" >"$BATS_TEST_TMPDIR/bad.xml"
	expect_clean_failure "cannot start template 'x4'" virt-template create x4 --xml "$BATS_TEST_TMPDIR/bad.xml"
}

@test "domain XML a template cannot have is refused before anything exists" {
	local base=$VIRT_TEMPLATE_DATADIR/kernel-initrd.xml
	local -A cases=(
		["<memoryBacking><hugepages/></memoryBacking>"]="uses hugepages"
		["<memoryBacking><nosharepages/></memoryBacking>"]="has its own <memoryBacking>"
		["<cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/></numa></cpu>"]="defines NUMA cells"
		["<maxMemory slots='4' unit='GiB'>1</maxMemory>"]="memory hotplug"
		["<devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices>"]="has an emulated TPM"
	)
	local extra i=0
	for extra in "${!cases[@]}"; do
		sed "s|<vcpu>|$extra<vcpu>|" "$base" >"$BATS_TEST_TMPDIR/x$i.xml"
		expect_clean_failure "${cases[$extra]}" virt-template create "x$i" --xml "$BATS_TEST_TMPDIR/x$i.xml"
		i=$((i + 1))
	done
}

@test "a balloon is removed from the template with a notice, not refused" {
	plain_xml xb | sed "s|<memballoon model='none'/>|<memballoon model='virtio'/>|" >"$BATS_TEST_TMPDIR/b.xml"
	run --separate-stderr virt-template create xb --xml "$BATS_TEST_TMPDIR/b.xml" \
		--wait-console "$VT_READY" --timeout 120
	[ "$status" -eq 0 ]
	# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
	[[ "$stderr" == *"Template 'xb' has no memballoon: a balloon would free pages its clones share"* ]]
	grep -q "<memballoon model='none'/>" "$VT_STATEDIR/xb/domain.xml"
	run ! grep -q "memballoon model='virtio'" "$VT_STATEDIR/xb/domain.xml"
	virt-template -q delete xb
}

@test "a missing kernel or initrd" {
	expect_clean_failure "cannot read kernel '/nonexistent/vmlinuz'" \
		virt-template create xk --kernel /nonexistent/vmlinuz --initrd "$VT_GUEST_initrd"
	expect_clean_failure "cannot read initrd '/nonexistent/initrd'" \
		virt-template create xk --kernel "$VT_GUEST_kernel" --initrd /nonexistent/initrd
}

@test "save of a saved template, and of a template that is not running" {
	expect_clean_failure "template '$T' is already saved" virt-template save "$T"
	virt-template -q create dead --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" --virt-type "$VT_VIRT_TYPE"
	virsh -q destroy dead
	expect_clean_failure "template 'dead' is not running; delete it and create it again" \
		virt-template save dead
	run virt-template info dead
	echo "$output" | grep -Eq '^State: +stopped$'
	virt-template -q delete dead
	[ ! -e "$VT_STATEDIR/dead" ]
	[ ! -e "$VT_MEMDIR/dead" ]
}

@test "usage errors point at --help" {
	run --separate-stderr virt-template create
	[ "$status" -eq 2 ]
	[[ "$stderr" == *"Try 'virt-template --help'"* ]]
	run --separate-stderr virt-template clone "$T"
	[ "$status" -eq 2 ]
	run --separate-stderr virt-template frobnicate
	[ "$status" -eq 2 ]
}

@test "--help and --version print to stdout and exit 0" {
	run --separate-stderr virt-template --help
	[ "$status" -eq 0 ]
	[[ "$output" == Usage:* ]]
	[ -z "$stderr" ]
	run --separate-stderr virt-template --version
	[ "$status" -eq 0 ]
	[[ "$output" == "virt-template "* ]]
	[ -z "$stderr" ]
	# What it runs against, and the mapping that QEMU allows.
	echo "$output" | grep -Eq "^QEMU: +$(qemu_version)$"
	echo "$output" | grep -Eq "^libvirt daemon: +[0-9]+\.[0-9]+\.[0-9]+$"
	if qemu_at_least 8.2.0; then
		echo "$output" | grep -Eq '^readonly template mapping: +yes'
	else
		echo "$output" | grep -Eq '^readonly template mapping: +no'
	fi
	run virt-template clone --help
	[ "$status" -eq 0 ]
	[[ "$output" == "Usage: virt-template clone"* ]]
}

@test "a connection to another driver than QEMU is refused with one line" {
	expect_clean_failure "the connection's driver is TEST; virt-template needs QEMU" \
		virt-template -c test:///default list
	run --separate-stderr virt-template -c test:///default --version
	[ "$status" -eq 1 ]
	[ "$stderr" = "virt-template: error: the connection's driver is TEST; virt-template needs QEMU" ]
}

@test "the saved template is intact and usable after all of this" {
	virt-template -q clone "$T" survivor --start
	wait_for_file_match "$(console_log survivor)" "VT-TICK" 30
	[ "$(domain_state survivor)" = "running" ]
}
