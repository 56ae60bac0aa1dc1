# virt-template check against the private libvirtd: healthy; the hook
# removed, installed while libvirtd did not look, and at mode 0700; and
# /dev/kvm at 0600. Each case asserts the lines of the items it changes.

load helpers
load daemon

# The harness's private copy (isolated.sh --hook): /etc/libvirt is a
# private mount here.
HOOK=/etc/libvirt/hooks/qemu.d/virt-template

setup_file() {
	cp -p "$HOOK" "$BATS_FILE_TMPDIR/hook"
}

# Puts the hook back as the harness installed it, and makes libvirtd look
# for hooks again if a test restarted it without one.
teardown() {
	if ! cmp -s "$BATS_FILE_TMPDIR/hook" "$HOOK" || [ "$(stat -c %a "$HOOK")" != 755 ]; then
		install -m 0755 "$BATS_FILE_TMPDIR/hook" "$HOOK"
	fi
	if [ -e "$BATS_FILE_TMPDIR/reload" ]; then
		rm "$BATS_FILE_TMPDIR/reload"
		kill -HUP "$(LIBVIRTD_PID)"
		wait_hook_run_pass
	fi
}

# The output of the last run has exactly line $1.
has_line() {
	grep -Fxq -- "$1" <<<"$output" || {
		printf 'no line\n  %s\nin\n%s\n' "$1" "$output" >&2
		return 1
	}
}

# No line of the output of the last run matches extended regex $1.
lacks_line() {
	if grep -Eq -- "$1" <<<"$output"; then
		printf 'a line matches %s in\n%s\n' "$1" "$output" >&2
		return 1
	fi
}

# The last run failed with exactly $1 FAIL items, and said so on stderr.
# shellcheck disable=SC2154 # bats' run sets $status, $output and $stderr
failed_with() {
	[ "$status" -eq 1 ] || { echo "status $status, not 1" >&2; return 1; }
	[ "$(grep -c '^FAIL  ' <<<"$output")" -eq "$1" ] || { echo "not $1 FAIL lines: $output" >&2; return 1; }
	[[ $stderr =~ ^virt-template:\ error:\ $1\ of\ [0-9]+\ checks\ failed$ ]] ||
		{ echo "stderr: $stderr" >&2; return 1; }
}

HOOK_FILE_PASS="PASS  hook file    '$HOOK': root, mode 0755"
HOOK_RUN_PASS="PASS  hook run     libvirtd runs '$HOOK': it refused a test domain at prepare (nothing ran)"
HOOK_RUN_FAIL="FAIL  hook run     libvirtd started a test domain that the hook refuses: it does not run '$HOOK'"

# libvirtd reloads on SIGHUP in a thread of its own: until the hook runs.
wait_hook_run_pass() {
	for _ in $(seq 20); do
		virt-template check | grep -Fxq -- "$HOOK_RUN_PASS" && return 0
		sleep 0.5
	done
	echo "libvirtd does not run $HOOK after SIGHUP" >&2
	return 1
}

# The probe domain of the hook run check leaves nothing: no domain, no log.
assert_no_probe_left() {
	local left
	left=$(virsh list --all --name; find /var/log/libvirt/qemu -name 'virt-template-check-*')
	[[ $left != *virt-template-check-* ]] || { echo "left behind: $left" >&2; return 1; }
}

# "item|status" per line, from the text or from the JSON.
text_verdicts() { sed -E 's/^(PASS|WARN|FAIL)  (.{12}) .*/\2|\1/; s/ +\|/|/'; }
json_verdicts() { jq -r '.checks[] | "\(.item)|\(.status)"'; }

@test "healthy: exit 0, the hook installed and run by libvirtd, /dev/kvm as this host has it; --json agrees" {
	run --separate-stderr virt-template check
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	has_line "$HOOK_FILE_PASS"
	has_line "$HOOK_RUN_PASS"
	lacks_line '^FAIL'
	if [ -c /dev/kvm ]; then
		# isolated.sh's fix_kvm made it so.
		has_line "PASS  /dev/kvm     root:kvm 0660: the QEMU user can open it"
		grep -Eq '^(PASS  KVM          a test vCPU ran to its halt in [0-9]+ ms|WARN  KVM          KVM does not run guest code here: )' <<<"$output"
	else
		has_line "WARN  /dev/kvm     no '/dev/kvm': guests can only run under TCG (--virt-type qemu, ~10x slower); fix: enable virtualisation in the firmware; modprobe kvm_intel or kvm_amd"
		lacks_line '^....  KVM ' # nothing to run a vCPU on
	fi
	assert_no_probe_left
	local text=$output
	run --separate-stderr virt-template check --json
	[ "$status" -eq 0 ]
	jq -e '.result != "FAIL"' <<<"$output"
	jq -e --arg msg "libvirtd runs '$HOOK': it refused a test domain at prepare (nothing ran)" \
		'[.checks[] | select(.item == "hook run")] == [{item: "hook run", status: "PASS", message: $msg, fix: null}]' <<<"$output"
	[ "$(json_verdicts <<<"$output")" = "$(text_verdicts <<<"$text")" ]
}

@test "the hook removed: FAIL for the hook file and for the hook run, each with its fix; back without a restart" {
	rm "$HOOK"
	run --separate-stderr virt-template check
	failed_with 2
	has_line "FAIL  hook file    no hook at '$HOOK' (No such file or directory): clones cannot start; fix: install virt-template (the package, or make install) and reload libvirtd"
	has_line "$HOOK_RUN_FAIL; fix: fix the hook file (above), then systemctl reload libvirtd (or kill -HUP the libvirtd of this host)"
	assert_no_probe_left
	run --separate-stderr virt-template check --json
	jq -e '.result == "FAIL"' <<<"$output"
	[ "$(jq -r '.checks[] | select(.status == "FAIL") | .item' <<<"$output" | paste -sd,)" = "hook file,hook run" ]
	# libvirtd lists qemu.d at each call once it has found a hook there.
	install -m 0755 "$BATS_FILE_TMPDIR/hook" "$HOOK"
	run --separate-stderr virt-template check
	[ "$status" -eq 0 ]
	has_line "$HOOK_FILE_PASS"
	has_line "$HOOK_RUN_PASS"
}

@test "the hook installed after libvirtd started without one: the hook file passes, the hook run FAILs until SIGHUP" {
	rm "$HOOK"
	touch "$BATS_FILE_TMPDIR/reload"
	stop_daemon libvirtd
	start_libvirtd
	install -m 0755 "$BATS_FILE_TMPDIR/hook" "$HOOK"
	run --separate-stderr virt-template check
	failed_with 1
	has_line "$HOOK_FILE_PASS"
	has_line "$HOOK_RUN_FAIL; fix: systemctl reload libvirtd (or kill -HUP the libvirtd of this host): it looks for hooks when it starts and on SIGHUP"
	assert_no_probe_left
	# The fix it gives works.
	rm "$BATS_FILE_TMPDIR/reload"
	kill -HUP "$(LIBVIRTD_PID)"
	wait_hook_run_pass
}

@test "a root hook at mode 0700: libvirtd runs it, and both hook items pass" {
	chmod 0700 "$HOOK"
	run --separate-stderr virt-template check
	[ "$status" -eq 0 ]
	has_line "PASS  hook file    '$HOOK': root, mode 0700"
	has_line "$HOOK_RUN_PASS"
}

# Runs virt-template check "$@" in a mount namespace of its own, whose /dev
# has a few nodes and a /dev/kvm of mode $1, root:kvm (a copy of the host's
# node, or a kvm node where this host has none). /dev itself is the host's,
# shared with every libvirtd and test run here: it is left alone, and so
# libvirtd still sees the host's /dev/kvm.
check_with_kvm_mode() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare -m --propagation private -- bash -c '
		set -e
		dev=$(mktemp -d)
		mount -t tmpfs -o mode=0755 vt-check-dev "$dev"
		cp -a /dev/null /dev/zero /dev/full /dev/random /dev/urandom "$dev"/
		if [ -c /dev/kvm ]; then cp -a /dev/kvm "$dev"/kvm; else mknod "$dev"/kvm c 10 232; fi
		chown root:kvm "$dev"/kvm
		chmod "$1" "$dev"/kvm
		mount --move "$dev" /dev
		rmdir "$dev"
		shift
		exec virt-template check "$@"' check-kvm "$@"
}

# The QEMU user's uid, from libvirt's DAC label (+UID:+GID).
qemu_uid() { virsh capabilities | sed -n "s|.*<baselabel type='qemu'>+\([0-9]*\):+[0-9]*<.*|\1|p" | head -n 1; }

@test "/dev/kvm at 0600: FAIL, the QEMU user cannot open it, with the fix (0660 passes); the host's /dev untouched" {
	getent group kvm >/dev/null || skip "this host has no group kvm"
	local uid host_kvm
	uid=$(qemu_uid)
	[ -n "$uid" ]
	[ "$uid" != 0 ] || skip "QEMU runs as root here: any /dev/kvm mode lets it in"
	host_kvm=$(stat -c '%a %G %Z' /dev/kvm 2>&1 || true)
	run --separate-stderr check_with_kvm_mode 0600
	failed_with 1
	has_line "FAIL  /dev/kvm     uid 0, group kvm, mode 0600: the QEMU user (uid $uid) cannot open it; libvirt then re-probes QEMU at every start (~60 s) and KVM guests fail; fix: chgrp kvm /dev/kvm && chmod 0660 /dev/kvm (udev's 50-udev-default.rules does it at boot)"
	if [ ! -c /dev/kvm ]; then
		# The node is there, but no KVM behind it.
		has_line "WARN  KVM          KVM does not run guest code here: cannot open '/dev/kvm': No such device; fix: create templates with --virt-type qemu (TCG), or see dmesg for why KVM fails"
	fi
	# The same node at the mode udev gives it: the FAIL was the mode's.
	run --separate-stderr check_with_kvm_mode 0660
	[ "$status" -eq 0 ]
	has_line "PASS  /dev/kvm     root:kvm 0660: the QEMU user can open it"
	lacks_line '^FAIL'
	[ "$(stat -c '%a %G %Z' /dev/kvm 2>&1 || true)" = "$host_kvm" ]
}
