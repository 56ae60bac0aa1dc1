#!/bin/bash
# One source of truth for what a user reads: every command and option that
# `virt-template --help` and `virt-template COMMAND --help` list is in
# virt-template(1), each command's options in that command's section;
# every long option of a getopt table in tool/ is in its command's --help
# (so the help cannot fall behind the code either); every operation of the
# hook's handler table (hook/main.c) is in virt-template-hook(8). And the
# pages make builds have no placeholder left and format without a warning.
# TAP; needs no root and no libvirtd.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${VT_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${VT_BUILDDIR:=$VT_SRCDIR}"
# shellcheck source=tests/tap.sh
. "$here/../tap.sh"
TOOL=$VT_BUILDDIR/virt-template
HOOK=$VT_BUILDDIR/virt-template-hook
MAN1=$VT_SRCDIR/docs/man/virt-template.1.in
MAN8=$VT_SRCDIR/docs/man/virt-template-hook.8.in
for f in "$TOOL" "$HOOK"; do
	[ -x "$f" ] || { echo "Bail out! $f is not built"; exit 99; }
done

n=0 status=0
# report DESCRIPTION MISSING...: ok when nothing is missing.
report() {
	local desc=$1
	shift
	n=$((n + 1))
	if [ $# = 0 ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc: missing $*"
		status=1
	fi
}

# The text of a roff source as a reader sees it: no comments, no font
# changes, "\-" as "-".
roff_text() {
	sed -e '/^\.\\"/d' -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' -e 's/\\&//g' -e 's/\\(aq/'"'"'/g' "$1"
}
# The part of a page under `.SS NAME` (a command), or `.SH NAME`.
roff_section() {
	roff_text "$1" | awk -v head="$2" '
		$0 == head { on = 1; next }
		on && /^\.S[SH]( |$)/ { on = 0 }
		on { print }'
}
# has_word TEXT WORD: WORD appears in TEXT as a whole option or command.
has_word() {
	grep -Eq -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" <<<"$1"
}
# missing TEXT WORD...: the WORDs TEXT lacks, one a line.
missing() {
	local text=$1 w
	shift
	for w in "$@"; do has_word "$text" "$w" || echo "$w"; done
}
long_options() { grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
# The long options of the getopt tables in a C file, --help aside.
table_options() {
	grep -oE '\{"[a-z][a-z0-9-]*", *(no|required|optional)_argument' "$1" |
		sed -E 's/^\{"([^"]*)".*/--\1/' | grep -vx -- --help | sort -u
}

# The global options and the commands, from the tool's --help.
help=$("$TOOL" --help)
mapfile -t commands < <(awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' <<<"$help")
global_help=$(sed -n '/^Options:/,/^$/p' <<<"$help")
mapfile -t globals < <({ long_options <<<"$global_help"; grep -oE -- '^ +-[A-Za-z],' <<<"$global_help" | tr -d ' ,'; })
if [ ${#commands[@]} = 0 ] || [ ${#globals[@]} = 0 ]; then
	echo "Bail out! no commands or options in 'virt-template --help'"
	exit 99
fi

mapfile -t lack < <(missing "$(roff_section "$MAN1" ".SH OPTIONS")" "${globals[@]}")
report "virt-template(1), OPTIONS: the global options of --help" "${lack[@]}"
mapfile -t table < <(table_options "$VT_SRCDIR/tool/main.c")
mapfile -t lack < <(missing "$global_help" "${table[@]}")
report "virt-template --help: the global options of tool/main.c" "${lack[@]}"
mapfile -t lack < <(missing "$(roff_section "$MAN1" ".SH SYNOPSIS")" --help --version)
report "virt-template(1), SYNOPSIS: --help and --version" "${lack[@]}"

for cmd in "${commands[@]}"; do
	if ! cmd_help=$("$TOOL" "$cmd" --help); then
		report "virt-template $cmd --help exits 0" "exit status 0"
		continue
	fi
	section=$(roff_section "$MAN1" ".SS $cmd")
	if [ -z "$section" ]; then
		report "virt-template(1): a section '.SS $cmd'" "the section"
		continue
	fi
	mapfile -t opts < <(long_options <<<"$cmd_help")
	mapfile -t lack < <(missing "$section" "$cmd" "${opts[@]}")
	report "virt-template(1), $cmd: the command and the options of its --help" "${lack[@]}"
done

# The functions of a C file as this tree lays them out (a body opens with
# "{" and closes with "}" at the start of a line): "F FUNC" for each, "T
# FUNC --OPT" for each long option of a getopt table in its body, "C FUNC
# CALLEE" for each call in it.
c_functions() {
	awk '
	!body && /^[A-Za-z_].*[A-Za-z0-9_]\(/ && !/;[ \t]*$/ {
		head = $0; sub(/\(.*/, "", head); n = split(head, w, /[ *]+/); fn = w[n]
	}
	/^[{]$/ { body = 1; print "F", fn; next }
	/^[}]/ { body = 0; next }
	body {
		line = $0
		while (match(line, /[{]"[a-z][a-z0-9-]*", *(no|required|optional)_argument/)) {
			opt = substr(line, RSTART + 2, RLENGTH - 2); sub(/".*/, "", opt)
			if (opt != "help") print "T", fn, "--" opt
			line = substr(line, RSTART + RLENGTH)
		}
		line = $0
		while (match(line, /[A-Za-z_][A-Za-z0-9_]*\(/)) {
			print "C", fn, substr(line, RSTART, RLENGTH - 1)
			line = substr(line, RSTART + RLENGTH)
		}
	}' "$1"
}
# command_options FUNCS CMD: the long options of the tables that vt_cmd_CMD
# reaches, in its own body or in the file's functions it calls.
command_options() {
	local funcs=$1 f c
	local -A seen=()
	local -a todo=("vt_cmd_$2")
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		[ -z "${seen[$f]:-}" ] || continue
		seen[$f]=1
		awk -v f="$f" '$1 == "T" && $2 == f { print $3 }' <<<"$funcs"
		while read -r c; do
			todo+=("$c")
		done < <(awk -v f="$f" '$1 == "C" && $2 == f { print $3 }' <<<"$funcs" |
			grep -Fxf <(awk '$1 == "F" { print $2 }' <<<"$funcs") || true)
	done | sort -u
}

# Each tool/cmd-*.c defines the commands it runs (vt_cmd_NAME); the getopt
# tables each reaches are what it accepts, and every table is some
# command's.
for file in "$VT_SRCDIR"/tool/cmd-*.c; do
	rel=${file#"$VT_SRCDIR"/}
	funcs=$(c_functions "$file")
	mapfile -t defined < <(grep -oE '^int vt_cmd_[a-z]+\(' "$file" | sed -E 's/^int vt_cmd_([a-z]+)\(/\1/')
	reached=()
	for cmd in "${defined[@]}"; do
		mapfile -t table < <(command_options "$funcs" "$cmd")
		reached+=("${table[@]}")
		mapfile -t lack < <(missing "$("$TOOL" "$cmd" --help 2>&1)" "${table[@]}")
		report "virt-template $cmd --help: the options of its getopt tables in $rel" "${lack[@]}"
	done
	mapfile -t table < <(table_options "$file")
	mapfile -t lack < <(missing "${reached[*]}" "${table[@]}")
	report "$rel: each option of its getopt tables is a command's" "${lack[@]}"
done

# The hook: each (operation, sub-operation) it handles, and whatever its
# --help lists (today it has none: libvirt never asks).
mapfile -t ops < <(sed -nE 's/^ *\{"([a-z]+)", "([a-z]+)", vt_hook_[a-z_]+\},.*/\1 \2/p' "$VT_SRCDIR/hook/main.c")
[ ${#ops[@]} -gt 0 ] || { echo "Bail out! no handlers found in hook/main.c"; exit 99; }
lack=()
for op in "${ops[@]}"; do
	grep -qx -- ".B $op" <<<"$(roff_section "$MAN8" ".SH OPERATIONS")" || lack+=("'$op'")
done
report "virt-template-hook(8), OPERATIONS: each operation of hook/main.c" "${lack[@]}"
mapfile -t opts < <("$HOOK" --help </dev/null 2>&1 | long_options)
mapfile -t lack < <(missing "$(roff_text "$MAN8")" "${opts[@]}")
report "virt-template-hook(8): the options of the hook's --help" "${lack[@]}"

# The pages make built from them.
for page in "$VT_BUILDDIR/docs/man/virt-template.1" "$VT_BUILDDIR/docs/man/virt-template-hook.8"; do
	name=${page##*/}
	mapfile -t lack < <(sed '/^\.\\"/d' "$page" | grep -oE '@[A-Z_]+@' | sort -u)
	report "$name: every placeholder filled in" "${lack[@]}"
	n=$((n + 1))
	if ! command -v groff >/dev/null; then
		echo "ok $n - $name formats without a warning # SKIP groff is not installed"
	# All warnings but "can't break line": a long configured path (make
	# distcheck's) is no fault of the page.
	elif out=$(groff -t -man -ww -Wbreak -z "$page" 2>&1) && [ -z "$out" ]; then
		echo "ok $n - $name formats without a warning"
	else
		echo "not ok $n - $name formats without a warning"
		while IFS= read -r line; do echo "# $line"; done <<<"$out"
		status=1
	fi
done

echo "1..$n"
exit "$status"
