#!/bin/bash
# Runs shellcheck on every shell script and bats file of the tarball: the
# Makefile's vt_shell_files and vt_bats_files, which make check passes as
# VT_SHELL_FILES and VT_BATS_FILES. TAP: one test per file, and in a git
# checkout one more: git tracks no shell file those lists miss (it would be
# neither checked nor distributed).
# Usage: shellcheck.sh [FILE...]   files relative to the source tree
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${VT_SRCDIR:=$(cd "$here/../.." && pwd)}"
# shellcheck source=tests/tap.sh
. "$here/../tap.sh"
command -v shellcheck >/dev/null || tap_skip "shellcheck is not installed"

if [ $# -gt 0 ]; then
	files=("$@")
	check_git=0
else
	if [ -z "${VT_SHELL_FILES:-}" ] || [ -z "${VT_BATS_FILES:-}" ]; then
		echo "Bail out! VT_SHELL_FILES and VT_BATS_FILES are not set (run through make check)"
		exit 99
	fi
	read -r -a files <<<"$VT_SHELL_FILES $VT_BATS_FILES"
	check_git=0
	if [ -e "$VT_SRCDIR/.git" ] && command -v git >/dev/null; then check_git=1; fi
fi
# `# shellcheck source=tests/...` paths are relative to the source tree.
cd "$VT_SRCDIR"

echo "1..$((${#files[@]} + check_git))"
i=0 status=0
for f in "${files[@]}"; do
	i=$((i + 1))
	# .bash files are bats helpers, loaded by the .bats files.
	case "$f" in *.bats | *.bash) dialect=(--shell=bats) ;; *) dialect=() ;; esac
	if out=$(shellcheck -x -f gcc "${dialect[@]}" "$f" 2>&1); then
		echo "ok $i - shellcheck $f"
	else
		echo "not ok $i - shellcheck $f"
		while IFS= read -r line; do echo "# $line"; done <<<"$out"
		status=1
	fi
done

# A shell file: named *.sh, *.bash or *.bats, or starting with a sh or bash #!.
is_shell() {
	case "$1" in *.sh | *.bash | *.bats) return 0 ;; esac
	head -n 1 "$1" 2>/dev/null | grep -E '^#! *(/usr)?/bin/(env +)?(ba)?sh\b' >/dev/null
}
if [ "$check_git" = 1 ]; then
	i=$((i + 1))
	missing=()
	while IFS= read -r -d '' f; do
		is_shell "$f" || continue
		printf '%s\n' "${files[@]}" | grep -xF -- "$f" >/dev/null || missing+=("$f")
	done < <(git ls-files -z)
	if [ ${#missing[@]} = 0 ]; then
		echo "ok $i - every shell file git tracks is in vt_shell_files or vt_bats_files"
	else
		echo "not ok $i - not in vt_shell_files or vt_bats_files: ${missing[*]}"
		status=1
	fi
fi
exit "$status"
