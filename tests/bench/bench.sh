#!/bin/bash
# The virt-template benchmark: virt-template's templates and clones side by
# side with what a libvirt user does instead, measured in one run against the
# private libvirtd of tests/harness/isolated.sh, the bundled test guest and
# a real distribution (the Debian 12 guest of tests/guest/build-distro.sh).
#
# Usage: bench.sh [--smoke] [--reps N] [--out DIR] [--distro-only] [--report]
#   --smoke    1 repetition, the 100m size only, small counts (~2 minutes);
#              the distro part is skipped (alone, at its smallest, ~4 min)
#   --reps N   repetitions of every timed figure (default 5)
#   --out DIR  where results.json, results.md and plot.png go (default bench-out)
#   --distro-only  only the distro part (~5 min at --reps 3; no plot); with
#              --smoke, at its smallest counts (1 repetition, 2 guests)
#   --report   only rebuild them from DIR's raw.tsv (give the run's options)
# Run as root (exit 77 otherwise); `make bench` runs it with the build's paths.
#
# Environment (make sets them; the defaults are those of a default build):
#   VT_SRCDIR VT_BUILDDIR  source and build trees (default: this checkout)
#   VT_STATEDIR VT_MEMDIR VT_DISKDIR VT_RUNDIR VT_CONSOLE_LOGDIR  the
#              configured dirs
#   VT_CACHE_DIR  where build-distro.sh keeps the Debian 12 guest
#   VT_BENCH_LOG_FILTERS  libvirtd log filters while measuring (default 3:*)
#   VT_BENCH_REAPER=0  don't run the private libvirtd under `tini -s` (below)
#
# What is measured, at two sizes ("100m": 256 MiB guest filling 100 MB before
# its ready marker; "1g": 1400 MiB guest filling 1000 MB):
#   cold      virsh create of a plain guest -> VT-READY on its console
#   save/restore  virsh save (time, file size), virsh restore (-> running)
#   floor     virsh create --paused of the same plain domain (-> returns), taken
#             right before each clone start
#   template  virt-template save (wall time), save_ms and state size from info
#   clone     virsh start CLONE (-> returns running) and -> its next VT-TICK
#   memory    (100m) total PSS of 1..20 running clones against 1..20 restored
#             copies; each copy is a plain guest booted, saved with virsh save
#             and restored from its own file, since one save image cannot be
#             restored twice (restore keeps the UUID; a new one fails the ABI
#             check), so that is what a libvirt user has to do
#   storm     (100m) 50 clones started by `virsh start` with 2 and 4 in
#             parallel (xargs -P), against 50 `virsh create --paused` of plain
#             domains with the same parallelism: starts per second
#   managedsave  (100m) virsh managedsave + virsh start (-> running, -> next
#             VT-TICK) of a running clone and of a plain persistent domain
#             that filled the same RAM, image sizes; the clone's PSS 5 s
#             after that start against a fresh clone's 5 s after its start
#   page cache  (100m) the floor, then sync + drop_caches and a clone start
#             (template memory on disk), then a warm start of that clone
#   memdir    (100m) template boot (create -> VT-READY), virt-template save
#             and a clone start with the memory file on disk (the default)
#             against create --memory-dir on a tmpfs under /dev/shm
#   identity  (100m) clone start with the identity channel against a clone
#             whose channel the hook does not write to, and virsh start
#             returning -> the kit's "identity applied"
#   pool      (100m) the warm pool (virt-template pool, take): P6, the whole
#             take (-> it printed a clone, which is running) from a full pool
#             with no refill running, against the floor taken right before,
#             max(REPS,10) times; one storm of 50 takes, 4 at a time, on a
#             full pool of 8, each timed (median, p90), how many found the pool
#             empty (and started a clone the ordinary way), and the storm's
#             end -> the pool full again (its clones destroyed first); the
#             fill per slot, and the PSS of an idle slot (pool of 3, from
#             virt-template stats) against a taken clone's 5 s after its take
#             (--smoke: 1 take, 4 on a pool of 2, slots read on a pool of 2); the storm's takes in
#             DIR/pool-storm.tsv (ms, 1 if it found the pool empty, the
#             clone), in the order they ended
# and for the Debian 12 guest ("distro": systemd and qemu-guest-agent on a
# qcow2 overlay of the cached image, 1 GiB, in the domain virt-install writes
# for it, tests/guest/distro-domain.sh), templated with create --from
# --wait-agent:
#   speedup   virsh start of the plain domain on a fresh overlay (cold boot)
#             and of a clone: -> running, -> the guest agent answers
#             (guest-ping through virsh qemu-agent-command, polled)
#   floor     virsh create --paused of the plain domain, transient, on a
#             throwaway overlay, right before each clone start
#   overlay   virt-template clone of one clone, and the hook's prepare (the
#             overlay reset of every fresh start) run by hand on a shut-off
#             clone, disk clone against a RAM-only clone of the bundled guest
#   memory    total PSS of 1..10 running clones (each to its agent) against
#             1..10 restored copies (each the plain domain on its own
#             overlay booted to its agent, 2 at a time, saved and restored
#             from its own file), read 10 s after the last one's agent
#             answered; the clones are destroyed first
# Times are wall clock around whole virsh/virt-template commands, from bash's
# EPOCHREALTIME (the same clock as date +%s%N, without forking date). Console
# markers are polled every 20 ms (100 ms while a 1g guest fills its RAM).
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME must use '.' as its decimal point

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
: "${VT_SRCDIR:=$(cd "$HERE/../.." && pwd)}"
: "${VT_BUILDDIR:=$VT_SRCDIR}"
: "${VT_STATEDIR:=/var/lib/virt-template}"
: "${VT_MEMDIR:=$VT_STATEDIR/.memory}"
: "${VT_DISKDIR:=$VT_STATEDIR/.disks}"
: "${VT_RUNDIR:=/run/virt-template}"
: "${VT_CONSOLE_LOGDIR:=/var/log/libvirt/qemu}"
export VT_SRCDIR VT_BUILDDIR VT_STATEDIR VT_MEMDIR VT_DISKDIR VT_RUNDIR VT_CONSOLE_LOGDIR

SMOKE=0
REPS=5
OUT=bench-out
INSIDE=0
REPORT_ONLY=0

# Guest sizes: memory (MiB) and the MB the guest fills before VT-READY.
declare -A SIZE_MIB=([100m]=256 [1g]=1400)
declare -A SIZE_FILL=([100m]=100 [1g]=1000)
SIZES=(100m 1g)
MEM_COUNTS=(1 5 10 20) # clone / restored-copy counts on the memory curve
STORM_N=50
STORM_PAR=(2 4)
# The warm pool: the pool's size while its slots' memory is read and for
# P6, P6's takes (at least 10, REPS if more: set after the options), and
# the storm: the pool's size, the takes and how many at a time. --smoke
# takes once for P6 and storms 4 takes on a pool of 2 (each slot filled
# costs a restore, 1-3 s here: a pool of 8 filled and refilled would
# double the phase), so that some of them find the pool empty.
POOL_SIZE=3
POOL_TAKES=10
POOL_STORM_SIZE=8
POOL_STORM_N=50
POOL_STORM_PAR=4
PREFIX=vtb # every domain of the benchmark starts with this
# The distro part: run it at all, or only it; its memory curve; how many
# plain guests boot at once for the restored copies (one per core: TCG); how
# many hook prepares of each kind a repetition times.
DISTRO=1
DISTRO_ONLY=0
DISTRO_COUNTS=(1 5 10)
DISTRO_BOOT_PAR=2
DISTRO_HOOK_CALLS=20
# Seconds the distro guests run before their PSS is read: under TCG a
# guest's QEMU translates code for its first seconds (a clone: 37 MiB
# anonymous when its agent first answers, 108 MiB 2 s later, 114 MiB from
# 5 s on), and the last guest started must be as far along as the first.
DISTRO_SETTLE_S=10
# Why --smoke skips it: one Debian boot to its agent takes ~21 s under TCG
# here, and the part needs four (the template, a cold boot, two copies).
DISTRO_SMOKE_SKIP="skipped in --smoke: at its smallest (1 repetition, 2 guests) it takes ~4 min under TCG (four Debian boots to the agent, ~21 s each, the saves and restores), past the smoke's 2 minutes; --smoke --distro-only runs it alone"

usage() { sed -n '7,14s/^# \{0,1\}//p' "$SELF"; }
say() { echo "bench: $*" >&2; }
die() { say "error: $*"; exit 1; }

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		--smoke) SMOKE=1 ;;
		--reps) if [ $# -lt 2 ] || ! [[ $2 =~ ^[1-9][0-9]*$ ]]; then usage >&2; exit 2; fi
			REPS=$2; shift ;;
		--out) [ $# -ge 2 ] || { usage >&2; exit 2; }
			OUT=$2; shift ;;
		--distro-only) DISTRO_ONLY=1 ;;
		--inside) INSIDE=1 ;;
		--report) REPORT_ONLY=1 ;;
		-h | --help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	if [ "$SMOKE" = 1 ]; then
		REPS=1 SIZES=(100m) MEM_COUNTS=(1 3) STORM_N=4 DISTRO_COUNTS=(1 2) DISTRO_HOOK_CALLS=5 DISTRO_SETTLE_S=2
		[ "$DISTRO_ONLY" = 1 ] || DISTRO=0
	fi
	if [ "$SMOKE" = 1 ]; then
		POOL_SIZE=2 POOL_TAKES=1 POOL_STORM_SIZE=2 POOL_STORM_N=4
	elif [ "$REPS" -gt "$POOL_TAKES" ]; then
		POOL_TAKES=$REPS
	fi
}

# --- timing and records --------------------------------------------------------

# Clock: t=${EPOCHREALTIME/./} is microseconds now, read without a fork (a
# $(...) would fork between the command and the clock).

# timed VAR CMD...: run CMD, set VAR to its wall time in ms.
timed() {
	local -n _ms=$1
	shift
	local t0=${EPOCHREALTIME/./}
	"$@"
	_ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
}

# rec SECTION KEY VALUE: one raw figure; results.json is built from these.
rec() {
	printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$OUT/raw.tsv"
	say "  $1 $2 = $3"
}

# meta KEY VALUE: a string about the run (versions, load), for results.json.
meta() { printf '%s\t%s\n' "$1" "$2" >>"$OUT/meta.tsv"; }

# --- outside the isolated libvirtd -------------------------------------------

# gnuplot draws the plot, jq builds the JSON, the distro part needs
# virt-install (tests/guest/distro-domain.sh) and qemu-img; install them the
# way the project's other scripts install packages (Debian, root).
ensure_tools() {
	local missing=()
	command -v jq >/dev/null || missing+=(jq)
	command -v gnuplot >/dev/null || missing+=(gnuplot-nox)
	if [ "$DISTRO" = 1 ]; then
		command -v virt-install >/dev/null || missing+=(virtinst)
		command -v qemu-img >/dev/null || missing+=(qemu-utils)
	fi
	[ ${#missing[@]} = 0 ] && return 0
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; } ||
		die "cannot install ${missing[*]}"
}

# How busy the machine is besides us: other engineers' tests share it.
record_noise() {
	meta "loadavg_$1" "$(cut -d' ' -f1-3 /proc/loadavg)"
	meta "other_qemu_processes_$1" "$(pgrep -c -f '^/usr/bin/qemu-system' || true)"
	meta "mem_available_kib_$1" "$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)"
}

# QEMU is a daemon: when it exits, its parent is the nearest subreaper or PID
# 1, and libvirt (destroy, and the end of save) waits until the zombie is
# gone. Some machines' PID 1 reaps only every second or two (this project's
# did: ~1.5 s per QEMU exit), which no systemd host has. `tini -s` above the
# private libvirtd adopts its orphans (libvirtd daemonizes, so does QEMU) and
# reaps them at once. Sets array $1 to the command prefix, empty if none.
reaper_cmd() {
	local -n _cmd=$1
	_cmd=()
	[ "${VT_BENCH_REAPER:-1}" != 0 ] || return 0
	command -v tini >/dev/null || apt-get install -y -q --no-install-recommends tini >/dev/null 2>&1 ||
		{ say "no tini: QEMU exits are reaped by PID 1"; return 0; }
	_cmd=(tini -s --)
}

outside() {
	[ "$(id -u)" = 0 ] || { say "SKIP: must run as root (a private libvirtd)"; exit 77; }
	if [ ! -x "$VT_BUILDDIR/virt-template" ] || [ ! -x "$VT_BUILDDIR/virt-template-hook" ]; then
		die "build virt-template first (no $VT_BUILDDIR/virt-template)"
	fi
	ensure_tools
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	rm -f "$OUT"/raw.tsv "$OUT"/meta.tsv "$OUT"/results.json "$OUT"/results.md "$OUT"/plot.png "$OUT"/pool-storm.tsv
	"$VT_SRCDIR/tests/guest/build-guest.sh"
	eval "$("$VT_SRCDIR/tests/guest/build-guest.sh" --print-paths | sed 's/^/export VT_GUEST_/')"
	if [ "$DISTRO" = 1 ]; then
		# Built here: isolated.sh's network namespace reaches no mirror.
		"$VT_SRCDIR/tests/guest/build-distro.sh"
		eval "$("$VT_SRCDIR/tests/guest/build-distro.sh" --print-paths | sed 's/^/export VT_DISTRO_/')"
	fi
	VT_VIRT_TYPE=$("$VT_SRCDIR/tests/guest/probe-accel.sh")
	export VT_VIRT_TYPE
	export VIRT_TEMPLATE_DATADIR="$VT_SRCDIR/xml-templates"
	export PATH="$VT_BUILDDIR:$PATH"
	# libvirtd's debug log (the harness default) costs every start some time:
	# measure with warnings only; profile_starts turns debug on briefly.
	export VT_LIBVIRTD_LOG_FILTERS=${VT_BENCH_LOG_FILTERS:-3:*}

	local start=$SECONDS args=(--reps "$REPS" --out "$OUT")
	[ "$SMOKE" = 0 ] || args+=(--smoke)
	[ "$DISTRO_ONLY" = 0 ] || args+=(--distro-only)
	if [ "$DISTRO" = 0 ]; then
		say "distro part $DISTRO_SMOKE_SKIP"
		meta distro_skipped "$DISTRO_SMOKE_SKIP"
	fi
	meta started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	meta source_commit "$(git -C "$VT_SRCDIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	meta host "$(nproc) cores, $(awk '/^MemTotal:/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -r)"
	record_noise start
	local reaper=()
	reaper_cmd reaper
	meta reaper "${reaper[*]:-none (PID 1)}"
	"${reaper[@]}" "$VT_SRCDIR/tests/harness/isolated.sh" --hook "$VT_BUILDDIR/virt-template-hook" -- \
		bash "$SELF" --inside "${args[@]}"
	record_noise end
	meta duration_s $((SECONDS - start))
	report
}

# --- inside: domains and consoles ----------------------------------------------

console_of() { echo "/var/log/libvirt/qemu/$1-console.log"; }

# The console log file of running or defined domain $1, from its XML.
console_from_xml() {
	virsh dumpxml "$1" | sed -n "s|.*<log file='\([^']*\)'.*|\1|p" | head -n 1
}

# VT_GUEST_kernel and VT_GUEST_initrd come from build-guest.sh (eval in outside).
# shellcheck disable=SC2154
# Plain domain XML: name $1, memory $2 MiB, fill $3 MB; the shape
# virt-template create gives a template, minus the memory file.
plain_xml() {
	sed -e "s|<name>template</name>|<name>$1</name>|" -e "s|type='kvm'|type='$VT_VIRT_TYPE'|" \
		-e "s|<memory unit='MiB'>[0-9]*</memory>|<memory unit='MiB'>$2</memory>|" \
		-e "s|/boot/vmlinuz|$VT_GUEST_kernel|" -e "s|/boot/initrd.img|$VT_GUEST_initrd|" \
		-e "s|<cmdline>console=ttyS0</cmdline>|<cmdline>$(guest_cmdline "$3")</cmdline>|" \
		-e "s|/var/log/libvirt/qemu/template-console.log|$(console_of "$1")|" \
		"$VIRT_TEMPLATE_DATADIR/kernel-initrd.xml"
}

guest_cmdline() { echo "console=ttyS0 quiet panic=-1 vt.fill=$1"; }

# wait_console FILE ERE TIMEOUT_S INTERVAL_S: poll until FILE has a line
# matching ERE; sets WAIT_US to the time (us) it was seen.
WAIT_US=0
wait_console() {
	local file=$1 re=$2 deadline=$((SECONDS + $3)) interval=$4
	until grep -Eq -- "$re" "$file" 2>/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] ||
			die "no '$re' in $file after $3 s; console: $(tail -n 5 "$file" 2>/dev/null | tr '\n' '|')"
		sleep "$interval"
	done
	WAIT_US=${EPOCHREALTIME/./}
}

# A guest that could not fill its RAM would make the sizes meaningless.
check_fill() {
	! grep -q VT-FILL-FAILED "$1" || die "guest could not fill its RAM: $(grep VT-FILL "$1")"
}

ready_interval() { if [ "$1" = 1g ]; then echo 0.1; else echo 0.02; fi; }

domain_state() { virsh domstate "$1" 2>/dev/null | head -n 1; }

expect_running() {
	[ "$(domain_state "$1")" = running ] || die "$1 is '$(domain_state "$1")', not running"
}

# smaps_kib DOMAIN FIELD: FIELD (Pss, Anonymous, ...) of its QEMU's smaps_rollup, KiB.
smaps_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$(<"/run/libvirt/qemu/$1.pid")/smaps_rollup"; }
pss_kib() { smaps_kib "$1" Pss; }

# tcg_kib DOMAIN: Rss (KiB) of its QEMU's anonymous rwx mappings: the code
# TCG translated, private to each QEMU whatever it runs (KVM has none).
tcg_kib() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { tcg = ($2 == "rwxp" && NF == 5) } tcg && $1 == "Rss:" { s += $2 }
		END { print s + 0 }' "/proc/$(<"/run/libvirt/qemu/$1.pid")/smaps"
}

# libvirt re-probes QEMU (seconds under TCG and load) inside a start or a
# define when its cached capabilities went stale, e.g. when /dev/kvm changed
# group or mode: another libvirt stack's harness on the same machine may do
# that (tests/stacks/trixie.sh's tree has its own gid for kvm). The cache
# file is rewritten then: note_reprobes PHASE says whether PHASE saw one,
# whose figures may then hold such an outlier.
CAPS_STAMP=
note_reprobes() {
	local now
	now=$(stat -c %y /var/cache/libvirt/qemu/capabilities/*.xml 2>/dev/null | sort | tail -n 1)
	if [ -n "$CAPS_STAMP" ] && [ "$now" != "$CAPS_STAMP" ]; then
		say "warning: libvirt re-probed QEMU during $1 (stale capabilities; /dev/kvm is $(stat -c '%U:%g %a' /dev/kvm 2>/dev/null || echo absent)): its figures may hold an outlier"
		meta "caps_reprobed_$1" "$(stat -c '%U:%g %a' /dev/kvm 2>/dev/null || echo absent)"
	fi
	CAPS_STAMP=$now
}

# Between phases: nothing of ours may be left, and memory must come back;
# the phase's duration (since the last assert_clean) goes to the metadata.
PHASE_START=0
assert_clean() {
	note_reprobes "$1"
	meta "phase_s_$1" $((SECONDS - PHASE_START))
	PHASE_START=$SECONDS
	local left
	left=$(virsh list --all --name | sed '/^$/d')
	[ -z "$left" ] || die "after $1, domains are left: $(echo "$left" | tr '\n' ' ')"
	# The default memory and disk directories are inside the store, as
	# .memory and .disks.
	[ -z "$(find "$VT_STATEDIR" "$VT_MEMDIR" "$VT_DISKDIR" -mindepth 1 -maxdepth 1 \
		! -name .lock ! -name .memory ! -name .disks 2>/dev/null)" ] ||
		die "after $1, templates are left in $VT_STATEDIR, $VT_MEMDIR or $VT_DISKDIR"
	meta "mem_available_kib_after_$1" "$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)"
}

# Parallel destroy: a storm leaves up to 50 domains running.
destroy_all() {
	local doms
	doms=$(virsh list --name | grep "^$PREFIX" || true)
	[ -z "$doms" ] || echo "$doms" | xargs -P 4 -n 1 virsh -q destroy >/dev/null
}

# boot_template T SIZE [CREATE_ARGS...]: virt-template create (no wait) +
# wait for VT-READY: the template ready to save. Sets BOOT_MS to the time
# from create to VT-READY.
BOOT_MS=0
boot_template() {
	local t=$1 size=$2 log t0
	shift 2
	t0=${EPOCHREALTIME/./}
	virt-template -q create "$t" --kernel "$VT_GUEST_kernel" --initrd "$VT_GUEST_initrd" \
		--virt-type "$VT_VIRT_TYPE" --memory "${SIZE_MIB[$size]}" --cmdline "$(guest_cmdline "${SIZE_FILL[$size]}")" "$@"
	log=$(console_from_xml "$t")
	wait_console "$log" 'VT-READY' 900 "$(ready_interval "$size")"
	BOOT_MS=$(((WAIT_US - t0) / 1000))
	check_fill "$log"
}

# JSON field $2 (an integer) of `virt-template info $1 --json`.
info_field() { virt-template info "$1" --json | jq -r ".$2"; }

# --- inside: phases ------------------------------------------------------------

# cold boot -> VT-READY, then virsh save / restore of that same guest.
phase_cold_save_restore() {
	local size=$1 r name xml file ms bytes log
	say "[$size] cold boot, virsh save, virsh restore"
	for ((r = 1; r <= REPS; r++)); do
		name=$PREFIX-cold-$size-$r xml=$WORK/$name.xml file=$WORK/$name.save
		log=$(console_of "$name")
		plain_xml "$name" "${SIZE_MIB[$size]}" "${SIZE_FILL[$size]}" >"$xml"
		local t0=${EPOCHREALTIME/./}
		virsh -q create "$xml" >/dev/null
		wait_console "$log" 'VT-READY' 900 "$(ready_interval "$size")"
		rec "$size" cold_ready_ms $(((WAIT_US - t0) / 1000))
		check_fill "$log"
		timed ms virsh -q save "$name" "$file" >/dev/null
		bytes=$(stat -c %s "$file")
		rec "$size" libvirt_save_ms "$ms"
		rec "$size" libvirt_save_bytes "$bytes"
		# The image is still in the page cache: libvirt's best case.
		timed ms virsh -q restore "$file" >/dev/null
		expect_running "$name"
		rec "$size" libvirt_restore_ms "$ms"
		# For comparison with virt-template save, which ends in a destroy.
		timed ms virsh -q destroy "$name" >/dev/null
		rec "$size" libvirt_destroy_ms "$ms"
		rm -f "$file"
	done
	assert_clean "cold-$size"
}

# The least a libvirt-managed start costs: QEMU up, nothing run. Measured
# right before each clone start (same load on the machine), so that P1
# compares like with like.
# measure_floor SIZE TAG [KEY]: recorded as KEY (default floor_create_paused_ms).
measure_floor() {
	local size=$1 name=$PREFIX-floor-$1-$2 key=${3:-floor_create_paused_ms} xml ms
	xml=$WORK/$name.xml
	plain_xml "$name" "${SIZE_MIB[$size]}" "${SIZE_FILL[$size]}" >"$xml"
	timed ms virsh -q create --paused "$xml" >/dev/null
	[ "$(domain_state "$name")" = paused ] || die "$name is not paused"
	rec "$size" "$key" "$ms"
	virsh -q destroy "$name" >/dev/null
}

# start_timed DOMAIN LOG: virsh start DOMAIN -> running, then its next
# VT-TICK in console log LOG (removed first, so the tick is a new one).
# Sets START_US (when virsh was called), START_MS (-> running), TICK_MS.
START_US=0 START_MS=0 TICK_MS=0
start_timed() {
	local d=$1 log=$2
	rm -f "$log"
	START_US=${EPOCHREALTIME/./}
	virsh -q start "$d" >/dev/null
	START_MS=$(((${EPOCHREALTIME/./} - START_US) / 1000))
	expect_running "$d"
	wait_console "$log" 'VT-TICK' 60 0.02
	TICK_MS=$(((WAIT_US - START_US) / 1000))
}

# resume_clone CLONE: start_timed, and the clone must resume, not boot.
resume_clone() {
	local log
	log=$(console_from_xml "$1")
	start_timed "$1" "$log"
	! grep -q VT-BOOT "$log" || die "clone $1 booted instead of resuming"
}

# start_clone SIZE CLONE [KEY]: virsh start -> running, and -> the next
# VT-TICK, recorded as KEY_running_ms and KEY_tick_ms (KEY: clone_start).
start_clone() {
	local size=$1 c=$2 key=${3:-clone_start}
	resume_clone "$c"
	rec "$size" "${key}_running_ms" "$START_MS"
	rec "$size" "${key}_tick_ms" "$TICK_MS"
}

# One template per repetition: boot, virt-template save, then the floor and
# one clone start.
phase_template_clone() {
	local size=$1 r t c ms
	say "[$size] virt-template save, floor (virsh create --paused), clone start"
	for ((r = 1; r <= REPS; r++)); do
		t=$PREFIX-t-$size-$r c=$PREFIX-c-$size-$r
		boot_template "$t" "$size"
		timed ms virt-template -q save "$t"
		rec "$size" template_save_wall_ms "$ms"
		rec "$size" template_save_ms "$(info_field "$t" save_ms)"
		rec "$size" template_state_bytes "$(info_field "$t" state_bytes)"
		virt-template -q clone "$t" "$c" >/dev/null
		measure_floor "$size" "$r"
		start_clone "$size" "$c"
		if [ "$r" = 1 ]; then profile_starts "$t" "$size"; fi
		virsh -q destroy "$c" >/dev/null
		virt-template -q delete --force "$t"
	done
	assert_clean "template-$size"
}

# Where a start's time goes: libvirtd's debug log (qemu driver, hooks,
# commands) around one more start, kept as profile-LABEL.log in --out.
# Not a measured figure: debug logging itself slows libvirtd down.
# profile_start LABEL DOMAIN CMD...: run CMD (which starts DOMAIN), destroy it.
profile_start() {
	local label=$1 dom=$2 log=$VT_ISOLATED_SCRATCH/libvirtd.log mark t0 t1
	shift 2
	mark=$(wc -l <"$log")
	virt-admin -q daemon-log-filters "1:qemu 1:util.hook 1:util.command 3:qemu.qemu_capabilities 3:*" >/dev/null
	t0=${EPOCHREALTIME/./}
	"$@" >/dev/null
	t1=${EPOCHREALTIME/./}
	virt-admin -q daemon-log-filters "$VT_LIBVIRTD_LOG_FILTERS" >/dev/null
	{
		echo "# $*: $(((t1 - t0) / 1000)) ms with debug logging;" \
			"t0=$(date -u -d "@${t0:0:10}.${t0:10}" +%T.%6N) t1=$(date -u -d "@${t1:0:10}.${t1:10}" +%T.%6N) (UTC)"
		tail -n +"$((mark + 1))" "$log"
	} >"$OUT/profile-$label.log"
	virsh -q destroy "$dom" >/dev/null
}

# One clone start of template $1 and one plain create --paused of size $2,
# profiled.
profile_starts() {
	local t=$1 size=$2 c=$PREFIX-prof p=$PREFIX-prof-plain
	command -v virt-admin >/dev/null || return 0
	virt-template -q clone "$t" "$c" >/dev/null
	profile_start "clone-start-$size" "$c" virsh -q start "$c"
	virsh -q undefine "$c" >/dev/null
	plain_xml "$p" "${SIZE_MIB[$size]}" "${SIZE_FILL[$size]}" >"$WORK/$p.xml"
	profile_start "create-paused-$size" "$p" virsh -q create --paused "$WORK/$p.xml"
}

# pss_total DOMAIN...: sum of the QEMU processes' PSS (KiB).
pss_total() {
	local d sum=0
	for d in "$@"; do sum=$((sum + $(pss_kib "$d"))); done
	echo "$sum"
}

# Memory of N clones of one template, measured at each count on the curve.
phase_memory_clones() {
	local t=$PREFIX-mem n=${MEM_COUNTS[-1]} i c log running=() k=0
	say "[100m] memory: $n clones"
	boot_template "$t" 100m
	virt-template -q save "$t"
	virt-template -q clone "$t" --count "$n" --prefix "$PREFIX-m" >/dev/null
	for ((i = 1; i <= n; i++)); do
		c=$PREFIX-m$i
		log=$(console_from_xml "$c")
		virsh -q start "$c" >/dev/null
		wait_console "$log" 'VT-TICK' 60 0.02
		running+=("$c")
		if [ "$i" = "${MEM_COUNTS[k]}" ]; then
			sleep 2 # every guest has run a little, as a user's would
			rec 100m "clones_total_pss_kib_n$i" "$(pss_total "${running[@]}")"
			k=$((k + 1))
		fi
	done
	for c in "${running[@]}"; do rec 100m clone_pss_kib_each "$(pss_kib "$c")"; done
	# The template's RAM file stays in memory (page cache on disk, or tmpfs)
	# whether or not a clone maps a page: PSS counts only mapped pages, so an
	# upper bound adds all of it.
	rec 100m template_file_kib "$(($(stat -c '%b * %B' "$(virt-template info "$t" --json | jq -r .memory_path)") / 1024))"
	destroy_all
	virt-template -q delete --force "$t"
	assert_clean memory-clones
}

# Memory of N restored copies: N plain guests booted (together), each saved
# to its own image and restored from it, measured at each count on the curve.
phase_memory_restored() {
	local n=${MEM_COUNTS[-1]} i d xml log k=0 running=()
	say "[100m] memory: $n restored copies (boot $n, save each, restore each)"
	for ((i = 1; i <= n; i++)); do
		d=$PREFIX-r$i xml=$WORK/$d.xml
		plain_xml "$d" "${SIZE_MIB[100m]}" "${SIZE_FILL[100m]}" >"$xml"
		virsh -q create "$xml" >/dev/null
	done
	for ((i = 1; i <= n; i++)); do
		log=$(console_of "$PREFIX-r$i")
		wait_console "$log" 'VT-READY' 900 0.1
		check_fill "$log"
	done
	for ((i = 1; i <= n; i++)); do
		virsh -q save "$PREFIX-r$i" "$WORK/$PREFIX-r$i.save" >/dev/null
	done
	for ((i = 1; i <= n; i++)); do
		d=$PREFIX-r$i
		virsh -q restore "$WORK/$d.save" >/dev/null
		expect_running "$d"
		running+=("$d")
		if [ "$i" = "${MEM_COUNTS[k]}" ]; then
			sleep 2
			rec 100m "restored_total_pss_kib_n$i" "$(pss_total "${running[@]}")"
			k=$((k + 1))
		fi
	done
	for d in "${running[@]}"; do rec 100m restored_pss_kib_each "$(pss_kib "$d")"; done
	destroy_all
	rm -f "$WORK"/*.save
	assert_clean memory-restored
}

# storm_run NAMES_FILE PAR CMD...: CMD NAME for every name, PAR at a time;
# prints starts per second, and leaves each start's ms in $WORK/storm.ms in
# the order they ended. xargs exits non-zero if any CMD failed.
storm_run() {
	local names=$1 par=$2 t0 us
	shift 2
	: >"$WORK/storm.ms"
	t0=${EPOCHREALTIME/./}
	# shellcheck disable=SC2016 # expanded by the inner bash
	xargs -P "$par" -n 1 bash -c 't=${EPOCHREALTIME/./}; "$@" >/dev/null || exit 255
		echo $(((${EPOCHREALTIME/./} - t) / 1000)) >>"$0"' "$WORK/storm.ms" "$@" <"$names" >/dev/null ||
		die "storm: a start failed ($*)"
	us=$((${EPOCHREALTIME/./} - t0))
	awk -v n="$(wc -l <"$names")" -v us="$us" 'BEGIN { printf "%.3f", n / (us / 1e6) }'
}

# Do later starts of a storm take longer? Mean ms of the first and the last
# fifth of the starts (in the order they ended).
storm_slope() {
	local k=$((($(wc -l <"$WORK/storm.ms") + 4) / 5))
	rec 100m "$1_first_fifth_ms" "$(head -n "$k" "$WORK/storm.ms" | awk '{ s += $1 } END { printf "%d", s / NR }')"
	rec 100m "$1_last_fifth_ms" "$(tail -n "$k" "$WORK/storm.ms" | awk '{ s += $1 } END { printf "%d", s / NR }')"
}

# cpu_pct SECS PREFIX: CPU time the running domains named PREFIX* used in
# SECS seconds, in % of one core (started clones run; paused domains don't).
cpu_pct() {
	local d pids=() a b
	for d in $(virsh list --name --state-running | grep "^$2"); do pids+=("$(<"/run/libvirt/qemu/$d.pid")"); done
	ticks() { local p s=0 f; for p in "${pids[@]}"; do read -ra f <"/proc/$p/stat"; s=$((s + f[13] + f[14])); done; echo "$s"; }
	a=$(ticks)
	sleep "$1"
	b=$(ticks)
	awk -v d=$((b - a)) -v hz="$(getconf CLK_TCK)" -v s="$1" 'BEGIN { printf "%.1f", 100 * d / hz / s }'
}

# 50 clone starts against 50 create --paused, alternating so that the
# machine's background load falls on both alike.
phase_storm() {
	local t=$PREFIX-storm n=$STORM_N p r i rate
	say "[100m] storm: $n starts, parallelism ${STORM_PAR[*]}"
	boot_template "$t" 100m
	virt-template -q save "$t"
	virt-template -q clone "$t" --count "$n" --prefix "$PREFIX-s" >/dev/null
	: >"$WORK/clones.list"
	: >"$WORK/plain.list"
	for ((i = 1; i <= n; i++)); do
		echo "$PREFIX-s$i" >>"$WORK/clones.list"
		plain_xml "$PREFIX-p$i" "${SIZE_MIB[100m]}" "${SIZE_FILL[100m]}" >"$WORK/$PREFIX-p$i.xml"
		echo "$WORK/$PREFIX-p$i.xml" >>"$WORK/plain.list"
	done
	for p in "${STORM_PAR[@]}"; do
		for ((r = 1; r <= REPS; r++)); do
			rate=$(storm_run "$WORK/clones.list" "$p" virsh -q start)
			[ "$(virsh list --name --state-running | grep -c "^$PREFIX-s")" = "$n" ] ||
				die "storm: not every clone is running"
			rec 100m "storm_p${p}_clone_starts_per_s" "$rate"
			storm_slope "storm_p${p}_clone"
			[ "$r" != 1 ] || rec 100m "storm_p${p}_running_clones_cpu_pct" "$(cpu_pct 5 "$PREFIX-s")"
			destroy_all
			rate=$(storm_run "$WORK/plain.list" "$p" virsh -q create --paused)
			rec 100m "storm_p${p}_create_paused_per_s" "$rate"
			storm_slope "storm_p${p}_create_paused"
			destroy_all
		done
	done
	virt-template -q delete --force "$t"
	assert_clean storm
}

# --- inside: managed save, page cache, where the memory lives (100m) ----------

# The clone's PSS is read this long after its start (virsh called): a clone
# after a managed save and a fresh one, at the same moment of their lives.
PSS_AFTER_S=5

# Managed save images (libvirt's qemu driver default).
managedsave_image() { echo "/var/lib/libvirt/qemu/save/$1.save"; }

# The n of the last VT-TICK in console log $1 (0 if none).
last_tick() { sed -n 's/.*VT-TICK \([0-9][0-9]*\) .*/\1/p' "$1" | tail -n 1 | grep . || echo 0; }

# managedsave_cycle DOMAIN LOG WHAT: virsh managedsave DOMAIN (ms, image
# size), then virsh start (-> running, -> next VT-TICK), recorded as
# managedsave_WHAT_*. The start must resume DOMAIN's own state: no boot,
# and its tick counter goes on. Saved right after a tick, so that the
# restored guest has a whole tick interval left to sleep, clone and plain
# alike (libvirt pauses the guest first).
managedsave_cycle() {
	local d=$1 log=$2 what=$3 ms n
	n=$(($(last_tick "$log") + 1))
	wait_console "$log" "VT-TICK $n " 10 0.02
	timed ms virsh -q managedsave "$d" >/dev/null
	[ "$(domain_state "$d")" = "shut off" ] || die "$d is '$(domain_state "$d")' after managedsave"
	rec 100m "managedsave_${what}_ms" "$ms"
	rec 100m "managedsave_${what}_bytes" "$(stat -c %s "$(managedsave_image "$d")")"
	start_timed "$d" "$log"
	rec 100m "managedsave_${what}_start_running_ms" "$START_MS"
	rec 100m "managedsave_${what}_start_tick_ms" "$TICK_MS"
	rec 100m "managedsave_${what}_cycle_ms" $((ms + START_MS))
	rec 100m "managedsave_${what}_cycle_tick_ms" $((ms + TICK_MS))
	! grep -q VT-BOOT "$log" || die "$d booted instead of restoring its managed save"
	[ "$(last_tick "$log")" -gt "$n" ] || die "$d did not resume its own state (tick $(last_tick "$log"), was $n)"
}

# memory_after_start DOMAIN WHAT: WHAT_pss_kib and WHAT_anon_kib of
# DOMAIN's QEMU, PSS_AFTER_S after its start (START_US).
memory_after_start() {
	local d=$1 what=$2 left
	left=$((START_US + PSS_AFTER_S * 1000000 - ${EPOCHREALTIME/./}))
	[ "$left" -gt 0 ] || say "warning: $d measured $((-left / 1000)) ms later than ${PSS_AFTER_S} s after its start"
	[ "$left" -le 0 ] || sleep "$((left / 1000000)).$(printf '%06d' $((left % 1000000)))"
	rec 100m "${what}_pss_kib" "$(pss_kib "$d")"
	rec 100m "${what}_anon_kib" "$(smaps_kib "$d" Anonymous)"
}

# One repetition for the clone: a fresh start, managedsave + start, its
# memory then; destroyed (its next start is the template point again), and
# a fresh clone's memory at the same moment after its start.
managedsave_clone_rep() {
	local c=$1 fresh=$2 log
	log=$(console_from_xml "$c")
	resume_clone "$c"
	managedsave_cycle "$c" "$log" clone
	memory_after_start "$c" managedsaved_clone
	virsh -q destroy "$c" >/dev/null
	resume_clone "$fresh"
	memory_after_start "$fresh" fresh_clone
	virsh -q destroy "$fresh" >/dev/null
}

# One start from a managed save of running clone $1 (started fresh here)
# and of running plain domain $2, profiled; both end destroyed.
profile_managedsave_starts() {
	local d
	command -v virt-admin >/dev/null || { virsh -q destroy "$2" >/dev/null; return 0; }
	resume_clone "$1"
	for d in "$1" "$2"; do virsh -q managedsave "$d" >/dev/null; done
	profile_start managedsave-start-clone "$1" virsh -q start "$1"
	profile_start managedsave-start-plain "$2" virsh -q start "$2"
}

# virsh managedsave + virsh start of a clone against the same for a plain
# persistent domain of the same size that filled the same RAM (booted once,
# kept running across the repetitions), in alternating order.
phase_managedsave() {
	local t=$PREFIX-ms c=$PREFIX-ms-c fresh=$PREFIX-ms-f p=$PREFIX-ms-plain r plog
	say "[100m] managedsave + start: clone against plain domain, and the clone's PSS after"
	plog=$(console_of "$p")
	plain_xml "$p" "${SIZE_MIB[100m]}" "${SIZE_FILL[100m]}" >"$WORK/$p.xml"
	virsh -q define "$WORK/$p.xml" >/dev/null
	virsh -q start "$p" >/dev/null
	boot_template "$t" 100m # beside the plain guest's boot: not timed here
	wait_console "$plog" 'VT-READY' 900 0.1
	check_fill "$plog"
	virt-template -q save "$t"
	virt-template -q clone "$t" "$c" "$fresh" >/dev/null
	for ((r = 1; r <= REPS; r++)); do
		if ((r % 2)); then
			managedsave_clone_rep "$c" "$fresh"
			managedsave_cycle "$p" "$plog" plain
		else
			managedsave_cycle "$p" "$plog" plain
			managedsave_clone_rep "$c" "$fresh"
		fi
	done
	profile_managedsave_starts "$c" "$p"
	virsh -q undefine "$p" >/dev/null
	virt-template -q delete --force "$t"
	assert_clean managedsave
}

# Write back, then drop the page cache (and dentries, inodes), as a reboot does.
drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# The first clone start after a reboot: nothing of the template's memory
# file (nor of QEMU, libvirt, the kernel and initrd) in the page cache. The
# floor is taken right before, warm; then the caches are dropped, the clone
# started, destroyed, and started again warm.
phase_cold_cache() {
	local t=$PREFIX-cc c=$PREFIX-cc-c r file ms
	say "[100m] clone start after drop_caches, against the floor and a warm start"
	boot_template "$t" 100m
	virt-template -q save "$t"
	[ "$(info_field "$t" memory_survives_reboot)" = true ] || die "template $t's memory is not on disk"
	virt-template -q clone "$t" "$c" >/dev/null
	for ((r = 1; r <= REPS; r++)); do
		measure_floor 100m "cc-$r" cache_floor_create_paused_ms
		drop_caches
		start_clone 100m "$c" cache_cold_clone_start
		virsh -q destroy "$c" >/dev/null
		start_clone 100m "$c" cache_warm_clone_start
		virsh -q destroy "$c" >/dev/null
	done
	# What "cold" is on this machine: the whole memory file read after a drop.
	file=$(info_field "$t" memory_path)
	rec 100m cache_file_allocated_kib "$(($(stat -c '%b * %B' "$file") / 1024))"
	drop_caches
	timed ms dd if="$file" of=/dev/null bs=1M status=none
	rec 100m cache_cold_file_read_ms "$ms"
	virt-template -q delete --force "$t"
	assert_clean cold-cache
}

# A tmpfs of our own under /dev/shm (mode 1777: the QEMU user can reach
# it): the mount goes with our namespace, its directory in the host's
# /dev/shm would not, so drop_shm runs at exit too.
SHM=
drop_shm() {
	[ -n "$SHM" ] || return 0
	umount "$SHM" 2>/dev/null || umount -l "$SHM" 2>/dev/null || true
	rmdir "$SHM" 2>/dev/null || true
	SHM=
}

# memdir_rep WHERE R: a template with its memory on disk (the default) or
# on the tmpfs: boot -> ready, virt-template save, one clone start.
memdir_rep() {
	local where=$1 t=$PREFIX-md-$1-$2 c=$PREFIX-md-$1-$2-c ms args=() dir=$VT_MEMDIR
	if [ "$where" = tmpfs ]; then args=(--memory-dir "$SHM") dir=$SHM; fi
	boot_template "$t" 100m "${args[@]}"
	[ "$(info_field "$t" memory_path)" = "$dir/$t/memory" ] || die "template $t's memory is not in $dir"
	rec 100m "memdir_${where}_boot_ready_ms" "$BOOT_MS"
	timed ms virt-template -q save "$t"
	rec 100m "memdir_${where}_save_wall_ms" "$ms"
	virt-template -q clone "$t" "$c" >/dev/null
	start_clone 100m "$c" "memdir_${where}_clone_start"
	virsh -q destroy "$c" >/dev/null
	virt-template -q delete --force "$t"
}

# The template's memory file on disk against tmpfs (create --memory-dir),
# in alternating order.
phase_memdir() {
	local r
	say "[100m] template memory on disk against tmpfs: boot, save, clone start"
	SHM=$(mktemp -d /dev/shm/vtbench-XXXXXX)
	trap drop_shm EXIT
	mount -t tmpfs -o mode=0755 vtbench-shm "$SHM"
	for ((r = 1; r <= REPS; r++)); do
		if ((r % 2)); then
			memdir_rep disk "$r"
			memdir_rep tmpfs "$r"
		else
			memdir_rep tmpfs "$r"
			memdir_rep disk "$r"
		fi
	done
	drop_shm
	assert_clean memdir
}

# What the identity costs: clone start (-> running) of a clone the hook
# gives its identity (the kit applies it) against one of the same template
# whose channel has another name (the hook finds no socket of ours and
# sends nothing; the kit finds no port), in alternating order; and the time
# from virsh start returning to the kit's "identity applied" line.
identity_rep() {
	local kind=$1 c=$2 log applied_us
	log=$(console_from_xml "$c")
	resume_clone "$c"
	rec 100m "identity_${kind}_clone_start_running_ms" "$START_MS"
	if [ "$kind" = on ]; then
		wait_console "$log" "identity applied: name=$c" 30 0.02
		applied_us=$WAIT_US
		rec 100m identity_applied_after_start_ms $(((applied_us - START_US) / 1000 - START_MS))
	fi
	virsh -q destroy "$c" >/dev/null
}

phase_identity() {
	local t=$PREFIX-id r
	say "[100m] identity: clone start with the identity channel against without, and the kit's latency"
	boot_template "$t" 100m
	virt-template -q save "$t"
	virt-template -q clone "$t" "$t-on" "$t-off" >/dev/null
	virsh dumpxml --inactive "$t-off" |
		sed -e 's|org\.virt-template\.identity\.0|org.example.none.0|' \
			-e "s|/$t-off\\.identity'|/$t-off.none'|" >"$WORK/$t-off.xml"
	virsh -q define "$WORK/$t-off.xml" >/dev/null
	for ((r = 1; r <= REPS; r++)); do
		if ((r % 2)); then
			identity_rep on "$t-on"
			identity_rep off "$t-off"
		else
			identity_rep off "$t-off"
			identity_rep on "$t-on"
		fi
	done
	virt-template -q delete --force "$t"
	assert_clean identity
}

# --- inside: the warm pool (100m) ----------------------------------------------

# pool_wait_full T TIMEOUT_S: poll `virt-template pool T --json` until every
# slot is ready and no refill runs (a poll of a short pool with no refill
# running starts one, as `pool` does for a user); POOL_JSON is the last answer.
POOL_JSON=
pool_wait_full() {
	local t=$1 deadline=$((SECONDS + $2))
	until POOL_JSON=$(virt-template pool "$t" --json) &&
		[ "$(jq -r '.ready == .size and .filling == 0 and .refilling == false' <<<"$POOL_JSON")" = true ]; do
		[ "$SECONDS" -lt "$deadline" ] || die "the pool of $t is not full after $2 s: $POOL_JSON"
		sleep 0.1
	done
}

# pool_take T: virt-template take T, timed whole (TAKE_US when called,
# TAKE_MS); the clone it printed (TAKE_NAME) must be running; TAKE_EMPTY=1
# if it said the pool was empty (it started the clone the ordinary way).
TAKE_US=0 TAKE_MS=0 TAKE_NAME='' TAKE_EMPTY=0
pool_take() {
	local t=$1 out=$WORK/take.out err=$WORK/take.err
	TAKE_US=${EPOCHREALTIME/./}
	virt-template take "$t" >"$out" 2>"$err" || die "virt-template take $t failed: $(tr '\n' ' ' <"$err")"
	TAKE_MS=$(((${EPOCHREALTIME/./} - TAKE_US) / 1000))
	TAKE_NAME=$(<"$out")
	TAKE_EMPTY=0
	if grep 'is empty' "$err" >/dev/null; then TAKE_EMPTY=1; fi
	[ ! -s "$err" ] || say "  take: $(tr '\n' ' ' <"$err")"
	[ -n "$TAKE_NAME" ] || die "virt-template take $t printed no clone name"
	expect_running "$TAKE_NAME"
}

# stats_pss_kib T JQ_FILTER: mean pss_bytes (in KiB) of the domains of
# `virt-template stats T --json` that JQ_FILTER selects (0 if none).
stats_pss_kib() {
	virt-template stats "$1" --json | jq -r "[if type == \"array\" then .[0] else . end | .domains[] | select($2) | .pss_bytes]
		| if length == 0 then 0 else add / length / 1024 | floor end"
}

# The memory an idle slot costs against a running clone's: a pool of
# POOL_SIZE filled (timed: per slot), the mean PSS of its members (role
# "pool" in stats), then one take and the taken clone's PSS PSS_AFTER_S
# after the take was called.
pool_memory() {
	local t=$1 ms left c
	timed ms virt-template -q pool "$t" --size "$POOL_SIZE"
	rec 100m pool_fill_per_slot_ms $((ms / POOL_SIZE))
	pool_wait_full "$t" 300
	[ "$(virt-template stats "$t" --json | jq -r 'if type == "array" then .[0] else . end | .pool_slots')" = "$POOL_SIZE" ] ||
		say "warning: stats of $t does not count $POOL_SIZE pool slots: $(virt-template stats "$t" --json | tr -d '\n')"
	rec 100m pool_slot_pss_kib "$(stats_pss_kib "$t" '.role == "pool"')"
	pool_take "$t"
	[ "$TAKE_EMPTY" = 0 ] || die "a take found the full pool of $t empty (pool before: $POOL_JSON)"
	c=$TAKE_NAME
	left=$((TAKE_US + PSS_AFTER_S * 1000000 - ${EPOCHREALTIME/./}))
	[ "$left" -le 0 ] || sleep "$((left / 1000000)).$(printf '%06d' $((left % 1000000)))"
	[ "$(virt-template stats "$t" --json | jq -r --arg c "$c" 'if type == "array" then .[0] else . end | .domains[] | select(.name == $c) | .role')" = clone ] ||
		say "warning: stats of $t does not show the taken $c as a clone"
	rec 100m pool_taken_clone_pss_kib "$(stats_pss_kib "$t" ".name == \"$c\"")"
	virsh -q destroy "$c" >/dev/null
}

# P6: take -> a running clone printed, from a full pool with no refill
# running, against the floor (create --paused of the plain domain) taken
# right before.
pool_takes() {
	local t=$1 r
	for ((r = 1; r <= POOL_TAKES; r++)); do
		pool_wait_full "$t" 300
		measure_floor 100m "pool-$r" pool_floor_create_paused_ms
		pool_take "$t"
		[ "$TAKE_EMPTY" = 0 ] || die "take $r found the full pool of $t empty (pool before: $POOL_JSON)"
		rec 100m pool_take_running_ms "$TAKE_MS"
		virsh -q destroy "$TAKE_NAME" >/dev/null
	done
}

# A storm, once (its takes are the repetitions): a full pool of
# POOL_STORM_SIZE, then POOL_STORM_N takes, POOL_STORM_PAR at a time, each
# timed whole and noted if it found the pool empty (kept in
# $OUT/pool-storm.tsv); the taken clones run until the storm's end, when
# they are destroyed, and the pool fills up again (timed from the storm's
# end: with 50 idle TCG guests left running on 2 cores, that took 210 s).
pool_storm() {
	local t=$1 list=$WORK/pool-storm.tsv k end_us
	virt-template -q pool "$t" --size "$POOL_STORM_SIZE"
	pool_wait_full "$t" 600
	: >"$list"
	# shellcheck disable=SC2016 # expanded by the inner bash
	seq "$POOL_STORM_N" | xargs -P "$POOL_STORM_PAR" -n 1 bash -c 'o=$0/pool-take-$2 t=${EPOCHREALTIME/./}
		virt-template take "$1" >"$o.out" 2>"$o.err" || { echo "take $2: $(tr "\n" " " <"$o.err")" >&2; exit 255; }
		ms=$(((${EPOCHREALTIME/./} - t) / 1000)) e=0
		if grep "is empty" "$o.err" >/dev/null; then e=1; fi
		echo "$ms $e $(<"$o.out")" >>"$0/pool-storm.tsv"' "$WORK" "$t" ||
		die "pool storm: a take failed"
	end_us=${EPOCHREALTIME/./}
	[ "$(wc -l <"$list")" = "$POOL_STORM_N" ] || die "pool storm: $(wc -l <"$list") takes of $POOL_STORM_N reported"
	virsh list --name --state-running >"$WORK/running.list"
	awk '{ print $3 }' "$list" | grep -vxF -f "$WORK/running.list" >"$WORK/notrunning.list" || true
	[ ! -s "$WORK/notrunning.list" ] || die "pool storm: taken clones not running: $(tr '\n' ' ' <"$WORK/notrunning.list")"
	cp "$list" "$OUT/pool-storm.tsv"
	while read -r k _; do rec 100m pool_storm_take_ms "$k"; done <"$list"
	# The median as results.json's: the mean of the middle two of an even count.
	rec 100m pool_storm_take_median_ms "$(awk '{ print $1 }' "$list" | sort -n |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }')"
	rec 100m pool_storm_take_p90_ms "$(awk '{ print $1 }' "$list" | sort -n |
		awk '{ v[NR] = $1 } END { k = int(NR * 0.9); if (k < NR * 0.9) k++; print v[k] }')"
	rec 100m pool_storm_empty_takes "$(awk '$2 == 1' "$list" | wc -l)"
	rec 100m pool_storm_takes "$(wc -l <"$list")"
	awk '{ print $3 }' "$list" | xargs -P 4 -n 1 virsh -q destroy >/dev/null
	pool_wait_full "$t" 600
	rec 100m pool_storm_refill_ms $(((${EPOCHREALTIME/./} - end_us) / 1000))
}

# The warm pool of one template: memory per idle slot, P6 (take against the
# floor), and a storm of takes; delete --force drains the pool and removes
# the taken clones.
phase_pool() {
	local t=$PREFIX-pool
	say "[100m] warm pool: PSS per idle slot, $POOL_TAKES takes against the floor, storm of $POOL_STORM_N takes ($POOL_STORM_PAR in parallel, pool of $POOL_STORM_SIZE)"
	boot_template "$t" 100m
	virt-template -q save "$t"
	pool_memory "$t"
	pool_takes "$t"
	pool_storm "$t"
	virt-template -q delete --force "$t"
	assert_clean pool
}

# --- inside: a real distribution (the Debian 12 guest, "distro") ---------------

# The user's VM, never started: the domain virt-install writes for the
# cached image, on an overlay of it, in a directory of our own under
# /var/lib/libvirt/images (private to isolated.sh; virt-install makes it a
# storage pool, as for any user). One template of it for the whole part: its
# boot is the slow part under TCG. Every other distro domain is this one
# renamed, on an overlay of its own in the same directory.
DISTRO_DIR=/var/lib/libvirt/images/$PREFIX-distro
DISTRO_VM=$PREFIX-dvm
DISTRO_T=$PREFIX-dt

# VT_DISTRO_disk comes from build-distro.sh (eval in outside).
# shellcheck disable=SC2154
# distro_overlay FILE: a fresh qcow2 overlay of the cached image.
distro_overlay() {
	rm -f "$1"
	qemu-img create -q -f qcow2 -F qcow2 -b "$VT_DISTRO_disk" "$1"
}

# distro_xml NAME: the user's domain as NAME (without its UUID: libvirt makes
# one) in $WORK/NAME.xml, on a fresh overlay DISTRO_DIR/NAME.qcow2.
distro_xml() {
	local d=$1 disk=$DISTRO_DIR/$1.qcow2
	distro_overlay "$disk"
	sed -e "s|<name>$DISTRO_VM</name>|<name>$d</name>|" -e '/<uuid>/d' \
		-e "s|file=\"$DISTRO_DIR/$DISTRO_VM.qcow2\"|file=\"$disk\"|" "$WORK/$DISTRO_VM.xml" >"$WORK/$d.xml"
	grep -q "file=\"$disk\"" "$WORK/$d.xml" || die "the distro domain's disk is not $DISTRO_DIR/$DISTRO_VM.qcow2"
}

# agent_ping DOMAIN: one guest-ping through libvirt, as a user's tools ask.
agent_ping() { virsh -q qemu-agent-command "$1" --timeout 5 '{"execute":"guest-ping"}' >/dev/null 2>&1; }

# wait_agent DOMAIN TIMEOUT_S INTERVAL_S: ping until the guest agent
# answers; sets WAIT_US to when the answering call returned.
wait_agent() {
	local deadline=$((SECONDS + $2))
	until agent_ping "$1"; do
		[ "$SECONDS" -lt "$deadline" ] || die "the guest agent of $1 did not answer in $2 s"
		sleep "$3"
	done
	WAIT_US=${EPOCHREALTIME/./}
}

# distro_start_timed DOMAIN INTERVAL_S: virsh start -> running (START_MS),
# -> its guest agent answers (AGENT_MS, polled every INTERVAL_S).
AGENT_MS=0
distro_start_timed() {
	START_US=${EPOCHREALTIME/./}
	virsh -q start "$1" >/dev/null
	START_MS=$(((${EPOCHREALTIME/./} - START_US) / 1000))
	wait_agent "$1" 900 "$2"
	AGENT_MS=$(((WAIT_US - START_US) / 1000))
	expect_running "$1"
}

# The median of the integers on stdin (the lower middle of an even count).
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The user's VM and its template (virt-template create --from --wait-agent:
# the disk copied, the template booted to its agent and saved), timed whole.
distro_setup() {
	local ms
	say "[distro] the user's VM (virt-install), virt-template create --from --wait-agent"
	rm -rf "$DISTRO_DIR"
	mkdir -p "$DISTRO_DIR"
	chmod 0755 "$DISTRO_DIR"
	distro_overlay "$DISTRO_DIR/$DISTRO_VM.qcow2"
	"$VT_SRCDIR/tests/guest/distro-domain.sh" "$DISTRO_VM" "$DISTRO_DIR/$DISTRO_VM.qcow2" >"$WORK/$DISTRO_VM.xml"
	virsh -q define "$WORK/$DISTRO_VM.xml" >/dev/null
	timed ms virt-template -q create "$DISTRO_T" --from "$DISTRO_VM" --wait-agent --timeout 900
	rec distro template_create_ms "$ms"
	rec distro template_state_bytes "$(info_field "$DISTRO_T" state_bytes)"
}

# The floor for the distro domain: virsh create --paused of the plain
# domain, transient, on a throwaway overlay (made before the clock starts).
distro_floor() {
	local d=$PREFIX-dfloor-$1 ms
	distro_xml "$d"
	timed ms virsh -q create --paused "$WORK/$d.xml" >/dev/null
	[ "$(domain_state "$d")" = paused ] || die "$d is not paused"
	rec distro floor_create_paused_ms "$ms"
	virsh -q destroy "$d" >/dev/null
	rm -f "$DISTRO_DIR/$d.qcow2"
}

# One clone start of distro clone $1 (shut off) and one create --paused of
# the plain distro domain, profiled.
profile_distro_starts() {
	local p=$PREFIX-dprof
	command -v virt-admin >/dev/null || return 0
	profile_start distro-clone-start "$1" virsh -q start "$1"
	distro_xml "$p"
	profile_start distro-create-paused "$p" virsh -q create --paused "$WORK/$p.xml"
	rm -f "$DISTRO_DIR/$p.qcow2"
}

# Per repetition: a cold boot of the plain (persistent) domain on a fresh
# overlay, virsh start -> running, -> agent; then the floor and a clone
# start, -> running, -> agent; then one more ping of the clone's answering
# agent: what a poll itself costs.
phase_distro_start() {
	local c=$PREFIX-dc cold=$PREFIX-dcold r ms
	say "[distro] cold boot against a clone start (-> running, -> agent answers), floor"
	distro_xml "$cold"
	virsh -q define "$WORK/$cold.xml" >/dev/null
	virt-template -q clone "$DISTRO_T" "$c" >/dev/null
	for ((r = 1; r <= REPS; r++)); do
		[ "$r" = 1 ] || distro_overlay "$DISTRO_DIR/$cold.qcow2"
		distro_start_timed "$cold" 0.2
		rec distro cold_start_running_ms "$START_MS"
		rec distro cold_agent_ms "$AGENT_MS"
		virsh -q destroy "$cold" >/dev/null
		distro_floor "$r"
		distro_start_timed "$c" 0.02
		rec distro clone_start_running_ms "$START_MS"
		rec distro clone_agent_ms "$AGENT_MS"
		timed ms virsh -q qemu-agent-command "$c" --timeout 5 '{"execute":"guest-ping"}' >/dev/null
		rec distro agent_ping_ms "$ms"
		virsh -q destroy "$c" >/dev/null
	done
	profile_distro_starts "$c"
	virsh -q undefine "$cold" >/dev/null
	rm -f "$DISTRO_DIR/$cold.qcow2"
	note_reprobes distro-start
}

# What a clone's disk costs: virt-template clone of one clone of the distro
# template against one of a RAM-only template of the bundled guest (100m),
# and the hook's prepare, which resets a disk clone's overlay (a copy of
# the pristine one, fsynced) before every fresh start. prepare is run by
# hand, as libvirt runs it (CLONE prepare begin -, the clone's XML on
# stdin), on shut-off clones: safe, it only resets their files as their
# next start would. DISTRO_HOOK_CALLS of each kind, alternating; a
# repetition records their medians.
phase_distro_overlay() {
	local rt=$PREFIX-dram r i k t ms t0 kinds
	say "[distro] overlay cost: virt-template clone and the hook's prepare, disk clone against RAM-only"
	boot_template "$rt" 100m
	virt-template -q save "$rt"
	for ((r = 1; r <= REPS; r++)); do
		if ((r % 2)); then kinds=(disk ram); else kinds=(ram disk); fi
		for k in "${kinds[@]}"; do
			if [ "$k" = disk ]; then t=$DISTRO_T; else t=$rt; fi
			timed ms virt-template -q clone "$t" "$PREFIX-dc$k$r" >/dev/null
			rec distro "clone_cmd_${k}_ms" "$ms"
		done
	done
	for k in disk ram; do virsh dumpxml "$PREFIX-dc${k}1" >"$WORK/hook-$k.xml"; done
	for ((r = 1; r <= REPS; r++)); do
		: >"$WORK/hook-disk.us"
		: >"$WORK/hook-ram.us"
		for ((i = 1; i <= DISTRO_HOOK_CALLS; i++)); do
			for k in disk ram; do
				t0=${EPOCHREALTIME/./}
				"$VT_BUILDDIR/virt-template-hook" "$PREFIX-dc${k}1" prepare begin - <"$WORK/hook-$k.xml"
				echo $((${EPOCHREALTIME/./} - t0)) >>"$WORK/hook-$k.us"
			done
		done
		for k in disk ram; do rec distro "hook_prepare_${k}_us" "$(median <"$WORK/hook-$k.us")"; done
	done
	rec distro overlay_bytes "$(stat -c %s "$(virsh domblklist "$PREFIX-dcdisk1" --details | awk '$2 == "disk" { print $4; exit }')")"
	# The prepares by hand left the clone as its next start expects.
	distro_start_timed "$PREFIX-dcdisk1" 0.02
	virsh -q destroy "$PREFIX-dcdisk1" >/dev/null
	virt-template -q delete --force "$rt"
	note_reprobes distro-overlay
}

# Memory of N distro clones, each started and waited for until its agent
# answers, measured at each count on the curve; destroyed at the end.
phase_distro_memory_clones() {
	local n=${DISTRO_COUNTS[-1]} i c running=() k=0
	say "[distro] memory: $n clones, each to its agent"
	virt-template -q clone "$DISTRO_T" --count "$n" --prefix "$PREFIX-dm" >/dev/null
	for ((i = 1; i <= n; i++)); do
		c=$PREFIX-dm$i
		virsh -q start "$c" >/dev/null
		wait_agent "$c" 120 0.05
		running+=("$c")
		if [ "$i" = "${DISTRO_COUNTS[k]}" ]; then
			sleep "$DISTRO_SETTLE_S"
			rec distro "clones_total_pss_kib_n$i" "$(pss_total "${running[@]}")"
			k=$((k + 1))
		fi
	done
	for c in "${running[@]}"; do
		rec distro clone_pss_kib_each "$(pss_kib "$c")"
		rec distro clone_anon_kib_each "$(smaps_kib "$c" Anonymous)"
		rec distro clone_tcg_kib_each "$(tcg_kib "$c")"
	done
	rec distro template_file_kib "$(($(stat -c '%b * %B' "$(info_field "$DISTRO_T" memory_path)") / 1024))"
	destroy_all
	note_reprobes distro-memory-clones
}

# distro_save_when_up DOMAIN...: virsh save each booting domain to
# $WORK/DOMAIN.save as soon as its agent answers (pinged in turn), the
# point at which create --wait-agent saves the template.
distro_save_when_up() {
	local pending=("$@") left d ms deadline=$((SECONDS + 900))
	while [ ${#pending[@]} -gt 0 ]; do
		left=()
		for d in "${pending[@]}"; do
			if agent_ping "$d"; then
				timed ms virsh -q save "$d" "$WORK/$d.save" >/dev/null
				rec distro libvirt_save_ms "$ms"
				rec distro libvirt_save_bytes "$(stat -c %s "$WORK/$d.save")"
			else
				left+=("$d")
			fi
		done
		pending=("${left[@]}")
		[ ${#pending[@]} = 0 ] || [ "$SECONDS" -lt "$deadline" ] ||
			die "the guest agent of ${pending[*]} did not answer in 900 s"
		[ ${#pending[@]} = 0 ] || sleep 0.2
	done
}

# Memory of N restored copies of the plain distro domain: each on its own
# overlay, booted to its agent (DISTRO_BOOT_PAR at a time: TCG, one core
# each), saved to its own image; then each restored, waited for until its
# agent answers, measured at each count on the curve.
phase_distro_memory_restored() {
	local n=${DISTRO_COUNTS[-1]} i j d ms k=0 batch running=()
	say "[distro] memory: $n restored copies (booted to the agent $DISTRO_BOOT_PAR at a time, saved, restored)"
	for ((i = 1; i <= n; i += DISTRO_BOOT_PAR)); do
		batch=()
		for ((j = i; j < i + DISTRO_BOOT_PAR && j <= n; j++)); do
			d=$PREFIX-dr$j
			distro_xml "$d"
			virsh -q create "$WORK/$d.xml" >/dev/null
			batch+=("$d")
		done
		distro_save_when_up "${batch[@]}"
	done
	for ((i = 1; i <= n; i++)); do
		d=$PREFIX-dr$i
		timed ms virsh -q restore "$WORK/$d.save" >/dev/null
		expect_running "$d"
		rec distro libvirt_restore_ms "$ms"
		wait_agent "$d" 120 0.05
		running+=("$d")
		if [ "$i" = "${DISTRO_COUNTS[k]}" ]; then
			sleep "$DISTRO_SETTLE_S"
			rec distro "restored_total_pss_kib_n$i" "$(pss_total "${running[@]}")"
			k=$((k + 1))
		fi
	done
	for d in "${running[@]}"; do
		rec distro restored_pss_kib_each "$(pss_kib "$d")"
		rec distro restored_anon_kib_each "$(smaps_kib "$d" Anonymous)"
		rec distro restored_tcg_kib_each "$(tcg_kib "$d")"
	done
	destroy_all
	rm -f "$WORK/$PREFIX"-dr*.save "$DISTRO_DIR/$PREFIX"-dr*.qcow2
	note_reprobes distro-memory-restored
}

# The user's VM and its directory go, and the pool virt-install made of it.
distro_teardown() {
	local p
	virsh -q undefine "$DISTRO_VM" >/dev/null
	for p in $(virsh pool-list --all --name); do
		virsh pool-dumpxml "$p" | grep "<path>$DISTRO_DIR</path>" >/dev/null || continue
		virsh -q pool-destroy "$p" >/dev/null 2>&1 || true
		virsh -q pool-undefine "$p" >/dev/null
	done
	rm -rf "$DISTRO_DIR"
	assert_clean distro
}

# The clones are measured and destroyed, and the template deleted, before
# the copies boot: 20 systemd guests under TCG on 2 cores would be heavy.
phase_distro() {
	: "${VT_DISTRO_disk:?}" # exported by outside()
	meta distro_guest "Debian 12, systemd + qemu-guest-agent, 1 GiB, 1 vCPU, qcow2 overlay (virt-install's domain)"
	distro_setup
	phase_distro_start
	phase_distro_overlay
	phase_distro_memory_clones
	virt-template -q delete --force "$DISTRO_T"
	phase_distro_memory_restored
	distro_teardown
}

inside() {
	: "${VT_GUEST_kernel:?} ${VT_GUEST_initrd:?}" # exported by outside()
	WORK=$VT_ISOLATED_SCRATCH/bench # save images and XML: removed with the scratch
	mkdir -p "$WORK"
	meta libvirt "libvirt $(libvirtd --version | awk '{print $NF}')"
	meta qemu "$(virsh version | sed -n 's/^Running hypervisor: //p')"
	meta virt_type "$VT_VIRT_TYPE"
	meta ksm_run "$(cat /sys/kernel/mm/ksm/run 2>/dev/null || echo n/a)"
	note_reprobes start
	local size
	if [ "$DISTRO_ONLY" = 0 ]; then
		for size in "${SIZES[@]}"; do
			phase_cold_save_restore "$size"
			phase_template_clone "$size"
		done
		phase_memory_clones
		phase_memory_restored
		phase_storm
		phase_managedsave
		phase_cold_cache
		phase_memdir
		phase_identity
		phase_pool
	fi
	[ "$DISTRO" = 0 ] || phase_distro
}

# --- report: results.json, results.md, plot.png --------------------------------

# A profiled start (profile-$1.log) as "ms<TAB>event" lines, ms since the
# virsh command was called: the milestones of libvirt's qemuProcessStart and
# of the hook calls, from libvirtd's debug log.
profile_json() {
	profile_summary "$1" | jq -R -s '[split("\n")[] | select(length > 0) | split("\t") | {event: .[1], ms: (.[0] | tonumber)}]'
}

profile_summary() {
	local log=$OUT/profile-$1.log
	[ -s "$log" ] || return 0
	awk '
		function sec(date, time,  a) { split(time, a, ":"); return a[1] * 3600 + a[2] * 60 + substr(a[3], 1, 6) }
		function ev(name) { if (!(name in seen)) { seen[name] = 1; printf "%d\t%s\n", (sec($1, $2) - t0) * 1000 + 0.5, name } }
		NR == 1 { for (i = 1; i <= NF; i++) { if ($i ~ /^t0=/) t0 = sec("", substr($i, 4)); if ($i ~ /^t1=/) t1 = sec("", substr($i, 4)) }; next }
		/qemuProcessStart:/ { ev("libvirt: qemuProcessStart (domain start job begins)") }
		/op=prepare subop=begin/ { ev("hook prepare begin: called"); hook = "prepare" }
		/op=start subop=begin/ { ev("hook start begin: called"); hook = "start" }
		/op=started subop=begin/ { ev("hook started begin: called"); hook = "started" }
		/virCommandRun:.*Result status/ && hook != "" { ev("hook " hook " begin: returned"); hook = "" }
		/running with pid=/ { ev("QEMU forked") }
		/QEMU_MONITOR_RECV_/ { ev("QEMU monitor answers (QEMU initialised)") }
		/Verifying and updating provided guest CPU/ { ev("libvirt: guest CPU check begins (qom-get per feature)") }
		/Detecting IOThread PIDs/ { ev("libvirt: guest CPU check done") }
		/Starting domain CPUs/ { ev("libvirt: cont sent") }
		/event=MIGRATION/ { ev("QEMU: first MIGRATION event (incoming begun)") }
		/status=completed/ { ev("incoming migration completed") }
		END { printf "%d\t%s\n", (t1 - t0) * 1000 + 0.5, "virsh returned" }
	' "$log" | sort -n -s
}

# results.json: every raw figure with its median, the run's metadata and the
# ratios: targets P1..P9 and P13, and reported ones (computed from medians).
make_json() {
	local metajson
	metajson=$(jq -R -s '[split("\n")[] | select(length > 0) | split("\t") | {key: .[0], value: .[1]}] | from_entries' \
		"$OUT/meta.tsv")
	jq -R -s --argjson meta "$metajson" --argjson reps "$REPS" --argjson smoke "$SMOKE" \
		--argjson counts "$(printf '%s\n' "${MEM_COUNTS[@]}" | jq -s .)" \
		--argjson par "$(printf '%s\n' "${STORM_PAR[@]}" | jq -s .)" --argjson storm_n "$STORM_N" \
		--argjson pss_after "$PSS_AFTER_S" \
		--argjson pool "{\"size\": $POOL_SIZE, \"takes\": $POOL_TAKES, \"storm_size\": $POOL_STORM_SIZE, \"storm_takes\": $POOL_STORM_N, \"storm_parallelism\": $POOL_STORM_PAR}" \
		--argjson dcounts "$(printf '%s\n' "${DISTRO_COUNTS[@]}" | jq -s .)" --argjson hook_calls "$DISTRO_HOOK_CALLS" \
		--argjson settle "$DISTRO_SETTLE_S" \
		--argjson profile "{$(for s in 100m 1g; do
			printf '"%s": {"clone_start": %s, "create_paused": %s}' "$s" \
				"$(profile_json "clone-start-$s")" "$(profile_json "create-paused-$s")"
			printf ,
		done
		printf '"managedsave_start": {"clone": %s, "plain": %s}, "distro": {"clone_start": %s, "create_paused": %s}' \
			"$(profile_json managedsave-start-clone)" "$(profile_json managedsave-start-plain)" \
			"$(profile_json distro-clone-start)" "$(profile_json distro-create-paused)")}" '
		def median: sort | if length == 0 then null
			elif length % 2 == 1 then .[(length - 1) / 2]
			else (.[length / 2 - 1] + .[length / 2]) / 2 end;
		def ratio($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
		def minus($a; $b): if $a == null or $b == null then null else $a - $b end;
		def us_to_ms: if . == null then null else . / 1000 end;
		def target($v; $op; $t; $what):
			{value: $v, target: "\($op) \($t)", what: $what,
			 met: (if $v == null then null elif $op == "<=" then $v <= $t else $v >= $t end)};
		def report($v; $what): {value: $v, target: null, what: $what, met: null};
		[split("\n")[] | select(length > 0) | split("\t") | {s: .[0], k: .[1], v: (.[2] | tonumber)}]
		| group_by(.s)
		| map({key: .[0].s, value: (group_by(.k)
			| map({key: .[0].k, value: {raw: map(.v), median: (map(.v) | median)}}) | from_entries)})
		| from_entries as $f
		| ($counts[-1]) as $n | ($dcounts[-1]) as $dn
		| def r100($a; $b): ratio($f["100m"][$a].median; $f["100m"][$b].median);
		def dm($k): $f.distro[$k].median;
		def dm100($k): $f["100m"][$k].median;
		def rd($a; $b): ratio(dm($a); dm($b));
		{
			meta: ($meta + {reps: $reps, smoke: ($smoke == 1), memory_counts: $counts,
				storm_starts: $storm_n, storm_parallelism: $par, pss_after_start_s: $pss_after, pool: $pool,
				distro_memory_counts: $dcounts, distro_hook_calls: $hook_calls, distro_settle_s: $settle,
				sizes: {"100m": {memory_mib: 256, fill_mb: 100}, "1g": {memory_mib: 1400, fill_mb: 1000}}}),
			figures: $f,
			profile_ms: $profile,
			ratios: ((if $f["100m"] == null then {} else {
				P1: target(ratio($f["100m"].clone_start_running_ms.median; $f["100m"].floor_create_paused_ms.median);
					"<="; 1.10; "clone start (-> running) / virsh create --paused, 100m"),
				P1_1g: target(ratio($f["1g"].clone_start_running_ms.median; $f["1g"].floor_create_paused_ms.median);
					"<="; 1.10; "clone start (-> running) / virsh create --paused, 1g (extra)"),
				P2: target(ratio($f["1g"].clone_start_running_ms.median; $f["100m"].clone_start_running_ms.median);
					"<="; 1.10; "clone start (-> running) 1g / 100m"),
				P3: target(ratio($f["1g"].template_save_wall_ms.median; $f["1g"].libvirt_save_ms.median);
					"<="; 0.05; "virt-template save / virsh save, 1g"),
				P3_freeze: target(ratio($f["1g"].template_save_ms.median; $f["1g"].libvirt_save_ms.median);
					"<="; 0.05; "virt-template save_ms (freeze, without the destroy) / virsh save, 1g (extra)"),
				P4: target(ratio($f["100m"]["clones_total_pss_kib_n\($n)"].median; $f["100m"]["restored_total_pss_kib_n\($n)"].median);
					"<="; 0.35; "total PSS of \($n) clones / \($n) restored copies, 100m"),
				P4_with_file: target(ratio(($f["100m"]["clones_total_pss_kib_n\($n)"].median // null) as $c
						| if $c == null or $f["100m"].template_file_kib == null then null
						  else $c + $f["100m"].template_file_kib.median end;
						$f["100m"]["restored_total_pss_kib_n\($n)"].median);
					"<="; 0.35; "as P4, plus the whole template RAM file (extra, upper bound)"),
				P5: target([$par[] as $p | ratio($f["100m"]["storm_p\($p)_clone_starts_per_s"].median;
						$f["100m"]["storm_p\($p)_create_paused_per_s"].median)] | if any(. == null) then null else min end;
					">="; 0.9; "storm throughput clones / create --paused (worst of parallelism \($par | map(tostring) | join(", ")))"),
				P6: target(r100("pool_take_running_ms"; "pool_floor_create_paused_ms");
					"<="; 0.10; "virt-template take (-> a running clone) from a full warm pool / virsh create --paused, 100m"),
				pool_slot_vs_running: report(r100("pool_slot_pss_kib"; "pool_taken_clone_pss_kib");
					"PSS of an idle warm pool slot (mean of a pool of \($pool.size)) / a taken clone'"'"'s \($pss_after) s after its take, 100m"),
				P7: target(r100("managedsave_clone_cycle_ms"; "managedsave_plain_cycle_ms");
					"<="; 1.10; "clone virsh managedsave + virsh start (-> running) / the same for a plain domain, 100m"),
				P7_tick: target(r100("managedsave_clone_cycle_tick_ms"; "managedsave_plain_cycle_tick_ms");
					"<="; 1.10; "as P7, to the next console tick (extra)"),
				PSS_after_managedsave: report(r100("managedsaved_clone_pss_kib"; "fresh_clone_pss_kib");
					"PSS \($pss_after) s after start: clone after managedsave + start / fresh clone, 100m"),
				P8: target(r100("cache_cold_clone_start_running_ms"; "cache_floor_create_paused_ms");
					"<="; 1.5; "clone start (-> running) after drop_caches / virsh create --paused, 100m"),
				P8_warm: report(r100("cache_cold_clone_start_running_ms"; "cache_warm_clone_start_running_ms");
					"clone start (-> running) after drop_caches / warm start of the same clone, 100m"),
				P13: target(r100("identity_on_clone_start_running_ms"; "identity_off_clone_start_running_ms");
					"<="; 1.05; "clone start (-> running) with the identity channel / without, 100m"),
				identity_applied_ms: report(dm100("identity_applied_after_start_ms");
					"ms from virsh start returning to the kit'"'"'s identity applied, 100m"),
				P9: target(r100("memdir_disk_clone_start_running_ms"; "memdir_tmpfs_clone_start_running_ms");
					"<="; 1.10; "clone start (-> running), template memory on disk / on tmpfs, 100m"),
				P9_boot: report(r100("memdir_disk_boot_ready_ms"; "memdir_tmpfs_boot_ready_ms");
					"template boot (create -> VT-READY), memory on disk / on tmpfs, 100m")
			} end) + (if $f.distro == null then {} else {
				distro_speedup: report(rd("cold_agent_ms"; "clone_agent_ms");
					"distro: cold boot / clone start, virsh start -> the guest agent answers"),
				P10: target(rd("clone_start_running_ms"; "floor_create_paused_ms");
					"<="; 1.15; "distro clone start (-> running) / virsh create --paused of the plain distro domain"),
				P11: target(ratio(minus(dm("hook_prepare_disk_us"); dm("hook_prepare_ram_us")) | us_to_ms;
						dm("clone_start_running_ms"));
					"<="; 0.05; "overlay reset (hook prepare: disk clone less RAM-only clone) / distro clone start (-> running)"),
				P11_prepare: target(ratio(dm("hook_prepare_disk_us") | us_to_ms; dm("clone_start_running_ms"));
					"<="; 0.05; "whole hook prepare of the disk clone / distro clone start (extra, upper bound)"),
				P11_clone: report(ratio(minus(dm("clone_cmd_disk_ms"); dm("clone_cmd_ram_ms"));
						dm("clone_start_running_ms"));
					"virt-template clone of one clone, distro less RAM-only / distro clone start"),
				P12: target(rd("clones_total_pss_kib_n\($dn)"; "restored_total_pss_kib_n\($dn)");
					"<="; 0.35; "total PSS of \($dn) distro clones / \($dn) restored copies"),
				P12_with_file: target(ratio(if dm("clones_total_pss_kib_n\($dn)") == null or dm("template_file_kib") == null
						then null else dm("clones_total_pss_kib_n\($dn)") + dm("template_file_kib") end;
						dm("restored_total_pss_kib_n\($dn)"));
					"<="; 0.35; "as P12, plus the whole template RAM file (extra, upper bound)"),
				P12_without_tcg: report(ratio(
						minus(dm("clones_total_pss_kib_n\($dn)"); if dm("clone_tcg_kib_each") == null then null else $dn * dm("clone_tcg_kib_each") end);
						minus(dm("restored_total_pss_kib_n\($dn)"); if dm("restored_tcg_kib_each") == null then null else $dn * dm("restored_tcg_kib_each") end));
					"as P12, less the code TCG translated in each QEMU (median x \($dn); KVM has none)")
			} end))
		}' "$OUT/raw.tsv" >"$OUT/results.json"
}

# jq on results.json, with "-" for a missing figure.
q() { jq -r "$1 // \"-\"" "$OUT/results.json"; }
# med SECTION KEY [FACTOR [DECIMALS]]: a median, scaled and rounded (1 decimal).
med() {
	q ".figures[\"$1\"].$2.median | if type == \"number\" then (. * ${3:-1} * pow(10; ${4:-1}) | round) / pow(10; ${4:-1}) else . end"
}

# profile_pair_md WHAT LABEL_A HEAD_A LABEL_B HEAD_B: where two profiled
# starts spent their time, side by side.
profile_pair_md() {
	[ -s "$OUT/profile-$2.log" ] || return 0
	echo
	echo "One start of each, libvirtd debug log on (slower than the figures above), $1:"
	echo
	echo "| event | $3 (ms) | $5 (ms) |"
	echo "|---|---|---|"
	join -t $'\t' -a 1 -a 2 -e - -o 0,1.2,2.2 \
		<(profile_summary "$2" | awk -F '\t' '{ print $2 "\t" $1 }' | sort -t $'\t' -k1,1) \
		<(profile_summary "$4" | awk -F '\t' '{ print $2 "\t" $1 }' | sort -t $'\t' -k1,1) |
		sort -t $'\t' -k2,2n | awk -F '\t' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }'
}

# Where one clone start and one create --paused of size $1 spent their time.
profile_md() {
	profile_pair_md "$1" "clone-start-$1" "clone: virsh start" "create-paused-$1" "plain: virsh create --paused"
}

# A row of two 100m figures: md2 LABEL KEY_A KEY_B [FACTOR].
md2() { echo "| $1 | $(med 100m "$2" "${4:-1}") | $(med 100m "$3" "${4:-1}") |"; }

managedsave_md() {
	local mib=0.00000095367431640625 kib=0.0009765625
	echo
	echo "| managed save (100m) | clone | plain persistent domain |"
	echo "|---|---|---|"
	md2 "virsh managedsave (ms)" managedsave_clone_ms managedsave_plain_ms
	md2 "managed save image (MiB)" managedsave_clone_bytes managedsave_plain_bytes "$mib"
	md2 "virsh start → running (ms)" managedsave_clone_start_running_ms managedsave_plain_start_running_ms
	md2 "virsh start → next VT-TICK (ms)" managedsave_clone_start_tick_ms managedsave_plain_start_tick_ms
	md2 "managedsave + start → running (ms)" managedsave_clone_cycle_ms managedsave_plain_cycle_ms
	md2 "managedsave + start → next VT-TICK (ms)" managedsave_clone_cycle_tick_ms managedsave_plain_cycle_tick_ms
	echo
	echo "| clone's QEMU, $PSS_AFTER_S s after virsh start (100m) | after managedsave + start | fresh start |"
	echo "|---|---|---|"
	md2 "PSS (MiB)" managedsaved_clone_pss_kib fresh_clone_pss_kib "$kib"
	md2 "of which anonymous (MiB)" managedsaved_clone_anon_kib fresh_clone_anon_kib "$kib"
	echo
	echo "Why: a restore writes every non-zero page of the image into the guest's RAM, and each write" \
		"makes a private copy (copy-on-write of the template's file mapping): the restored clone's" \
		"anonymous memory less a fresh clone's (mostly QEMU's own) is about the image's size. It reads" \
		"the rest of its RAM (a zero page is compared before it is written), which stays mapped from the" \
		"template's file; only that is still shared until its next fresh start. A fresh clone maps only" \
		"the pages it touches, all from the template's file."
}

cache_md() {
	echo
	echo "| page cache (100m), clone start | → running (ms) | → next VT-TICK (ms) |"
	echo "|---|---|---|"
	echo "| floor: virsh create --paused, right before (warm) | $(med 100m cache_floor_create_paused_ms) | |"
	md2 "after sync; echo 3 > /proc/sys/vm/drop_caches" cache_cold_clone_start_running_ms cache_cold_clone_start_tick_ms
	md2 "warm: the same clone again" cache_warm_clone_start_running_ms cache_warm_clone_start_tick_ms
	echo
	echo "Reading the template's whole memory file ($(med 100m cache_file_allocated_kib 0.0009765625) MiB allocated)" \
		"after a drop took $(med 100m cache_cold_file_read_ms) ms: what a cold read costs on this machine."
}

memdir_md() {
	echo
	echo "| template memory file (100m) | on disk (default) | tmpfs (create --memory-dir) |"
	echo "|---|---|---|"
	md2 "template boot: create → VT-READY (ms)" memdir_disk_boot_ready_ms memdir_tmpfs_boot_ready_ms
	md2 "virt-template save, wall (ms)" memdir_disk_save_wall_ms memdir_tmpfs_save_wall_ms
	md2 "clone: virsh start → running (ms)" memdir_disk_clone_start_running_ms memdir_tmpfs_clone_start_running_ms
	md2 "clone: virsh start → next VT-TICK (ms)" memdir_disk_clone_start_tick_ms memdir_tmpfs_clone_start_tick_ms
}

identity_md() {
	echo
	echo "| clone identity (100m) | with the identity channel | without |"
	echo "|---|---|---|"
	md2 "clone: virsh start → running (ms)" identity_on_clone_start_running_ms identity_off_clone_start_running_ms
	echo "| virsh start returning → the kit's identity applied (ms) | $(med 100m identity_applied_after_start_ms) | |"
}

pool_md() {
	local kib=0.0009765625
	echo
	echo "| warm pool (100m) | median |"
	echo "|---|---|"
	echo "| floor: virsh create --paused, right before each take (ms) | $(med 100m pool_floor_create_paused_ms) |"
	echo "| virt-template take → the clone it printed runs, full pool, no refill running (ms; $POOL_TAKES take(s)) | $(med 100m pool_take_running_ms) |"
	echo "| pool filled from empty (virt-template pool --size $POOL_SIZE), per slot (ms) | $(med 100m pool_fill_per_slot_ms) |"
	echo "| storm of $POOL_STORM_N takes, $POOL_STORM_PAR at a time, full pool of $POOL_STORM_SIZE: ms per take, median / p90 |" \
		"$(med 100m pool_storm_take_median_ms 1 0) / $(med 100m pool_storm_take_p90_ms 1 0) |"
	echo "| storm: takes that found the pool empty (started a clone the ordinary way) | $(med 100m pool_storm_empty_takes 1 0) of $(med 100m pool_storm_takes 1 0) |"
	echo "| storm: its end → the pool full again, no refill running; the taken clones destroyed first (ms) | $(med 100m pool_storm_refill_ms) |"
	echo
	echo "| memory (100m), from virt-template stats | idle pool slot (mean of $POOL_SIZE) | taken clone, $PSS_AFTER_S s after its take |"
	echo "|---|---|---|"
	md2 "PSS (MiB)" pool_slot_pss_kib pool_taken_clone_pss_kib "$kib"
}

# The tables of the bundled guest (100m and 1g).
main_md() {
	local n=${MEM_COUNTS[-1]} c p s
	echo "| measure (median) | 100m: 256 MiB, 100 MB filled | 1g: 1400 MiB, 1000 MB filled |"
	echo "|---|---|---|"
	row() { echo "| $1 | $(med 100m "$2" "${3:-1}") | $(med 1g "$2" "${3:-1}") |"; }
	row "cold: virsh create → VT-READY (ms)" cold_ready_ms
	row "virsh save (ms)" libvirt_save_ms
	row "virsh save file (MiB)" libvirt_save_bytes 0.00000095367431640625
	row "virsh restore → running (ms)" libvirt_restore_ms
	row "virsh destroy of that guest (ms)" libvirt_destroy_ms
	row "floor: virsh create --paused (ms)" floor_create_paused_ms
	row "virt-template save, wall (ms)" template_save_wall_ms
	row "virt-template save, save_ms from info (ms)" template_save_ms
	row "template state file (KiB)" template_state_bytes 0.0009765625
	row "clone: virsh start → running (ms)" clone_start_running_ms
	row "clone: virsh start → next VT-TICK (ms)" clone_start_tick_ms
	echo
	echo "| guests (100m) | clones: total PSS (MiB) | restored copies: total PSS (MiB) |"
	echo "|---|---|---|"
	for c in "${MEM_COUNTS[@]}"; do
		echo "| $c | $(med 100m "clones_total_pss_kib_n$c" 0.0009765625) | $(med 100m "restored_total_pss_kib_n$c" 0.0009765625) |"
	done
	echo "| clones + the whole template RAM file ($(med 100m template_file_kib 0.0009765625) MiB), at $n |" \
		"$(jq -r --arg k "clones_total_pss_kib_n$n" '.figures["100m"] | if .[$k] and .template_file_kib then ((.[$k].median + .template_file_kib.median) / 102.4 | round / 10) else "-" end' "$OUT/results.json") | |"
	echo "| per guest at $n (median) | $(med 100m clone_pss_kib_each 0.0009765625) | $(med 100m restored_pss_kib_each 0.0009765625) |"
	echo
	echo "| storm of $STORM_N (100m) | clones: virsh start (starts/s) | plain: virsh create --paused (starts/s) |"
	echo "|---|---|---|"
	for p in "${STORM_PAR[@]}"; do
		echo "| parallelism $p | $(med 100m "storm_p${p}_clone_starts_per_s" 1 2) |" \
			"$(med 100m "storm_p${p}_create_paused_per_s" 1 2) |"
		echo "| parallelism $p: ms per start, first fifth → last fifth |" \
			"$(med 100m "storm_p${p}_clone_first_fifth_ms" 1 0) → $(med 100m "storm_p${p}_clone_last_fifth_ms" 1 0) |" \
			"$(med 100m "storm_p${p}_create_paused_first_fifth_ms" 1 0) → $(med 100m "storm_p${p}_create_paused_last_fifth_ms" 1 0) |"
	done
	echo "| CPU used by the $STORM_N started clones, idle guests (% of one core) |" \
		"$(med 100m storm_p2_running_clones_cpu_pct) | 0 (paused) |"
	managedsave_md
	cache_md
	memdir_md
	identity_md
	pool_md
	for s in "${SIZES[@]}"; do profile_md "$s"; done
	profile_pair_md "100m, virsh start after virsh managedsave" managedsave-start-clone clone \
		managedsave-start-plain "plain persistent domain"
}

# d2 LABEL KEY_A KEY_B [FACTOR]: a row of two distro figures.
d2() { echo "| $1 | $(med distro "$2" "${4:-1}") | $(med distro "$3" "${4:-1}") |"; }

# The tables of the distro part.
distro_md() {
	local mib=0.00000095367431640625 kib=0.0009765625 n=${DISTRO_COUNTS[-1]} c
	echo
	echo "## Debian 12 (distro)"
	echo
	echo "$(q .meta.distro_guest); templated once with virt-template create --from --wait-agent" \
		"($(med distro template_create_ms 0.001) s: the disk copied, the template booted to its agent and saved;" \
		"state file $(med distro template_state_bytes "$kib") KiB). Cold boots on a fresh overlay each;" \
		"agent: guest-ping through virsh qemu-agent-command, polled (200 ms apart while booting)."
	echo
	echo "| distro: virsh start (median) | clone | cold boot of the plain domain |"
	echo "|---|---|---|"
	d2 "→ running (ms)" clone_start_running_ms cold_start_running_ms
	d2 "→ the guest agent answers (ms)" clone_agent_ms cold_agent_ms
	echo "| speedup to the agent (cold / clone) | $(q '.ratios.distro_speedup.value | if type == "number" then (. * 10 | round / 10) else . end') × | |"
	echo "| floor: virsh create --paused, transient, throwaway overlay (ms) | $(med distro floor_create_paused_ms) | |"
	echo "| one guest-ping of an answering agent (ms) | $(med distro agent_ping_ms) | |"
	echo
	echo "| overlay cost | disk clone (distro) | RAM-only clone (100m bundled guest) |"
	echo "|---|---|---|"
	d2 "virt-template clone, one clone (ms)" clone_cmd_disk_ms clone_cmd_ram_ms
	d2 "hook prepare, run by hand on the shut-off clone (µs, medians of $DISTRO_HOOK_CALLS)" hook_prepare_disk_us hook_prepare_ram_us
	echo "| the clone's overlay, copied at every fresh start (KiB) | $(med distro overlay_bytes "$kib") | |"
	echo
	echo "| distro guests, $(q .meta.distro_settle_s) s after the last agent answered | clones: total PSS (MiB) | restored copies: total PSS (MiB) |"
	echo "|---|---|---|"
	for c in "${DISTRO_COUNTS[@]}"; do d2 "$c" "clones_total_pss_kib_n$c" "restored_total_pss_kib_n$c" "$kib"; done
	echo "| clones + the whole template RAM file ($(med distro template_file_kib "$kib") MiB), at $n |" \
		"$(jq -r --arg k "clones_total_pss_kib_n$n" '.figures.distro | if .[$k] and .template_file_kib then ((.[$k].median + .template_file_kib.median) / 102.4 | round / 10) else "-" end' "$OUT/results.json") | |"
	d2 "per guest at $n (MiB)" clone_pss_kib_each restored_pss_kib_each "$kib"
	d2 "of which anonymous, per guest (MiB)" clone_anon_kib_each restored_anon_kib_each "$kib"
	d2 "of which TCG's translated code, per guest (MiB)" clone_tcg_kib_each restored_tcg_kib_each "$kib"
	echo
	echo "Each restored copy: virsh save $(med distro libvirt_save_ms) ms ($(med distro libvirt_save_bytes "$mib") MiB image)," \
		"virsh restore → running $(med distro libvirt_restore_ms) ms (medians)."
	profile_pair_md "distro" distro-clone-start "clone: virsh start" distro-create-paused "plain: virsh create --paused"
}

# has_figures SECTION: results.json has figures of SECTION (100m, distro).
has_figures() { [ "$(jq --arg s "$1" '.figures | has($s)' "$OUT/results.json")" = true ]; }

make_md() {
	local reprobed phases
	{
		echo "# virt-template benchmark"
		echo
		echo "$(q .meta.started), $(q .meta.host), $(q .meta.libvirt), $(q .meta.qemu); domain type '$(q .meta.virt_type)'," \
			"1 vCPU; medians of $REPS repetition(s); run took $(q .meta.duration_s) s;" \
			"load average $(q .meta.loadavg_start) at start, $(q .meta.loadavg_end) at end (shared machine)."
		phases=$(jq -r '.meta | to_entries | map(select(.key | startswith("phase_s_")) | "\(.key | ltrimstr("phase_s_")) \(.value)") | join(", ")' "$OUT/results.json")
		if [ -n "$phases" ]; then
			echo
			echo "Phases (s): $phases."
		fi
		reprobed=$(jq -r '.meta | to_entries | map(select(.key | startswith("caps_reprobed_")) | "\(.key | ltrimstr("caps_reprobed_")) (/dev/kvm \(.value))") | join(", ")' "$OUT/results.json")
		if [ -n "$reprobed" ]; then
			echo
			echo "libvirt re-probed QEMU's capabilities (its cache went stale, e.g. /dev/kvm changed group) during: $reprobed;" \
				"a start or define there paid for the probe (seconds): an outlier in those figures."
		fi
		if has_figures 100m; then
			echo
			main_md
		fi
		if has_figures distro; then
			distro_md
		elif [ "$(q .meta.distro_skipped)" != - ]; then
			echo
			echo "Distro part (Debian 12): $(q .meta.distro_skipped)."
		fi
		echo
		echo "| target | what | measured | target | met |"
		echo "|---|---|---|---|---|"
		jq -r '.ratios | to_entries[] | "| \(.key) | \(.value.what) | \(if .value.value == null then "-" else (.value.value * 1000 | round / 1000 | tostring) end) | \(.value.target // "-") | \(if .value.target == null then "reported" elif .value.met == null then "n/a" elif .value.met then "met" else "not met" end) |"' \
			"$OUT/results.json"
	} >"$OUT/results.md"
}

# plot.png: start latency by method and size (bars, log scale) and total PSS
# against the number of guests (clones vs restored copies).
make_plot() {
	local c
	{
		echo "# method 100m 1g (median ms)"
		for m in cold_ready_ms:"cold boot → ready" libvirt_restore_ms:"virsh restore" \
			floor_create_paused_ms:"create --paused (floor)" clone_start_running_ms:"clone start → running" \
			clone_start_tick_ms:"clone start → tick"; do
			printf '"%s" %s %s\n' "${m#*:}" "$(med 100m "${m%%:*}")" "$(med 1g "${m%%:*}")"
		done
	} >"$OUT/latency.dat"
	{
		echo "# guests clones_MiB restored_MiB clones+file_MiB"
		local file_kib
		file_kib=$(q '.figures["100m"].template_file_kib.median')
		for c in "${MEM_COUNTS[@]}"; do
			echo "$c $(med 100m "clones_total_pss_kib_n$c" 0.0009765625)" \
				"$(med 100m "restored_total_pss_kib_n$c" 0.0009765625)" \
				"$(q ".figures[\"100m\"].clones_total_pss_kib_n$c.median as \$c | if \$c and ($file_kib | type == \"number\") then ((\$c + $file_kib) / 102.4 | round / 10) else null end")"
		done
	} >"$OUT/memory.dat"
	(cd "$OUT" && gnuplot) <<-EOF
		set terminal pngcairo size 1400,620 font ",10"
		set output 'plot.png'
		set datafile missing '-'
		set multiplot layout 1,2 title "virt-template benchmark — TCG, $(q .meta.host), medians of $REPS"
		set title "Start latency by method and guest size"
		set style data histograms
		set style histogram clustered gap 1
		set style fill solid 0.85 border -1
		set boxwidth 0.9
		set logscale y
		set yrange [10:*]
		set ylabel "ms (log scale)"
		set grid ytics
		set xtics rotate by -25 scale 0
		set key top right
		plot 'latency.dat' using 2:xtic(1) title "100m (256 MiB, 100 MB filled)" lc rgb "#4477aa"$(
			[ "$SMOKE" = 1 ] || echo ", '' using 3 title \"1g (1400 MiB, 1000 MB filled)\" lc rgb \"#ee6677\"")
		unset logscale y
		set yrange [0:*]
		set xtics norotate ($(IFS=,; echo "${MEM_COUNTS[*]}"))
		set style data linespoints
		set title "Total PSS against number of guests (100m)"
		set xlabel "running guests"
		set ylabel "total PSS (MiB)"
		set key top left
		plot 'memory.dat' using 1:2 title "virt-template clones" lw 2 pt 7 lc rgb "#228833", \
		     '' using 1:3 title "virsh restore'd copies" lw 2 pt 5 lc rgb "#aa3377", \
		     '' using 1:4 title "clones + whole template RAM file (upper bound)" lw 2 dt 2 pt 6 lc rgb "#228833"
		unset multiplot
	EOF
}

report() {
	local plot=
	make_json
	make_md
	# The plot is of the bundled guest's figures (none with --distro-only).
	rm -f "$OUT/plot.png"
	if has_figures 100m; then
		make_plot
		plot=" $OUT/plot.png"
	fi
	echo
	cat "$OUT/results.md"
	echo
	say "results: $OUT/results.json $OUT/results.md$plot"
}

main() {
	parse_args "$@"
	if [ "$INSIDE" = 1 ]; then
		inside
	elif [ "$REPORT_ONLY" = 1 ]; then
		[ -s "$OUT/raw.tsv" ] || die "no $OUT/raw.tsv"
		report
	else
		outside
	fi
}

# One line, so bash has parsed it all before running: editing this file
# during a run cannot change what the run executes next.
main "$@"; exit
