#!/bin/bash
# The README's demo: builds virt-template, starts a private libvirtd (it
# neither needs nor touches a host libvirtd), boots the bundled tiny guest
# as a template, saves it, starts 5 clones with plain `virsh start`, and
# prints timings and memory. Run as root on Debian 12.
#   VT_DEMO_CLONES=N   number of clones (default 5)
#   VT_VIRT_TYPE=T     domain type; default: "kvm" where KVM really boots the
#                      guest, else "qemu" (TCG), found by tests/guest/probe-accel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

outside() {
	bash scripts/install-deps.sh
	bash scripts/build.sh
	tests/guest/build-guest.sh
	eval "$(tests/guest/build-guest.sh --print-paths | sed 's/^/export VT_GUEST_/')"
	VT_VIRT_TYPE=$(tests/guest/probe-accel.sh)
	export VT_VIRT_TYPE
	export VT_STATEDIR=/var/lib/virt-template VT_MEMDIR=/var/lib/virt-template/.memory \
		VT_DISKDIR=/var/lib/virt-template/.disks VT_RUNDIR=/run/virt-template
	export VIRT_TEMPLATE_DATADIR="$top/xml-templates" PATH="$top:$PATH"
	exec tests/harness/isolated.sh --hook "$top/virt-template-hook" -- bash "$0" --inside
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Division without bc, which a fresh machine may lack: div A B DECIMALS.
div() { awk -v a="$1" -v b="$2" -v d="$3" 'BEGIN { printf "%.*f", d, a / b }'; }

pss_kib() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }

# wait_console DOMAIN REGEX: up to 60 s for REGEX on the domain's console.
wait_console() {
	local log=/var/log/libvirt/qemu/$1-console.log i
	for i in $(seq 600); do
		grep -q "$2" "$log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "demo: $1 printed no '$2'" >&2
	return 1
}

inside() {
	local n=${VT_DEMO_CLONES:-5} t=demo
	echo "== template: boot the tiny guest, wait for VT-READY, save" >&2
	local t0 save_wall
	# shellcheck disable=SC2154 # outside() exports VT_GUEST_* (build-guest.sh --print-paths)
	virt-template -q create "$t" --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" \
		--virt-type "$VT_VIRT_TYPE" --memory 256
	virt-template -q save "$t" --wait-console VT-READY --timeout 120 # the guest is ready
	local info boot save state
	info=$(virt-template info "$t" --json)
	boot=$(sed -n 's/.*"boot_ms": \([0-9]*\).*/\1/p' <<<"$info")
	save=$(sed -n 's/.*"save_ms": \([0-9]*\).*/\1/p' <<<"$info")
	state=$(sed -n 's/.*"state_bytes": \([0-9]*\).*/\1/p' <<<"$info")
	# The whole save command once more, on a second template already ready.
	virt-template -q create "$t-b" --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" \
		--virt-type "$VT_VIRT_TYPE" --memory 256
	wait_console "$t-b" VT-READY
	t0=$(now_ms)
	virt-template -q save "$t-b"
	save_wall=$(($(now_ms) - t0))
	virt-template -q delete "$t-b"
	echo "== clones: define $n, then virsh start each" >&2
	virt-template -q clone "$t" --count "$n" >/dev/null
	local rows=() c start_ms pid total=0
	for i in $(seq "$n"); do
		c=$t-$i
		t0=$(now_ms)
		virsh -q start "$c" >/dev/null
		start_ms=$(($(now_ms) - t0))
		wait_console "$c" VT-TICK
		pid=$(cat "/run/libvirt/qemu/$c.pid")
		rows+=("$c $start_ms $pid")
	done
	sleep 2 # let every clone run a little before measuring memory
	echo
	echo "| what | value |"
	echo "|---|---|"
	printf '| template boot to ready marker | %s s |\n' "$(div "$boot" 1000 2)"
	printf '| template save: device state written (x-ignore-shared) | %d ms |\n' "$save"
	# shellcheck disable=SC2016 # Markdown code, not a command substitution
	printf '| template save: whole `virt-template save` command | %d ms |\n' "$save_wall"
	printf '| saved state size | %d KiB |\n' $((state / 1024))
	printf '| guest RAM (memory file) | %d MiB |\n' 256
	echo
	echo "| clone | virsh start (ms) | PSS (MiB) |"
	echo "|---|---|---|"
	local r pss
	for r in "${rows[@]}"; do
		read -r c start_ms pid <<<"$r"
		pss=$(pss_kib "$pid")
		total=$((total + pss))
		printf '| %s | %d | %s |\n' "$c" "$start_ms" "$(div "$pss" 1024 1)"
	done
	printf '| total | | %s |\n' "$(div "$total" 1024 1)"
	demo_pool "$t"
	virt-template -q delete --force "$t"
}

# pool_ready T N: up to 60 s until T's pool has N ready members and no refill.
pool_ready() {
	local i json
	for i in $(seq 600); do
		json=$(virt-template pool "$1" --json)
		if grep -q "\"ready\": $2," <<<"$json" && grep -q '"refilling": false' <<<"$json"; then
			return 0
		fi
		sleep 0.1
	done
	echo "demo: the pool of $1 never held $2 ready clones" >&2
	return 1
}

# The warm pool: clones restored and paused ahead of time; take resumes one.
demo_pool() {
	local t=$1 size=3 t0 fill takes=() c slot
	echo "== warm pool: $size clones restored and paused, then take 3 (each after the refill)" >&2
	t0=$(now_ms)
	virt-template -q pool "$t" --size "$size"
	fill=$(($(now_ms) - t0))
	slot=$(virt-template stats "$t" --json | sed -n 's/.*"pool_pss_bytes": \([0-9]*\).*/\1/p')
	for i in 1 2 3; do
		pool_ready "$t" "$size"
		t0=$(now_ms)
		c=$(virt-template -q take "$t")
		takes+=("$(($(now_ms) - t0)) ms ($c)")
	done
	echo
	echo "| warm pool | value |"
	echo "|---|---|"
	local joined
	joined=$(printf '%s, ' "${takes[@]}")
	# shellcheck disable=SC2016 # Markdown code, not command substitutions
	printf '| fill %d clones (`pool --size %d`) | %d ms |\n' "$size" "$size" "$fill"
	printf '| idle slot PSS (mean) | %s MiB |\n' "$(div "$slot" $((size * 1048576)) 1)"
	# shellcheck disable=SC2016
	printf '| `take` -> running | %s |\n' "${joined%, }"
	virt-template -q pool "$t" --size 0
}

if [ "${1:-}" = --inside ]; then inside; else outside; fi
