#!/bin/bash
# Configures (for the system's libvirt: /usr, /etc, /var; warnings are
# errors, as CI wants) and builds.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x configure ] || ./autogen.sh
[ -f config.status ] || ./configure -q --enable-werror --prefix=/usr --sysconfdir=/etc --localstatedir=/var
make -s -j"$(nproc)"
