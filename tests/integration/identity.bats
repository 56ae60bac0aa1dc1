# Every clone is its own machine: the guest kit (guest/virt-template-guest,
# in the bundled guest) applies the identity the hook writes to each clone's
# identity channel after its start: hostname, MAC, clock, data. Private
# networking needs nothing in the guest: SLIRP port forwards.

load helpers

setup_file() {
	export T=idt
	# The template's clock two minutes behind before the save: every clone
	# resumes two minutes (and then some) late unless the kit steps it.
	# create without --wait-console only starts it (with it, create saves).
	# shellcheck disable=SC2154 # run.sh exports VT_GUEST_* (build-guest.sh --print-paths)
	virt-template -q create "$T" --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" \
		--virt-type "$VT_VIRT_TYPE" --memory 256
	wait_for_file_match "$(console_log "$T")" "$VT_READY" 120
	guest_command "$T" "clock-back 120"
	wait_for_file_match "$(console_log "$T")" "VT-CLOCK-BACK 120" 30
	virt-template -q save "$T"
	TOKEN=$(token_of "$(console_log "$T")")
	export TOKEN
}

teardown_file() {
	virt-template -q delete --force "$T" || true
}

start_clone() {
	timeout "$START_TIMEOUT" virsh -q start "$1"
	wait_for_file_match "$(console_log "$1")" "VT-TICK [0-9]+ $TOKEN" 30
}

# Waits until clone $1's kit applied its identity.
wait_identity() {
	wait_for_file_match "$(console_log "$1")" "virt-template-guest: identity applied: name=$1" 30
}


domif_mac() { virsh domiflist "$1" | awk 'NR > 2 && $5 {print $5; exit}'; }

@test "each clone takes its own hostname, MAC (the one virsh domiflist shows), clock and data" {
	head -c 3000 /dev/urandom >"$BATS_FILE_TMPDIR/data"
	virt-template -q clone "$T" idt-1 idt-2 --data "$BATS_FILE_TMPDIR/data"
	local want_data c
	want_data=$(sha256sum <"$BATS_FILE_TMPDIR/data" | cut -d' ' -f1)
	for c in idt-1 idt-2; do
		start_clone "$c"
		wait_identity "$c"
		[ "$(ident_of "$c" hostname)" = "$c" ]
		[ "$(ident_of "$c" mac)" = "$(domif_mac "$c")" ]
		[ "$(ident_of "$c" data)" = "$want_data" ]
		# The template's was 120 s behind.
		clock_close "$c"
	done
	# SLIRP is private to each clone: its NIC keeps the template's MAC, to
	# which the migrated lease and the forwards are bound (network.bats has
	# the shared network, where each clone's MAC is its own).
	local template_mac
	template_mac=$(sed -n "s/.*<mac address='\([0-9a-f:]*\)'.*/\1/p" "$VT_STATEDIR/$T/domain.xml" | head -n 1)
	[ -n "$template_mac" ]
	[ "$(domif_mac idt-1)" = "$template_mac" ]
	[ "$(domif_mac idt-2)" = "$template_mac" ]
}

@test "a restored clone gets its identity again: the clock above all" {
	virsh -q managedsave idt-1
	sleep 3
	: >"$(console_log idt-1)"
	timeout "$START_TIMEOUT" virsh -q start idt-1
	wait_identity idt-1
	clock_close idt-1
	[ "$(ident_of idt-1 hostname)" = idt-1 ]
}

@test "clone --forward: each clone answers on its own host port, after a managed save and a restart too" {
	virt-template -q clone "$T" fw-1 fw-2 --forward 7
	run virt-template info "$T" --json
	local p1 p2
	p1=$(jq -r '.clone_domains[] | select(.name == "fw-1") | .forwards[0].host' <<<"$output")
	p2=$(jq -r '.clone_domains[] | select(.name == "fw-2") | .forwards[0].host' <<<"$output")
	[ -n "$p1" ]
	[ "$p1" != null ]
	[ "$p1" != "$p2" ]
	for c in fw-1 fw-2; do start_clone "$c"; wait_identity "$c"; done
	[ "$(tcp_answer 127.0.0.1 "$p1")" = fw-1 ]
	[ "$(tcp_answer 127.0.0.1 "$p2")" = fw-2 ]
	virsh -q managedsave fw-1
	timeout "$START_TIMEOUT" virsh -q start fw-1
	wait_identity fw-1
	[ "$(tcp_answer 127.0.0.1 "$p1")" = fw-1 ]
	virsh -q destroy fw-1
	start_clone fw-1
	wait_identity fw-1
	[ "$(tcp_answer 127.0.0.1 "$p1")" = fw-1 ]
}

@test "a forward to a host port in use fails the start with one line, and nothing is left running" {
	virt-template -q clone "$T" fw-busy --forward 40999:7
	socat TCP-LISTEN:40999,bind=127.0.0.1,reuseaddr,fork /dev/null &
	local holder=$!
	sleep 0.5
	run --separate-stderr timeout "$START_TIMEOUT" virsh start fw-busy
	kill "$holder"
	[ "$status" -ne 0 ]
	# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
	[[ "$stderr" == *"cannot forward 127.0.0.1:40999 to guest port 7"* ]]
	[ "$(domain_state fw-busy)" = "shut off" ]
	start_clone fw-busy
}
