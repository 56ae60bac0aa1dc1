#!/bin/bash
# The Debian package, end to end: builds it with dpkg-buildpackage from a copy
# of what git tracks (what a clean clone holds), runs lintian on it (errors
# fail), then installs it on this machine, runs a smoke test of the installed
# files beside a private libvirtd (tests/harness/isolated.sh: create, save,
# clone, virsh start), removes and purges it. Prints one summary line last.
#
# Usage: package-test.sh [--keep]
#   --keep  keep the build directory (logs, .deb, lintian output), say where
#
# The install part needs root and a machine that may change (CI's is thrown
# away): it is skipped for other users, and on a host where virt-template is
# already installed (by a package or make install), which it would replace.
# dpkg installs into the host's /usr and /etc for real; the store and run
# directories, /var/lib/virt-template and /run/virt-template, are private
# mounts in a mount namespace of this script's own, so the host's (and those
# of test runs beside it, which mount over the same paths) are never touched.
set -euo pipefail

ME=package-test
SELF=$(readlink -f "${BASH_SOURCE[0]}")
SRC=$(cd "$(dirname "$SELF")/.." && pwd)
HOOK=/etc/libvirt/hooks/qemu.d/virt-template
HOOK_SRC=/usr/libexec/virt-template/virt-template-hook
STATEDIR=/var/lib/virt-template
RUNDIR=/run/virt-template
VT=/usr/bin/virt-template

# Seconds since the start, in the namespaces' re-runs of this script too.
: "${VT_PACKAGE_TEST_START:=$(date +%s)}"
export VT_PACKAGE_TEST_START
say() { echo "$ME: [$(($(date +%s) - VT_PACKAGE_TEST_START)) s] $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

# --- the build and lintian ---------------------------------------------------

# What git tracks, as the working tree has it, into $1.
copy_tree() {
	mkdir -p "$1"
	git -C "$SRC" ls-files -z | (cd "$SRC" && tar --null -T - -cf -) | tar -xf - -C "$1"
}

build() {
	local work=$1
	copy_tree "$work/virt-template"
	say "dpkg-buildpackage -b -us -uc (log: $work/build.log)"
	if ! (cd "$work/virt-template" &&
		DEB_BUILD_OPTIONS="parallel=$(nproc) ${DEB_BUILD_OPTIONS:-}" \
			dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1; then
		tail -n 40 "$work/build.log" >&2
		fail "dpkg-buildpackage failed"
	fi
}

# Lintian on the .changes (the .deb, its debug package, the .buildinfo);
# fails on errors. Sets LINTIAN_SUMMARY.
run_lintian() {
	local work=$1 rc=0 errors warnings overridden
	lintian --fail-on error --show-overrides "$work"/virt-template_*.changes \
		>"$work/lintian.txt" 2>"$work/lintian.err" || rc=$?
	# Lintian says it is not meant to run as root; CI runs everything as root.
	grep -v 'running with root privileges is not recommended' "$work/lintian.err" >&2 || true
	sed 's/^/lintian: /' "$work/lintian.txt" >&2
	errors=$(grep -c '^E: ' "$work/lintian.txt" || true)
	warnings=$(grep -c '^W: ' "$work/lintian.txt" || true)
	overridden=$(grep -c '^O: ' "$work/lintian.txt" || true)
	if [ "$rc" != 0 ] || [ "$errors" != 0 ]; then fail "lintian: $errors error(s) (exit $rc)"; fi
	LINTIAN_SUMMARY="lintian: no errors, $warnings warning(s)"
	if [ "$warnings" != 0 ]; then
		LINTIAN_SUMMARY+=" ($(sed -n 's/^W: [^ ]* \([^ ]*\).*/\1/p' "$work/lintian.txt" |
			sort -u | paste -sd ' '))"
	fi
	LINTIAN_SUMMARY+=", $overridden overridden"
}

# --- the installed package (in a private mount namespace) ------------------

installed() {
	dpkg-query -W -f='${db:Status-Status}' virt-template 2>/dev/null | grep -v '^not-installed$' >/dev/null
}

# Why the install part cannot run here, or nothing.
install_blocker() {
	[ "$(id -u)" = 0 ] || { echo "needs root"; return; }
	if installed; then echo "virt-template is installed on this host"; return; fi
	local f
	for f in "$VT" "$HOOK"; do
		[ ! -e "$f" ] || { echo "$f exists (make install?)"; return; }
	done
}

# Mode, owner and group of $1: "0711 root root".
perms() { stat -c '%04a %U %G' "$1"; }

check_installed() {
	local f missing=()
	while IFS= read -r f; do
		[ -e "$f" ] || missing+=("$f")
	done < <(dpkg -L virt-template)
	[ ${#missing[@]} = 0 ] || fail "dpkg -L lists files that are missing: ${missing[*]}"
	cmp -s "$HOOK" "$HOOK_SRC" || fail "postinst did not install $HOOK"
	[ "$(perms "$HOOK")" = "0755 root root" ] || fail "$HOOK is $(perms "$HOOK")"
	for f in "$STATEDIR" "$STATEDIR/.memory" "$STATEDIR/.disks"; do
		[ -d "$f" ] || fail "postinst did not create $f"
		[ "$(perms "$f")" = "0711 root root" ] || fail "$f is $(perms "$f"), not 0711 root root"
	done
}

# Runs inside tests/harness/isolated.sh: the installed tool and hook, the
# bundled guest under TCG.
smoke() {
	local kernel=$1 initrd=$2 log=/var/log/libvirt/qemu/c1-console.log i state
	unset VIRT_TEMPLATE_DATADIR
	"$VT" -q create vt-pkg --kernel "$kernel" --initrd "$initrd" --virt-type qemu \
		--memory 256 --wait-console VT-READY --timeout 120
	"$VT" -q clone vt-pkg c1 >/dev/null
	virsh -q start c1 >/dev/null
	for ((i = 0; i < 600; i++)); do
		grep -q 'VT-TICK' "$log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q 'VT-TICK' "$log" 2>/dev/null || { tail -n 5 "$log" >&2 || true; fail "no VT-TICK in $log"; }
	# Whole outputs, never `| head` or `| grep -q`: under pipefail a writer
	# that a reader left early dies of SIGPIPE (141).
	state=$(virsh domstate c1)
	state=${state%%$'\n'*}
	[ "$state" = running ] || fail "clone c1 is '$state', not running"
	"$VT" -q delete --force vt-pkg
	if virsh -q list --all --name | grep -x c1 >/dev/null; then fail "delete --force left clone c1"; fi
}

# dpkg $@, expecting success and a line on stderr matching $1 (or none: "").
dpkg_expect() {
	local want=$1 err
	shift
	err=$(dpkg "$@" 2>&1 >/dev/null) || { printf '%s\n' "$err" >&2; fail "dpkg $*"; }
	[ -z "$want" ] || printf '%s\n' "$err" | grep -- "$want" >/dev/null ||
		{ printf '%s\n' "$err" >&2; fail "dpkg $* did not say '$want'"; }
}

lifecycle() {
	local work=$1 deb kernel initrd f
	deb=$(echo "$work"/virt-template_*_*.deb)
	# kernel=PATH and initrd=PATH
	eval "$("$SRC/tests/guest/build-guest.sh" --print-paths)"
	[ -f "$kernel" ] || fail "no test guest kernel (tests/guest/build-guest.sh)"
	# As tests/harness/isolated.sh does, the mount points are made on the host
	# if missing, and left there: removing one that a test run beside us has
	# mounted over would detach its mount.
	for f in "$STATEDIR" "$RUNDIR"; do
		mkdir -p "$work/private$f" "$f"
		mount --bind "$work/private$f" "$f"
	done
	# Whatever happens, the package leaves with this namespace.
	trap 'rm -rf "${STATEDIR:?}/kept-by-test"; dpkg --purge virt-template >/dev/null 2>&1 || true' EXIT

	say "dpkg -i $(basename "$deb")"
	dpkg_expect "" -i "$deb"
	check_installed
	local files
	files=$(dpkg -L virt-template | while read -r f; do [ -d "$f" ] || echo "$f"; done)

	say "smoke test: create, clone, virsh start, delete (installed files, private libvirtd)"
	VT_RUNDIR=$RUNDIR "$SRC/tests/harness/isolated.sh" --hook "$HOOK" -- \
		"$BASH" "$SELF" --smoke "$kernel" "$initrd" || fail "smoke test (exit $?)"

	say "remove and purge with a template in the store"
	mkdir "$STATEDIR/kept-by-test"
	dpkg_expect "1 template(s) kept in $STATEDIR" -r virt-template
	[ ! -e "$HOOK" ] || fail "dpkg -r left $HOOK"
	[ ! -e "$VT" ] || fail "dpkg -r left $VT"
	dpkg_expect "purge keeps $STATEDIR: it holds 1 template(s)" --purge virt-template
	[ -d "$STATEDIR/kept-by-test" ] || fail "purge deleted a template"
	rmdir "$STATEDIR/kept-by-test"

	say "install and purge with an empty store"
	dpkg_expect "" -i "$deb"
	dpkg_expect "" --purge virt-template
	! installed || fail "virt-template is still installed after purge"
	[ ! -e "$HOOK" ] || fail "purge left $HOOK"
	while read -r f; do
		[ ! -e "$f" ] || fail "purge left $f"
	done <<<"$files"
	# Removed by postrm; the directory itself is a mount point here.
	[ -z "$(ls -A "$STATEDIR")" ] || fail "purge left $(ls -A "$STATEDIR") in $STATEDIR"
}

main() {
	case "${1:-}" in
	--smoke) shift; smoke "$@"; exit ;;
	--lifecycle) shift; lifecycle "$@"; exit ;;
	esac
	local keep=0
	case "${1:-}" in
	--keep) keep=1 ;;
	"") ;;
	*) sed -n '8,9s/^# \{0,1\}//p' "$SELF" >&2; exit 2 ;;
	esac
	local t
	for t in dpkg-buildpackage lintian git; do
		command -v "$t" >/dev/null || fail "$t is missing (scripts/install-deps.sh installs it)"
	done
	git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1 ||
		fail "$SRC is no git checkout: the package is built from what git tracks"
	WORK=$(mktemp -d /var/tmp/vt-package.XXXXXX)
	if [ "$keep" = 1 ]; then
		trap 'say "kept $WORK"' EXIT
	else
		trap 'rm -rf "$WORK"' EXIT
	fi
	build "$WORK"
	local units
	units=$(awk '/^# PASS:/ {p += $3} END {print p + 0}' "$WORK/build.log")
	LINTIAN_SUMMARY=
	say "lintian"
	run_lintian "$WORK"
	local blocker smoke
	blocker=$(install_blocker)
	if [ -n "$blocker" ]; then
		smoke="install and smoke test skipped: $blocker"
	else
		# The store and run directories become private mounts in there.
		unshare -m --propagation private -- "$BASH" "$SELF" --lifecycle "$WORK"
		smoke="installed, smoke test passed, removed and purged"
	fi
	say "done"
	echo "package: built ($units unit tests passed), $LINTIAN_SUMMARY, $smoke"
}

main "$@"
