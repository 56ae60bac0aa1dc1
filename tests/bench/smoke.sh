#!/bin/bash
# make check's guard against a rotting benchmark: bench.sh --smoke (1
# repetition, 100m guest, small counts, ~2 minutes), then results.json must
# hold every figure of the 100m size with positive numbers, and the ratios
# that size gives. TAP: one test, or a skip plan when not root or when
# bench.sh skips (exit 77).
# Environment: as bench.sh (make check sets VT_SRCDIR, VT_BUILDDIR, ...).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/tap.sh
. "$HERE/../tap.sh"
DESC="bench.sh --smoke writes every figure with positive numbers"

# The figures of the 100m size that --smoke measures (memory counts 1 and 3,
# storm of 4 with parallelism 2 and 4; managed save, cold page cache and
# memory on disk against tmpfs once each; the warm pool: one take against
# the floor, a storm of 8 takes on a pool of 4).
KEYS=(cold_ready_ms libvirt_save_ms libvirt_save_bytes libvirt_restore_ms libvirt_destroy_ms
	floor_create_paused_ms template_save_wall_ms template_save_ms template_state_bytes
	clone_start_running_ms clone_start_tick_ms
	clones_total_pss_kib_n1 clones_total_pss_kib_n3 clone_pss_kib_each template_file_kib
	restored_total_pss_kib_n1 restored_total_pss_kib_n3 restored_pss_kib_each
	storm_p2_clone_starts_per_s storm_p2_create_paused_per_s
	storm_p4_clone_starts_per_s storm_p4_create_paused_per_s
	storm_p2_clone_first_fifth_ms storm_p2_clone_last_fifth_ms storm_p2_running_clones_cpu_pct
	storm_p2_create_paused_first_fifth_ms storm_p2_create_paused_last_fifth_ms
	managedsave_clone_ms managedsave_clone_bytes managedsave_clone_start_running_ms
	managedsave_clone_start_tick_ms managedsave_clone_cycle_ms managedsave_clone_cycle_tick_ms
	managedsave_plain_ms managedsave_plain_bytes managedsave_plain_start_running_ms
	managedsave_plain_start_tick_ms managedsave_plain_cycle_ms managedsave_plain_cycle_tick_ms
	managedsaved_clone_pss_kib managedsaved_clone_anon_kib fresh_clone_pss_kib fresh_clone_anon_kib
	cache_floor_create_paused_ms cache_cold_clone_start_running_ms cache_cold_clone_start_tick_ms
	cache_warm_clone_start_running_ms cache_warm_clone_start_tick_ms
	cache_file_allocated_kib cache_cold_file_read_ms
	memdir_disk_boot_ready_ms memdir_disk_save_wall_ms memdir_disk_clone_start_running_ms
	memdir_disk_clone_start_tick_ms memdir_tmpfs_boot_ready_ms memdir_tmpfs_save_wall_ms
	memdir_tmpfs_clone_start_running_ms memdir_tmpfs_clone_start_tick_ms
	identity_on_clone_start_running_ms identity_off_clone_start_running_ms identity_applied_after_start_ms
	pool_fill_per_slot_ms pool_slot_pss_kib pool_taken_clone_pss_kib
	pool_floor_create_paused_ms pool_take_running_ms
	pool_storm_take_ms pool_storm_take_median_ms pool_storm_take_p90_ms pool_storm_takes pool_storm_refill_ms)
# Counts that may be 0 (there, but not negative): a storm's takes may all
# find the pool ready.
COUNT_KEYS=(pool_storm_empty_takes)

tap_skip_in_distcheck "the benchmark smoke needs root, a private libvirtd and minutes"
[ "$(id -u)" = 0 ] || tap_skip "the benchmark smoke needs root (a private libvirtd)"

out=$(mktemp -d /tmp/vt-bench-smoke.XXXXXX)
fail() {
	echo "not ok 1 - $DESC"
	echo "# $*; output kept in $out"
	exit 1
}

rc=0
"$HERE/bench.sh" --smoke --out "$out" >"$out/bench.log" 2>&1 || rc=$?
if [ "$rc" = 77 ]; then
	reason=$(tail -n 1 "$out/bench.log")
	rm -rf "$out"
	tap_skip "bench.sh: $reason"
fi
# The plan comes once the run says whether there is a test at all.
echo "1..1"
[ "$rc" = 0 ] || { sed 's/^/# /' "$out/bench.log" | tail -n 40; fail "bench.sh --smoke exited $rc"; }

for f in results.json results.md plot.png; do
	[ -s "$out/$f" ] || fail "no $f"
done
keys=$(printf '%s\n' "${KEYS[@]}" | jq -R . | jq -s .)
counts=$(printf '%s\n' "${COUNT_KEYS[@]}" | jq -R . | jq -s .)
bad=$(jq -r --argjson keys "$keys" --argjson counts "$counts" '
	[$keys[] as $k | .figures["100m"][$k] as $v
	 | select($v == null or ($v.raw | length) == 0 or any($v.raw[]; . <= 0) or $v.median <= 0) | $k]
	+ [$counts[] as $k | .figures["100m"][$k] as $v
	 | select($v == null or ($v.raw | length) == 0 or any($v.raw[]; . < 0)) | $k]
	+ [("P1", "P4", "P5", "P6", "P7", "P8", "P9", "P13", "PSS_after_managedsave", "P8_warm", "P9_boot",
	    "pool_slot_vs_running") as $p
	   | select(.ratios[$p].value == null or .ratios[$p].value <= 0) | "ratio " + $p]
	| join(" ")' "$out/results.json") || fail "results.json does not parse"
[ -z "$bad" ] || fail "missing or not positive: $bad"

echo "ok 1 - $DESC"
sed 's/^/# /' "$out/results.md"
rm -rf "$out"
