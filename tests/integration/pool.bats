# The warm pool: `pool T --size N` keeps N clones restored and paused, and
# `take T` hands one out running, with its identity, while the pool refills
# in the background. Faults: members destroyed or resumed behind our back,
# libvirtd restarted or killed during a refill, an empty pool, a size free
# memory cannot hold, a deleted template.

load helpers
load daemon

setup_file() {
	export T=pl
	make_template "$T"
	TOKEN=$(token_of "$(console_log "$T")")
	export TOKEN
}

teardown_file() {
	virt-template -q delete --force "$T" || true
}

# Our own logic more than the stack's: the second stack runs the rest of
# this file (CI time: both stacks' guests share two cores).
first_stack_only() { [ -z "${VT_SECOND_STACK:-}" ] || skip "runs on the first stack only"; }

pool_field() { virt-template pool "$T" --json | jq -r ".$1"; }
members() { virt-template pool "$T" --json | jq -r '.members[].name' | sort; }

# Waits until the pool holds $1 ready members and no refill runs.
wait_pool_full() {
	local json
	for _ in $(seq 600); do
		json=$(virt-template pool "$T" --json)
		if [ "$(jq -r '.ready' <<<"$json")" = "$1" ] && [ "$(jq -r '.filling' <<<"$json")" = 0 ] &&
			[ "$(jq -r '.refilling' <<<"$json")" = false ]; then
			return 0
		fi
		sleep 0.1
	done
	echo "the pool never held $1 ready members: $json" >&2
	return 1
}

# Waits (15 s at most) until a refill is starting a member.
wait_filling() {
	for _ in $(seq 300); do
		[ "$(pool_field filling)" = 1 ] && return 0
		sleep 0.05
	done
	echo "no member filling after 15 s: $(virt-template pool "$T" --json)" >&2
	return 1
}

# Clone $1 runs the template's guest: a tick with its token shows up.
assert_ticks() { wait_for_file_match "$(console_log "$1")" "VT-TICK [0-9]+ $TOKEN" 30; }

# Every domain of the template is a paused pool member or a running clone:
# nothing half-made is left behind, and no QEMU without a domain.
assert_settled() {
	local d state m
	m=$(members)
	for d in $(virsh list --all --name | grep "^$T-" || true); do
		state=$(domain_state "$d")
		if grep -qx "$d" <<<"$m"; then
			[ "$state" = paused ] || { echo "member $d is $state" >&2; return 1; }
		else
			[ "$state" = running ] || { echo "clone $d is $state and no member" >&2; return 1; }
		fi
	done
	assert_no_stray_qemu
}

@test "pool --size 2 fills the pool with clones that are restored and paused" {
	run virt-template pool "$T" --size 2
	[ "$status" -eq 0 ]
	[ "$(pool_field size)" = 2 ]
	[ "$(pool_field ready)" = 2 ]
	local m
	for m in $(members); do
		[ "$(domain_state "$m")" = paused ]
		# Restored, never run: its guest has not printed a thing.
		[ "$(grep -c 'VT-TICK' "$(console_log "$m")" || true)" = 0 ]
	done
	run virt-template pool "$T"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Pool of 'pl': size 2, 2 ready, 0 filling" ]]
}

@test "take hands out a running member with its own identity, and the pool refills behind it" {
	wait_pool_full 2
	# Long enough for a clock sent at the fill to be seen stale.
	sleep 5
	local before name
	before=$(members)
	run --separate-stderr virt-template take "$T"
	[ "$status" -eq 0 ]
	name=$output
	grep -qx "$name" <<<"$before"
	[ "$(domain_state "$name")" = running ]
	assert_ticks "$name"
	# The started hook held the identity back; take sent it, with the
	# clock of the take: the member sat paused for seconds (setup's sleep).
	wait_for_file_match "$(console_log "$name")" "identity applied: name=$name" 30
	clock_close "$name"
	[ "$(grep -c 'identity applied' "$(console_log "$name")")" = 1 ]
	[ "$(ident_of "$name" hostname)" = "$name" ]
	run members
	if grep -qx "$name" <<<"$output"; then
		echo "$name is still a member" >&2
		return 1
	fi
	wait_pool_full 2
	run members
	[ "$(grep -c . <<<"$output")" = 2 ]
}

@test "two takes at once never hand out the same clone" {
	wait_pool_full 2
	virt-template take "$T" >"$BATS_TEST_TMPDIR/a" &
	local a=$!
	virt-template take "$T" >"$BATS_TEST_TMPDIR/b"
	wait "$a"
	local na nb
	na=$(cat "$BATS_TEST_TMPDIR/a")
	nb=$(cat "$BATS_TEST_TMPDIR/b")
	[ -n "$na" ]
	[ -n "$nb" ]
	[ "$na" != "$nb" ]
	[ "$(domain_state "$na")" = running ]
	[ "$(domain_state "$nb")" = running ]
	wait_pool_full 2
}

@test "a member destroyed behind our back is removed and replaced" {
	wait_pool_full 2
	local victim uuid
	victim=$(members | head -n 1)
	uuid=$(virsh domuuid "$victim")
	virsh -q destroy "$victim"
	run virt-template pool "$T" --json
	[ "$status" -eq 0 ]
	if jq -r '.members[].name' <<<"$output" | grep -qx "$victim"; then
		echo "$victim is still a member" >&2
		return 1
	fi
	wait_pool_full 2
	# Undefined: a refill may reuse the name (the first free one), never
	# the domain.
	run virsh domuuid "$victim"
	[ "$status" -ne 0 ] || [ "$output" != "$uuid" ]
	assert_settled
}

@test "a member resumed by hand leaves the pool and stays the user's" {
	first_stack_only
	wait_pool_full 2
	local m
	m=$(members | head -n 1)
	virsh -q resume "$m"
	wait_pool_full 2
	run members
	if grep -qx "$m" <<<"$output"; then
		echo "$m is still a member" >&2
		return 1
	fi
	[ "$(domain_state "$m")" = running ]
}

@test "stats shows the pool's members and what they cost" {
	first_stack_only
	wait_pool_full 2
	run virt-template stats "$T"
	[ "$status" -eq 0 ]
	grep -Eq '^Warm pool: 2 idle slot\(s\), ' <<<"$output"
	local json
	json=$(virt-template stats "$T" --json)
	[ "$(jq -r '.[0].pool_slots' <<<"$json")" = 2 ]
	[ "$(jq -r '[.[0].domains[] | select(.role == "pool")] | length' <<<"$json")" = 2 ]
	[ "$(jq -r '.[0].pool_pss_bytes' <<<"$json")" -gt 0 ]
}

@test "--size above what free memory holds is refused with the estimate, and nothing changes" {
	first_stack_only
	wait_pool_full 2
	local before domains
	before=$(virt-template pool "$T" --json | jq 'del(.slot_bytes)')
	domains=$(virsh list --all --name | sort)
	run --separate-stderr virt-template pool "$T" --size 1000
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
	[ "$(grep -c . <<<"$stderr")" = 1 ]
	[[ "$stderr" =~ "a pool of 1000 for 'pl' needs about "[0-9]+" MiB more (998 idle slot(s) of ~"[0-9.]+" MiB each), but only "[0-9]+" MiB is available" ]]
	[ "$(virt-template pool "$T" --json | jq 'del(.slot_bytes)')" = "$before" ]
	[ "$(virsh list --all --name | sort)" = "$domains" ]
}

@test "libvirtd restarted: the pool's members are still there, paused, and take works" {
	wait_pool_full 2
	local before
	before=$(members)
	stop_daemon libvirtd
	start_libvirtd
	[ "$(members)" = "$before" ]
	local name
	name=$(virt-template take "$T")
	grep -qx "$name" <<<"$before"
	[ "$(domain_state "$name")" = running ]
	assert_ticks "$name"
	wait_pool_full 2
}

@test "libvirtd killed during a refill: the next look settles it and the pool fills again" {
	first_stack_only
	wait_pool_full 2
	virt-template -q pool "$T" --size 4 --no-wait
	# A refill is starting a member now.
	wait_filling
	kill_libvirtd
	start_libvirtd
	# The first look after it: a member the dead refill left filling is
	# removed, and a refill starts.
	run virt-template pool "$T"
	[ "$status" -eq 0 ]
	wait_pool_full 4
	assert_settled
	virt-template -q pool "$T" --size 2
	[ "$(pool_field ready)" = 2 ]
	assert_settled
}

@test "a drain while a refill starts a member succeeds, leaves nothing, and records no error" {
	first_stack_only
	virt-template -q pool "$T" --size 0
	virt-template -q pool "$T" --size 2 --no-wait
	wait_filling
	run virt-template pool "$T" --size 0
	[ "$status" -eq 0 ]
	for _ in $(seq 600); do
		[ "$(pool_field refilling)" = false ] && break
		sleep 0.1
	done
	[ "$(pool_field refilling)" = false ]
	[ -z "$(members)" ]
	[ "$(pool_field last_error)" = null ]
	[ -z "$(virsh list --state-paused --name | grep "^$T-" || true)" ]
	assert_settled
}

@test "after a host reboot the first take starts a clone the ordinary way, and the pool refills" {
	first_stack_only
	virt-template -q pool "$T" --size 2
	local m d
	# Only the pool is left to the reboot: the clones taken so far go.
	for d in $(virsh list --all --name | grep "^$T-" || true); do
		if ! members | grep -qx "$d"; then
			virsh -q destroy "$d" >/dev/null 2>&1 || true
			virsh -q undefine "$d" >/dev/null
		fi
	done
	# libvirt-guests at shutdown (ON_SHUTDOWN=suspend) saves every active
	# domain, paused members too; then the host goes down.
	for m in $(members); do
		virsh -q managedsave "$m"
	done
	stop_daemon libvirtd
	stop_daemon virtlogd
	find /run/libvirt "$VT_RUNDIR" -mindepth 1 -delete
	start_virtlogd
	start_libvirtd
	run --separate-stderr virt-template take "$T"
	[ "$status" -eq 0 ]
	local name=$output
	[[ "$stderr" == "The pool of 'pl' is empty: started '$name' the ordinary way" ]]
	[ "$(domain_state "$name")" = running ]
	assert_ticks "$name"
	wait_pool_full 2
	# The saved members were removed with their images, not resumed.
	[ -z "$(virsh list --all --with-managed-save --name | grep "^$T-" || true)" ]
	assert_settled
}

@test "take from an empty pool starts a clone the ordinary way and says so" {
	virt-template -q pool "$T" --size 0
	[ "$(pool_field size)" = 0 ]
	[ -z "$(members)" ]
	[ -z "$(virsh list --state-paused --name | grep "^$T-" || true)" ]
	run --separate-stderr virt-template take "$T"
	[ "$status" -eq 0 ]
	local name=$output
	[ "$(domain_state "$name")" = running ]
	[[ "$stderr" == "The pool of 'pl' is empty: started '$name' the ordinary way" ]]
	assert_ticks "$name"
	# Size 0: nothing refills it.
	sleep 1
	[ -z "$(members)" ]
}

@test "take NAME starts a clone named NAME the ordinary way and leaves the pool alone" {
	first_stack_only
	virt-template -q pool "$T" --size 1
	local before
	before=$(members)
	run --separate-stderr virt-template take "$T" mine
	[ "$status" -eq 0 ]
	[ "$output" = mine ]
	[[ "$stderr" == "Started 'mine' the ordinary way: pool clones keep the names"* ]]
	[ "$(domain_state mine)" = running ]
	[ "$(members)" = "$before" ]
	run --separate-stderr virt-template take "$T" mine
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"a domain named 'mine' already exists"* ]]
	virt-template -q pool "$T" --size 0
	virsh -q destroy mine
	virsh -q undefine mine
}

@test "delete --force drains the pool; take of the deleted template is one line and leaves nothing" {
	virt-template -q pool "$T" --size 2
	run virt-template delete "$T"
	[ "$status" -eq 1 ]
	[[ "$output" == *"some in its warm pool; use --force"* ]]
	run virt-template delete --force "$T"
	[ "$status" -eq 0 ]
	[ -z "$(virsh list --all --name | grep "^$T-" || true)" ]
	[ ! -e "$VT_STATEDIR/$T" ]
	run --separate-stderr virt-template take "$T"
	[ "$status" -eq 1 ]
	[ "$stderr" = "virt-template: error: template 'pl' does not exist" ]
	[ -z "$(virsh list --all --name | grep "^$T-" || true)" ]
	run --separate-stderr virt-template pool "$T" --size 1
	[ "$status" -eq 1 ]
	[ "$stderr" = "virt-template: error: template 'pl' does not exist" ]
	[ ! -e "$VT_STATEDIR/$T" ]
}
