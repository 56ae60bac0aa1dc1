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
