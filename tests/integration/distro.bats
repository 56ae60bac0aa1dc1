# A real distribution as a template: the Debian 12 guest of
# tests/guest/build-distro.sh (systemd, qemu-guest-agent, a qcow2 disk) in
# the domain virt-install writes for it (a balloon, a pty console, the
# agent's channel, an rng, USB, VNC), templated with create --from and
# save --wait-agent. One template for the whole file: its boot is the slow
# part under TCG.

load helpers

setup_file() {
	export T=deb
	mkdir -p /var/lib/libvirt/images
	SRC=$(mktemp -d /var/lib/libvirt/images/vt-distro.XXXXXX)
	chmod 0755 "$SRC"
	export SRC
	# The user's VM: on an overlay of the cached image, never started here.
	# shellcheck disable=SC2154 # run.sh exports VT_DISTRO_* (build-distro.sh --print-paths)
	qemu-img create -q -f qcow2 -F qcow2 -b "$VT_DISTRO_disk" "$SRC/vm.qcow2"
	"$VT_SRCDIR/tests/guest/distro-domain.sh" vm "$SRC/vm.qcow2" --graphics vnc,listen=127.0.0.1 \
		>"$SRC/vm.xml"
	virsh -q define "$SRC/vm.xml" >/dev/null
	sha256sum <"$SRC/vm.qcow2" >"$SRC/vm.sha"
	virt-template create "$T" --from vm --wait-agent --timeout 300 2>"$SRC/create.err"
}

teardown_file() {
	virt-template -q delete --force "$T" || true
	virsh -q undefine vm || true
	rm -rf "$SRC"
}

agent() { virsh -q qemu-agent-command "$1" --timeout 10 "$2" 2>/dev/null; }

# Waits until the guest agent of $1 answers, 180 s at most. The waits here
# are bounded by the clock, not by a count of tries: one try can itself
# take 10 s when the agent is connected but does not answer.
wait_agent() {
	local deadline=$((SECONDS + 180))
	while [ "$SECONDS" -lt "$deadline" ]; do
		agent "$1" '{"execute":"guest-ping"}' >/dev/null && return 0
		sleep 0.5
	done
	echo "the agent of $1 did not answer in 180 s; $1 is $(domain_state "$1")" >&2
	tail -n 30 "$(console_log "$1")" >&2 || true
	return 1
}

# Runs shell command $2 in guest $1 through guest-exec; prints its stdout
# and returns its status (99 when the agent fails or the command does not
# end in 120 s).
guest_sh() {
	local req pid status deadline=$((SECONDS + 120))
	req=$(jq -cn --arg c "$2" '{execute: "guest-exec", arguments:
		{path: "/bin/sh", arg: ["-c", $c], "capture-output": true}}')
	pid=$(agent "$1" "$req" | jq -e '.return.pid') || return 99
	while :; do
		status=$(agent "$1" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") || return 99
		[ "$(jq '.return.exited' <<<"$status")" = true ] && break
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "$1: '$2' did not end in 120 s" >&2
			return 99
		fi
		sleep 0.5
	done
	jq -r '.return["out-data"] // ""' <<<"$status" | base64 -d
	return "$(jq '.return.exitcode // 255' <<<"$status")"
}

start_clone() {
	timeout "$START_TIMEOUT" virsh -q start "$1"
	wait_agent "$1"
}

wait_shut_off() {
	for _ in $(seq 600); do
		[ "$(domain_state "$1")" = "shut off" ] && return 0
		sleep 0.1
	done
	echo "$1 did not shut off" >&2
	return 1
}

@test "create --from a virt-install domain: the balloon goes with a notice, the source's disk is never written" {
	[ -f "$VT_STATEDIR/$T/state" ]
	grep -q "Template '$T' has no memballoon" "$SRC/create.err"
	[ "$(sha256sum <"$SRC/vm.qcow2")" = "$(cat "$SRC/vm.sha")" ]
	[ "$(domain_state vm)" = "shut off" ]
	run virt-template info "$T" --json
	echo "$output" | grep -q '"target": "vda"'
	sha256sum <"$VT_DISKDIR/$T/base-vda.qcow2" >"$BATS_FILE_TMPDIR/base.sha"
}

@test "three clones each run systemd, with an agent, a console and a VNC display of their own" {
	virt-template -q clone "$T" deb-1 deb-2 deb-3
	local displays=() c state
	for c in deb-1 deb-2 deb-3; do
		start_clone "$c"
		# The template was saved once its agent answered, systemd may still be
		# finishing its boot then: --wait for it (in the clone).
		state=$(guest_sh "$c" 'timeout 120 systemctl is-system-running --wait' || true)
		[[ $state == running* || $state == degraded* ]] || { echo "$c: systemd is '$state'" >&2; return 1; }
		displays+=("$(virsh domdisplay "$c")")
		[ -n "$(virsh ttyconsole "$c")" ]
	done
	# Distinct VNC ports (autoport): clones do not inherit the template's.
	[ "$(printf '%s\n' "${displays[@]}" | sort -u | wc -l)" -eq 3 ]
}

@test "RNG: two clones read different bytes from /dev/urandom right after their resume (vmgenid)" {
	# Both resume the template's kernel with the same CRNG state; the GUID
	# QEMU writes after the incoming migration makes Linux reseed it.
	virsh dumpxml deb-2 | grep -q '<genid>'
	[ "$(virsh dumpxml deb-2 | sed -n 's|.*<genid>\(.*\)</genid>.*|\1|p')" != \
		"$(virsh dumpxml deb-3 | sed -n 's|.*<genid>\(.*\)</genid>.*|\1|p')" ]
	local c r2 r3
	for c in deb-2 deb-3; do
		virsh -q destroy "$c"
		start_clone "$c"
	done
	r2=$(guest_sh deb-2 'head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n"')
	r3=$(guest_sh deb-3 'head -c 32 /dev/urandom | od -An -tx1 | tr -d " \n"')
	[ "${#r2}" -eq 64 ]
	[ "$r2" != "$r3" ]
	# Different bytes alone would not prove it: a periodic reseed mixes in
	# each clone's interrupt timings too. vmgenid's reseed says so (Linux
	# >= 5.18, CONFIG_VMGENID: Debian's generic kernel, not its -cloud one).
	for c in deb-2 deb-3; do
		guest_sh "$c" dmesg | grep -q 'crng reseeded due to virtual machine fork'
	done
}

@test "a file written in one clone is not in another, and the base image never changes" {
	guest_sh deb-1 'echo only-in-deb-1 >/root/mark && sync'
	[ "$(guest_sh deb-1 'cat /root/mark')" = only-in-deb-1 ]
	run guest_sh deb-2 'cat /root/mark'
	[ "$status" -ne 0 ]
	[ "$(sha256sum <"$VT_DISKDIR/$T/base-vda.qcow2")" = "$(cat "$BATS_FILE_TMPDIR/base.sha")" ]
}

@test "a managed save keeps a clone's files" {
	virsh -q managedsave deb-1
	timeout "$START_TIMEOUT" virsh -q start deb-1
	virsh domstate deb-1 --reason | grep -q 'running (restored)'
	wait_agent deb-1
	[ "$(guest_sh deb-1 'cat /root/mark')" = only-in-deb-1 ]
}

@test "virsh shutdown (ACPI) stops a clone cleanly, its disk is clean, and a fresh start is the template point" {
	# --mode acpi: with an agent, plain `virsh shutdown` would ask the agent.
	virsh -q shutdown deb-1 --mode acpi
	wait_shut_off deb-1
	local raw=$BATS_FILE_TMPDIR/deb-1.raw
	qemu-img convert -O raw "$VT_DISKDIR/$T/clones/deb-1-vda.qcow2" "$raw"
	e2fsck -fn "$raw"
	rm -f "$raw"
	start_clone deb-1
	run guest_sh deb-1 'cat /root/mark'
	[ "$status" -ne 0 ]
	[ "$(sha256sum <"$VT_DISKDIR/$T/base-vda.qcow2")" = "$(cat "$BATS_FILE_TMPDIR/base.sha")" ]
}

@test "detach makes a distro clone an ordinary domain that boots from its own disk" {
	# CI time: a Debian cold boot under TCG (40-80 s beside the other
	# stack); detach's own code and libvirt's part are tested on both stacks
	# (disks.bats), this real-VM case on the first.
	[ -z "${VT_SECOND_STACK:-}" ] || skip "the Debian cold boot runs on the first stack only"
	guest_sh deb-3 'echo kept >/root/mark && sync'
	virsh -q shutdown deb-3 --mode acpi
	wait_shut_off deb-3
	virt-template -q detach deb-3 --disk-dir "$SRC"
	timeout "$START_TIMEOUT" virsh -q start deb-3
	wait_agent deb-3
	[ "$(guest_sh deb-3 'cat /root/mark')" = kept ]
	# A cold boot was never forked: the control for the RNG test's line.
	[ "$(guest_sh deb-3 dmesg | grep -c 'crng reseeded due to virtual machine fork')" = 0 ]
	virsh -q destroy deb-3
	virsh -q undefine deb-3
}
