#!/bin/bash
# Fuzzes the parsers that read untrusted input, with libFuzzer under ASan and
# UBSan: the hook's XML reader (xml-scan), the QMP reply parser (qmp) and
# the template metadata parser (meta). Prints TAP, one test per target.
#
# Usage: run.sh [SECONDS]    seconds per target: $VT_FUZZ_SECONDS, else 60
# Run it from the configured build directory (or set VT_BUILDDIR): the lib
# sources are compiled again with clang and the sanitizers into
# tests/fuzz/fuzz-TARGET, which also replays one input: fuzz-TARGET FILE.
# New inputs go to a temporary directory, never to tests/fuzz/corpus. A crash
# is kept in tests/fuzz/artifacts/ and its path printed. To add inputs to
# the corpus, minimize them first:
#   tests/fuzz/fuzz-TARGET -merge=1 CORPUS_DIR NEW_INPUTS_DIR
# Exits 1 if a target failed; skips (TAP "1..0 # SKIP", exit 0) without
# clang or its libFuzzer runtime.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${VT_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${VT_BUILDDIR:=$PWD}"
seconds=${1:-${VT_FUZZ_SECONDS:-60}}
targets=(xml-scan qmp meta)
# lib/ files each harness links, compiled with the same sanitizers.
declare -A lib_sources=(
	[xml-scan]="core/xml-scan.c core/xml-tokens.c core/xml-metadata.c virt/xml.c core/paths.c
		core/names.c core/error.c core/cleanup.c"
	[qmp]="core/qmp.c core/clock.c core/error.c core/cleanup.c"
	[meta]="core/meta.c core/digest.c core/names.c core/paths.c core/error.c core/cleanup.c"
)
declare -A pkg_modules=([xml-scan]=libxml-2.0 [qmp]=json-c [meta]="json-c nettle")

# shellcheck source=tests/tap.sh
. "$here/../tap.sh"
die() { echo "Bail out! $*"; exit 99; }
tap_skip_in_distcheck "fuzzing needs clang and minutes"

[[ $seconds =~ ^[1-9][0-9]*$ ]] || die "run.sh: SECONDS must be a positive integer, not '$seconds'"
[ -f "$VT_BUILDDIR/config.h" ] ||
	die "run.sh: no config.h in '$VT_BUILDDIR': run from the configured build directory"

cc=
for c in ${VT_FUZZ_CC:-clang clang-14 clang-15 clang-16}; do
	if command -v "$c" >/dev/null; then cc=$c; break; fi
done
[ -n "$cc" ] || tap_skip "clang is not installed (Debian: clang-14 libclang-rt-14-dev)"
major=$("$cc" -dumpversion | cut -d. -f1)

work=$(mktemp -d "${TMPDIR:-/tmp}/vt-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
sanitize=-fsanitize=address,undefined
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$work/probe.c"
"$cc" -fsanitize=fuzzer $sanitize -o "$work/probe" "$work/probe.c" >/dev/null 2>&1 ||
	tap_skip "$cc cannot link libFuzzer (Debian: libclang-rt-$major-dev)"

# Readable stack traces when a crash is found.
for s in llvm-symbolizer "llvm-symbolizer-$major"; do
	if command -v "$s" >/dev/null; then
		export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v "$s")}
		break
	fi
done
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

out=$VT_BUILDDIR/tests/fuzz
mkdir -p "$out/artifacts"
cflags=(-g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=undefined -Wall -Wextra
	-Wno-unused-parameter -include "$VT_BUILDDIR/config.h" -I"$VT_SRCDIR/lib/core" -I"$VT_SRCDIR/lib/virt")
# paths.c is only linked (xml.c calls into it), never used: any directories do.
for d in STATEDIR MEMDIR DISKDIR RUNDIR DATADIR CONSOLE_LOGDIR LIBVIRT_QEMU_RUNDIR; do
	cflags+=("-DVT_$d=\"/nonexistent/$d\"")
done

# Builds tests/fuzz/fuzz-TARGET; compiler output goes to $work/TARGET.build.
build() {
	local t=$1 objs=() src
	local log=$work/$t.build
	local dep_cflags dep_libs
	read -r -a dep_cflags <<<"$(pkg-config --cflags "${pkg_modules[$t]}")" || return 1
	read -r -a dep_libs <<<"$(pkg-config --libs "${pkg_modules[$t]}")" || return 1
	mkdir -p "$work/obj-$t"
	for src in ${lib_sources[$t]}; do
		"$cc" -c "${cflags[@]}" -fsanitize=fuzzer-no-link $sanitize "${dep_cflags[@]}" \
			-o "$work/obj-$t/${src//\//-}.o" "$VT_SRCDIR/lib/$src" >>"$log" 2>&1 || return 1
		objs+=("$work/obj-$t/${src//\//-}.o")
	done
	"$cc" "${cflags[@]}" -Werror -fsanitize=fuzzer $sanitize -o "$out/fuzz-$t" \
		"${dep_cflags[@]}" "$here/fuzz-$t.c" "${objs[@]}" "${dep_libs[@]}" >>"$log" 2>&1
}

# Runs one target for $seconds and prints its TAP line.
fuzz() {
	local i=$1 t=$2 dict=()
	local log=$work/$t.log
	mkdir -p "$work/new-$t"
	[ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
	if "$out/fuzz-$t" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" "${dict[@]}" \
		"$work/new-$t" "$here/corpus/$t" >"$log" 2>&1; then
		local execs cov
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
		echo "ok $i - fuzz $t (${execs:-?} execs, ${cov:-?} edges covered," \
			"$(find "$work/new-$t" -type f | wc -l) new inputs)"
	else
		local artifact
		artifact=$(sed -n 's/.*Test unit written to \([^ ]*\).*/\1/p' "$log" | tail -n 1)
		echo "not ok $i - fuzz $t: ${artifact:-no test unit written} (replay: $out/fuzz-$t FILE)"
		grep -v '^#[0-9]' "$log" | tail -n 60 | sed 's/^/# /'
		return 1
	fi
}

echo "1..${#targets[@]}"
i=0 status=0
for t in "${targets[@]}"; do
	i=$((i + 1))
	if ! build "$t"; then
		echo "not ok $i - fuzz $t: build failed"
		sed 's/^/# /' "$work/$t.build" | tail -n 40
		status=1
	elif ! fuzz "$i" "$t"; then
		status=1
	fi
done
exit "$status"
