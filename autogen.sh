#!/bin/sh
# Generates ./configure; then: ./configure && make && make check.
set -e
cd "$(dirname "$0")"
autoreconf -fi
