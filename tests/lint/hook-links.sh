#!/bin/bash
# The hook links the core layer, json-c and nettle only: libvirt execs it for
# every operation of every domain, and libvirt or libxml2 (with ICU) would
# make each run ten times slower (docs/design.md, Layout). The build enforces
# it; this checks what the dynamic loader would actually map. TAP.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${VT_BUILDDIR:=$PWD}"
# shellcheck source=tests/tap.sh
. "$here/../tap.sh"
command -v ldd >/dev/null || tap_skip "ldd is not installed"
hook=$VT_BUILDDIR/virt-template-hook
[ -x "$hook" ] || { echo "Bail out! no $hook: build first"; exit 99; }

# What the hook may load besides the C library and the loader.
allowed='^(linux-vdso|libjson-c|libnettle|libc|ld-linux)'
libs=$(ldd "$hook" | awk '{print $1}' | sed 's|.*/||')
echo 1..2
if unexpected=$(printf '%s\n' "$libs" | grep -Ev "$allowed"); then
	echo "not ok 1 - the hook links only json-c and nettle (and the C library); also: $(echo "$unexpected" | tr '\n' ' ')"
else
	echo "ok 1 - the hook links only json-c and nettle (and the C library)"
fi
if printf '%s\n' "$libs" | grep '^libjson-c' >/dev/null; then
	echo "ok 2 - the hook links json-c"
else
	echo "not ok 2 - the hook links json-c"
fi
