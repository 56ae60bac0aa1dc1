#!/bin/sh
# Generates ./configure; then: ./configure && make && make check.
set -e
cd "$(dirname "$0")"
autoreconf -fi
# The TAP driver is not installed by automake on its own.
am_dir=$(automake --print-libdir)
cp -f "$am_dir/tap-driver.sh" build-aux/tap-driver.sh
