#!/bin/bash
# The bash completion (completion/virt-template), sourced in bash and run
# with COMP_WORDS as bash sets them: commands, each command's options
# against that command's --help, template and clone names from `list
# --json` with -c URI passed on, and option values. Stubs of virt-template
# and virsh, first in PATH, print fixed lists and record how they were
# called: this tests the completion, not libvirt. TAP; no root, no
# libvirtd.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${VT_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${VT_BUILDDIR:=$VT_SRCDIR}"
# shellcheck source=tests/tap.sh
. "$here/../tap.sh"
TOOL=$VT_BUILDDIR/virt-template
[ -x "$TOOL" ] || { echo "Bail out! $TOOL is not built"; exit 99; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# What list --json prints (tool/cmd-list.c), with a memory_path whose
# quotes and brackets would fool a parser that misreads JSON strings.
DATA=$here/completion-list.json
CALLS=$TMP/calls
export CALLS DATA

mkdir "$TMP/bin" "$TMP/files" "$TMP/files/memdir"
touch "$TMP/files/dom.xml" "$TMP/files/mem.txt"
# The stubs: each records its arguments; virt-template prints list --json
# for list --json, virsh two domain names.
# shellcheck disable=SC2016 # the stubs' own $* and $CALLS
printf '%s\n' '#!/bin/sh' 'echo "virt-template $*" >>"$CALLS"' \
	'case " $* " in *" list --json "*) cat "$DATA" ;; esac' >"$TMP/bin/virt-template"
# shellcheck disable=SC2016
printf '%s\n' '#!/bin/sh' 'echo "virsh $*" >>"$CALLS"' 'printf "%s\n" deb web' >"$TMP/bin/virsh"
chmod +x "$TMP/bin/virt-template" "$TMP/bin/virsh"

# shellcheck source=completion/virt-template
. "$VT_SRCDIR/completion/virt-template"

# comp WORD...: completes the last WORD ("" for a new one) as bash would,
# in $TMP/files, with the stubs first in PATH; prints COMPREPLY sorted, one
# a line. As in a user's shell: no -e, -u or pipefail.
comp() {
	(
		set +euo pipefail
		cd "$TMP/files" || exit 1
		PATH=$TMP/bin:$PATH
		COMP_WORDS=("$@")
		COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		_virt_template virt-template "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort
	)
}
words() { printf '%s\n' "$@" | sed '/^$/d' | sort -u; }

n=0 status=0
# expect DESCRIPTION EXPECTED ACTUAL
expect() {
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "# expected: $(tr '\n' ' ' <<<"$2")"
		echo "# got:      $(tr '\n' ' ' <<<"$3")"
		status=1
	fi
}
# called DESCRIPTION EXPECTED: the stubs ran so since the last call (one
# run a line), or not at all for "".
called() {
	expect "$1" "$2" "$(cat "$CALLS" 2>/dev/null)"
	rm -f "$CALLS"
}

help=$("$TOOL" --help)
mapfile -t commands < <(awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' <<<"$help")
globals=$(sed -n '/^Options:/,/^$/p' <<<"$help" | grep -oE -- '(^| )-(-[a-z-]+|[A-Za-z])' | tr -d ' ' | sort -u)
[ ${#commands[@]} -gt 0 ] || { echo "Bail out! no commands in 'virt-template --help'"; exit 99; }

expect "virt-template cr: create" "create" "$(comp virt-template cr)"
expect "virt-template: the commands of --help" "$(words "${commands[@]}")" "$(comp virt-template "")"
expect "virt-template -: the global options of --help" "$globals" "$(comp virt-template -)"
expect "virt-template clone --: clone's options" \
	"$(words --count --prefix --start --print-xml --data --forward --help)" \
	"$(comp virt-template clone --)"
expect "virt-template pool --: pool's options" \
	"$(words --size --no-wait --refill --json --help)" "$(comp virt-template pool --)"
expect "virt-template take --: --help only" "--help" "$(comp virt-template take --)"
for cmd in "${commands[@]}"; do
	mapfile -t opts < <("$TOOL" "$cmd" --help | grep -oE -- '--[a-z][a-z-]*')
	expect "virt-template $cmd --: the options of its --help" "$(words --help "${opts[@]}")" \
		"$(comp virt-template "$cmd" --)"
done
called "commands and options run neither virt-template nor virsh" ""

# Which options take a value, as the getopt tables say: the completion
# counts a command's arguments past them.
mapfile -t valued < <(grep -ohE '\{"[a-z][a-z0-9-]*", *required_argument' "$VT_SRCDIR"/tool/*.c |
	sed -E 's/^\{"([^"]*)".*/--\1/' | sort -u)
mapfile -t flags < <(grep -ohE '\{"[a-z][a-z0-9-]*", *no_argument' "$VT_SRCDIR"/tool/*.c |
	sed -E 's/^\{"([^"]*)".*/--\1/' | sort -u)
wrong=()
for o in "${valued[@]}"; do _virt_template_takes_value "$o" || wrong+=("$o"); done
for o in "${flags[@]}"; do ! _virt_template_takes_value "$o" || wrong+=("$o"); done
expect "the options that take a value, as tool/*.c's getopt tables say" "" "${wrong[*]}"

expect "virt-template info: the templates" "$(words web db)" "$(comp virt-template info "")"
called "template names come from virt-template list --json" "virt-template list --json"
expect "virt-template -c URI clone w: web" "web" "$(comp virt-template -c test:///x clone w)"
called "-c URI goes on to list --json" "virt-template -c test:///x list --json"
expect "virt-template --connect=URI delete: the templates" "$(words web db)" \
	"$(comp virt-template --connect = test:///y delete "")"
called "--connect=URI goes on to list --json" "virt-template -c test:///y list --json"
expect "virt-template detach: the clones" "$(words web1 web2)" "$(comp virt-template detach "")"
called "clone names come from list --json" "virt-template list --json"
expect "virt-template pool: the templates" "$(words web db)" "$(comp virt-template pool "")"
called "pool's template names come from list --json" "virt-template list --json"
expect "virt-template -c URI take w: web" "web" "$(comp virt-template -c test:///p take w)"
called "-c URI goes on to take's list --json" "virt-template -c test:///p list --json"
expect "virt-template pool --size N: the value is no template, the templates follow" \
	"$(words web db)" "$(comp virt-template pool --size 4 "")"
called "pool --size N: list --json once" "virt-template list --json"
expect "virt-template clone web: a new name, nothing to complete" "" "$(comp virt-template clone web "")"
expect "virt-template take web: a new NAME, nothing to complete" "" "$(comp virt-template take web "")"
expect "virt-template save web: nothing after the template" "" "$(comp virt-template save web "")"
expect "virt-template pool web: nothing after the template" "" "$(comp virt-template pool web "")"
expect "virt-template pool web --size: no completion" "" "$(comp virt-template pool web --size "")"
called "new names run nothing" ""

expect "create --xml: files" "dom.xml" "$(comp virt-template create t --xml d)"
expect "create --xml=: files" "$(words dom.xml mem.txt memdir)" "$(comp virt-template create t --xml = "")"
expect "create --memory-dir: directories only" "memdir" "$(comp virt-template create t --memory-dir me)"
expect "detach --disk-dir: directories only" "memdir" "$(comp virt-template detach web1 --disk-dir "")"
expect "clone --data: files" "$(words mem.txt memdir)" "$(comp virt-template clone web --data me)"
expect "create --virt-type: kvm, qemu" "$(words kvm qemu)" "$(comp virt-template create t --virt-type "")"
expect "create --memory: no completion" "" "$(comp virt-template create t --memory "")"
called "files and values run nothing" ""
expect "create --from: the domains" "$(words deb web)" "$(comp virt-template -c test:///z create t --from "")"
called "--from asks virsh, on the same connection" "virsh -c test:///z list --all --name"
expect "create --from without -c: the domains" "deb" "$(comp virt-template create t --from d)"
called "virsh gets virt-template's default connection" "virsh -c qemu:///system list --all --name"
expect "-c URI is no command: the commands follow" "create" "$(comp virt-template -c test:///x cr)"

echo "1..$n"
exit "$status"
