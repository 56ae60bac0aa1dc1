# Stopping and starting the private libvirtd (and virtlogd) from inside a
# test, as the harness started them: same configuration, log and pid files.

LIBVIRTD_PID() { cat "$VT_ISOLATED_SCRATCH/libvirtd.pid"; }

# Waits until libvirtd answers again.
wait_libvirtd() {
	for _ in $(seq 150); do
		virsh -q version >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "libvirtd did not come back" >&2
	return 1
}

# Starts libvirtd again. Not on bats's fd 3: a daemon holding it would keep
# bats waiting.
start_libvirtd() {
	libvirtd -d -p "$VT_ISOLATED_SCRATCH/libvirtd.pid" 3>&-
	wait_libvirtd
}

# Stops daemon $1 (libvirtd or virtlogd) with TERM, as a host shutdown does.
stop_daemon() {
	local pid
	pid=$(cat "$VT_ISOLATED_SCRATCH/$1.pid")
	kill -TERM "$pid"
	while [ -d "/proc/$pid" ]; do sleep 0.05; done
}

start_virtlogd() { virtlogd -d -p "$VT_ISOLATED_SCRATCH/virtlogd.pid" 3>&-; }

# A domain libvirt is launching, whose saved status has no QEMU pid yet.
in_launch_window() { grep -qs "<domstatus [^>]*pid='0'" /run/libvirt/qemu/*.xml; }

# kill -9, but never inside libvirt's own launch window: there libvirt has
# saved a starting domain's status with pid='0', and a libvirtd killed then
# leaves that domain active, with no QEMU and a start job that nothing ends
# (reconnect skips pid 0; virsh destroy: "cannot acquire state change lock").
# That is libvirt's, with or without virt-template; README "libvirtd dies".
# Freezing libvirtd makes the check and the kill one moment.
kill_libvirtd() {
	local pid
	pid=$(LIBVIRTD_PID)
	for _ in $(seq 500); do
		kill -STOP "$pid"
		if ! in_launch_window; then
			kill -9 "$pid"
			while [ -d "/proc/$pid" ]; do sleep 0.05; done
			return 0
		fi
		kill -CONT "$pid"
		sleep 0.01
	done
	echo "libvirtd stayed in its launch window for 5 s" >&2
	return 1
}

# QEMU processes of this test run: they share our network namespace (libvirt
# gives each its own mount namespace), unlike those of other runs.
our_qemus() {
	local p
	for p in $(pgrep -x qemu-system-x86); do
		if [ "/proc/$p/ns/net" -ef /proc/$$/ns/net ]; then echo "$p"; fi
	done
}

# Every QEMU of ours belongs to a domain libvirt reports running.
assert_no_stray_qemu() {
	local running qemus
	running=$(virsh list --name | grep -c . || true)
	qemus=$(our_qemus | grep -c . || true)
	[ "$running" = "$qemus" ] || { echo "$qemus QEMU processes, $running running domains" >&2; return 1; }
}
