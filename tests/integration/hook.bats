# The hook inside libvirt's start path, and the other ways to make templates.

load helpers

setup_file() {
	export T=hk
	make_template "$T"
	virt-template -q clone "$T" hk-c1
}

teardown_file() {
	virt-template -q delete --force "$T" || true
	virt-template -q delete --force fromdom || true
	virt-template -q delete --force fromxml || true
	virsh -q undefine srcdom || true
	virsh -q destroy plain || true
}

@test "the hook ignores domains without virt-template metadata" {
	plain_xml plain >"$BATS_TEST_TMPDIR/plain.xml"
	virsh -q create "$BATS_TEST_TMPDIR/plain.xml"
	[ "$(domain_state plain)" = "running" ]
	wait_for_file_match "$(console_log plain)" "$VT_READY" 60
	virsh -q destroy plain
}

@test "a clone whose template is missing is refused at prepare with a clear error" {
	mv "$VT_STATEDIR/$T/meta.json" "$BATS_TEST_TMPDIR/meta.json"
	run --separate-stderr timeout "$START_TIMEOUT" virsh start hk-c1
	mv "$BATS_TEST_TMPDIR/meta.json" "$VT_STATEDIR/$T/meta.json"
	[ "$status" -ne 0 ]
	# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
	[[ "$stderr" == *"cannot start clone 'hk-c1': template '$T' does not exist"* ]]
	[ "$(domain_state hk-c1)" = "shut off" ]
}

@test "a clone whose template is not saved is refused at prepare" {
	cp "$VT_STATEDIR/$T/meta.json" "$BATS_TEST_TMPDIR/meta.json"
	sed -i -e 's/"saved"/"booting"/' -e 's/"state_digest": *"[0-9a-f]*"/"state_digest": ""/' "$VT_STATEDIR/$T/meta.json"
	run --separate-stderr timeout "$START_TIMEOUT" virsh start hk-c1
	cp "$BATS_TEST_TMPDIR/meta.json" "$VT_STATEDIR/$T/meta.json"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"template '$T' is not saved yet"* ]]
	[ "$(domain_state hk-c1)" = "shut off" ]
}

@test "a saved template cannot boot again" {
	local before
	before=$(sha256sum <"$VT_MEMDIR/$T/memory")
	run --separate-stderr virsh create "$VT_STATEDIR/$T/domain.xml"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"template '$T' is saved: it cannot boot again"* ]]
	run virsh dominfo "$T"
	[ "$status" -ne 0 ]
	[ "$(sha256sum <"$VT_MEMDIR/$T/memory")" = "$before" ]
}

@test "no domain may map a saved template's memory with share=on, metadata or not" {
	local before
	before=$(sha256sum <"$VT_MEMDIR/$T/memory")
	plain_xml rogue | sed "s|</devices>|</devices><qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><qemu:arg value='-object'/><qemu:arg value='memory-backend-file,id=r,size=268435456,mem-path=$VT_MEMDIR/$T/memory,share=on'/><qemu:arg value='-machine'/><qemu:arg value='memory-backend=r'/></qemu:commandline>|" >"$BATS_TEST_TMPDIR/rogue.xml"
	run --separate-stderr virsh create "$BATS_TEST_TMPDIR/rogue.xml"
	[ "$status" -ne 0 ]
	[[ "$stderr" == *"domain 'rogue' would map the memory of saved template '$T' with share=on"* ]]
	# Defined persistently, it cannot start either.
	virsh -q define "$BATS_TEST_TMPDIR/rogue.xml"
	run --separate-stderr virsh start rogue
	[ "$status" -ne 0 ]
	[ "$(domain_state rogue)" = "shut off" ]
	virsh -q undefine rogue
	[ "$(sha256sum <"$VT_MEMDIR/$T/memory")" = "$before" ]
}

@test "the clone still starts after the refusals" {
	timeout "$START_TIMEOUT" virsh start hk-c1
	wait_for_file_match "$(console_log hk-c1)" "VT-TICK" 30
	virsh -q destroy hk-c1
}

@test "clone --count picks the first free names with --prefix" {
	run virt-template -q clone "$T" --count 2 --prefix n
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'n1\nn2')" ]
	virsh -q undefine n1
	run virt-template -q clone "$T" --count 2 --prefix n
	[ "$output" = "$(printf 'n1\nn3')" ]
	run virt-template -q clone "$T" --count 1
	[ "$output" = "$T-1" ]
	for d in n1 n2 n3 "$T-1"; do virsh -q undefine "$d"; done
}

@test "create --from DOMAIN leaves the source domain untouched" {
	plain_xml srcdom >"$BATS_TEST_TMPDIR/src.xml"
	virsh -q define "$BATS_TEST_TMPDIR/src.xml"
	local before
	before=$(virsh dumpxml --inactive srcdom)
	virt-template -q create fromdom --from srcdom --wait-console "$VT_READY" --timeout 120
	[ "$(virsh dumpxml --inactive srcdom)" = "$before" ]
	[ "$(domain_state srcdom)" = "shut off" ]
	run virt-template info fromdom
	echo "$output" | grep -Eq '^State: +saved$'
}

@test "create --xml FILE makes a template from a domain XML" {
	plain_xml fromxml >"$BATS_TEST_TMPDIR/t.xml"
	virt-template -q create fromxml --xml "$BATS_TEST_TMPDIR/t.xml"
	[ "$(domain_state fromxml)" = "running" ]
	virsh dumpxml fromxml | grep -q 'share=on'
	virt-template -q save fromxml --wait-console "$VT_READY" --timeout 120
	run virsh dominfo fromxml
	[ "$status" -ne 0 ]
	virt-template -q clone fromxml fx1 --start
	wait_for_file_match "$(console_log fx1)" "VT-TICK" 30
}
