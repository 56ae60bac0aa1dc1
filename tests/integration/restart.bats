# libvirtd killed and restarted while clones start: afterwards every clone is
# either running the template's guest or shut off, and can be started again.

load helpers
load daemon

# libvirtd reconnects to each QEMU in a thread of its own, after it answers:
# wait until domain $1 is settled, running or shut off.
wait_settled() {
	local s
	for _ in $(seq 300); do
		s=$(domain_state "$1")
		case "$s" in running | "shut off") echo "$s"; return 0 ;; esac
		sleep 0.1
	done
	echo "domain $1 stays '$s'" >&2
	return 1
}

ticks_of() { grep -c "VT-TICK [0-9]* $2" "$(console_log "$1")" 2>/dev/null || true; }

# Clone $1 runs the template's guest (token $2): a new tick shows up.
assert_runs_template_guest() {
	local before
	before=$(ticks_of "$1" "$2")
	for _ in $(seq 300); do
		[ "$(ticks_of "$1" "$2")" -gt "$before" ] && return 0
		sleep 0.1
	done
	echo "$1: no new 'VT-TICK n $2' in 30 s" >&2
	return 1
}

teardown() {
	# Each test its own template: one test's leftovers never fail the next.
	virt-template -q delete --force rs 2>/dev/null || true
	virt-template -q delete --force rh 2>/dev/null || true
}

@test "libvirtd killed while 6 clones start: each ends running the template's guest or shut off, and starts again" {
	make_template rs
	local token c
	token=$(token_of "$(console_log rs)")
	virt-template -q clone rs --count 6 --prefix rs-
	# Three at a time; libvirtd dies while some are in the middle of it.
	local done=$BATS_TEST_TMPDIR/started
	: >"$done"
	# shellcheck disable=SC2016 # expanded by sh -c, $1 is the file
	printf 'rs-%s\n' 1 2 3 4 5 6 |
		xargs -P 3 -I{} sh -c 'virsh -q start {} >/dev/null 2>&1 && echo {} >>"$1"' sh "$done" &
	local starts=$!
	# Two have started, others are in the middle of it.
	until [ "$(grep -c . "$done")" -ge 2 ]; do sleep 0.05; done
	kill_libvirtd
	wait "$starts" || true
	start_libvirtd
	local running=0 stopped=0
	for c in rs-1 rs-2 rs-3 rs-4 rs-5 rs-6; do
		case "$(wait_settled "$c")" in
		running) running=$((running + 1)); assert_runs_template_guest "$c" "$token" ;;
		"shut off") stopped=$((stopped + 1)); [ ! -e "$VT_RUNDIR/$c.qmp" ] ;;
		esac
	done
	echo "after the restart: $running running, $stopped shut off" >&3
	assert_no_stray_qemu
	# Every clone starts (again): nothing was damaged.
	for c in rs-1 rs-2 rs-3 rs-4 rs-5 rs-6; do
		[ "$(domain_state "$c")" = running ] && virsh -q destroy "$c" >/dev/null
		timeout 60 virsh -q start "$c" >/dev/null
		assert_runs_template_guest "$c" "$token"
	done
}

@test "libvirtd and the hook killed in the middle of a restore: the clone ends shut off and starts again" {
	make_template rh
	local token
	token=$(token_of "$(console_log rh)")
	virt-template -q clone rh rs-h
	virsh -q start rs-h >/dev/null 2>&1 &
	local start=$! sock=$VT_RUNDIR/rs-h.qmp
	# Hold the clone's one-client monitor so that the hook waits in the
	# middle of the start (as in faults.bats), then kill libvirtd and it.
	# Bounds of a minute: under CI's load (both stacks' guests on two
	# cores) QEMU and libvirt's start took more than the 10 s once given.
	for _ in $(seq 6000); do [ -S "$sock" ] && break; sleep 0.01; done
	socat -u UNIX-CONNECT:"$sock" /dev/null &
	local holder=$!
	for _ in $(seq 3000); do pgrep -f 'qemu.d/virt-template rs-h started' >/dev/null && break; sleep 0.02; done
	pgrep -f 'qemu.d/virt-template rs-h started' >/dev/null
	kill_libvirtd
	pkill -9 -f 'qemu.d/virt-template rs-h started'
	wait "$start" || true
	kill "$holder"
	wait "$holder" || true
	# QEMU still waits in "inmigrate" for a state nobody feeds it. libvirt
	# had not finished the start job, so on reconnect it kills the domain
	# ("wasn't fully started yet"): the hook need not handle "reconnect".
	[ -n "$(our_qemus)" ]
	start_libvirtd
	[ "$(wait_settled rs-h)" = "shut off" ]
	[ ! -e "$sock" ]
	assert_no_stray_qemu
	timeout 60 virsh -q start rs-h >/dev/null
	assert_runs_template_guest rs-h "$token"
}

@test "libvirtd killed during a clone's managed save: the clone keeps its own state either way" {
	make_template rm
	local token
	token=$(token_of "$(console_log rm)")
	virt-template -q clone rm rs-m
	timeout 60 virsh -q start rs-m
	# Enough dirty guest RAM that the save takes a while to write.
	guest_command rs-m "write 120"
	wait_for_file_match "$(console_log rs-m)" "VT-WROTE 120" 90
	virsh -q managedsave rs-m >/dev/null 2>&1 &
	local save=$!
	# Kill libvirtd once the save has begun writing its image.
	local image=/var/lib/libvirt/qemu/save/rs-m.save
	for _ in $(seq 500); do [ -s "$image" ] && break; sleep 0.01; done
	kill_libvirtd
	wait "$save" || true
	start_libvirtd
	local state
	state=$(wait_settled rs-m)
	# Either libvirt recovered the interrupted save job and the guest runs
	# on, or the save had completed and the image restores it: never the
	# template point, never a boot.
	if [ "$state" = "shut off" ]; then
		timeout 60 virsh -q start rs-m
		virsh domstate rs-m --reason | grep -q 'running (restored)'
	fi
	echo "libvirtd killed during managedsave: the clone was '$state' afterwards" >&3
	assert_runs_template_guest rs-m "$token"
	run ! grep -q VT-BOOT "$(console_log rs-m)"
	assert_no_stray_qemu
	virt-template -q delete --force rm
}
