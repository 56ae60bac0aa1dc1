# Many virt-template and virsh runs at once: the store lock serialises what
# must be serialised, and nothing collides, corrupts or is orphaned.

load helpers

setup_file() {
	export T=cc
	make_template "$T"
}

teardown_file() {
	virt-template -q delete --force "$T" || true
	virt-template -q delete --force race || true
}

@test "50 concurrent clone runs into one template: 50 distinct clones, metadata intact" {
	# shellcheck disable=SC2016 # expanded by sh -c, $0 is the directory
	seq 50 | xargs -P 50 -I{} sh -c 'virt-template -q clone cc --count 1 --prefix w >"$0/{}.out" 2>&1' \
		"$BATS_TEST_TMPDIR"
	cat "$BATS_TEST_TMPDIR"/*.out | sort >"$BATS_TEST_TMPDIR/names"
	[ "$(wc -l <"$BATS_TEST_TMPDIR/names")" -eq 50 ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/names" | wc -l)" -eq 50 ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/names")" = "$(seq 50 | sed 's/^/w/' | sort)" ]
	run virt-template info "$T" --json
	[ "$status" -eq 0 ]
	echo "$output" | grep -q '"clones": 50'
	[ "$(store_files "$T")" = "domain.xml meta.json state" ]
}

@test "20 concurrent virsh start of clones: all run the template's guest" {
	local token
	token=$(token_of "$(console_log "$T")")
	seq 20 | xargs -P 20 -I{} timeout 120 virsh -q start w{}
	for i in $(seq 20); do
		[ "$(domain_state "w$i")" = "running" ]
		wait_for_file_match "$(console_log "w$i")" "VT-TICK [0-9]+ $token" 60
		run ! grep -q VT-BOOT "$(console_log "w$i")"
	done
	for i in $(seq 20); do virsh -q destroy "w$i"; done
}

@test "delete racing with clone is serialised: no orphan domains" {
	make_template race
	local i pids=()
	for i in 1 2 3; do
		virt-template -q clone race --count 4 --prefix "r$i-" >/dev/null 2>&1 &
		pids+=("$!")
	done
	virt-template -q delete --force race &
	pids+=("$!")
	# Wait for these only: a bare wait also waits for the watchdog that
	# bats starts for BATS_TEST_TIMEOUT, and so never returns.
	wait "${pids[@]}" || true
	# Whichever order the lock gave them, delete ran: the template is gone
	# and no clone of it is left behind.
	run virt-template info race
	[ "$status" -ne 0 ]
	# shellcheck disable=SC2143 # [ -z ] fails the test, a negated grep would not
	[ -z "$(virsh list --all --name | grep '^r[0-9]-')" ]
	[ ! -e "$VT_STATEDIR/race" ]
	[ ! -e "$VT_MEMDIR/race" ]
}
