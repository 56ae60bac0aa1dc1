# The hook as libvirt runs it (NAME OP SUBOP - with XML on stdin), given
# input libvirt would not give: it must ignore what is not ours, refuse
# what is wrong with one line, and never touch a path named by the XML.

load helpers

HOOK="$VT_BUILDDIR/virt-template-hook"
NS='https://virt-template.org/xmlns/domain/1'

# Domain XML carrying our metadata with the given attributes.
ours() { printf '<domain><name>c</name><metadata><vt:template xmlns:vt="%s" %s/></metadata></domain>\n' "$NS" "$1"; }

setup_file() {
	export T=hi
	make_template "$T"
}

teardown_file() {
	virt-template -q delete --force "$T" || true
}

@test "domains without our metadata are ignored, whatever their input" {
	run "$HOOK" plain prepare begin - </dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run bash -c "head -c 100000 /dev/urandom | '$HOOK' plain prepare begin -"
	[ "$status" -eq 0 ]
	run bash -c "echo '<domain><name>plain</name></domain>' | '$HOOK' plain started begin -"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "unknown operations and missing arguments are ignored" {
	run bash -c "ours 'role=\"clone\" name=\"nosuch\"' | '$HOOK' c frobnicate begin -"
	[ "$status" -eq 0 ]
	run bash -c "ours 'role=\"clone\" name=\"nosuch\"' | '$HOOK' c prepare end -"
	[ "$status" -eq 0 ]
	run "$HOOK"
	[ "$status" -eq 0 ]
	run "$HOOK" c
	[ "$status" -eq 0 ]
}

@test "metadata naming a template that does not exist is refused at prepare" {
	run --separate-stderr bash -c "$(declare -f ours); NS='$NS'; ours 'role=\"clone\" name=\"nosuch\"' | '$HOOK' c prepare begin -"
	[ "$status" -eq 1 ]
	# shellcheck disable=SC2154 # bats' run --separate-stderr sets $stderr
	[ "$stderr" = "virt-template: cannot start clone 'c': template 'nosuch' does not exist" ]
}

@test "metadata with a path in it is refused, and no path is used" {
	local name
	for name in '../../etc' '/etc/passwd' "$VT_STATEDIR/$T" '..' 'a/../hi'; do
		run --separate-stderr bash -c "$(declare -f ours); NS='$NS'; ours 'role=\"clone\" name=\"$name\"' | '$HOOK' c started begin -"
		[ "$status" -eq 1 ]
		[[ "$stderr" == "virt-template: virt-template metadata: invalid template name"* ]]
	done
	[ ! -e "$VT_RUNDIR/c.qmp" ]
}

@test "a domain name that is not a valid clone name is refused" {
	run --separate-stderr bash -c "$(declare -f ours); NS='$NS'; ours 'role=\"clone\" name=\"$T\"' | '$HOOK' '../x' prepare begin -"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "virt-template: invalid clone name '../x'"* ]]
}

@test "garbage or an unknown role inside our element is one clear error" {
	run --separate-stderr bash -c "$(declare -f ours); NS='$NS'; ours 'role=\"boss\" name=\"$T\"' | '$HOOK' c prepare begin -"
	[ "$status" -eq 1 ]
	[ "$stderr" = "virt-template: virt-template metadata has an unknown role 'boss'" ]
	run --separate-stderr bash -c "$(declare -f ours); NS='$NS'; ours 'role=clone name' | '$HOOK' c prepare begin -"
	[ "$status" -eq 1 ]
	[ "$stderr" = "virt-template: virt-template metadata: malformed element" ]
}

@test "an unreadable stdin is an error, not a silent pass" {
	# Closed inside a child shell: closing bats' own stdin would break bats.
	run --separate-stderr bash -c "'$HOOK' c prepare begin - <&-"
	[ "$status" -eq 1 ]
	[[ "$stderr" == "virt-template: cannot read input"* ]]
}

@test "started for a clone whose QEMU is not there fails within the bound" {
	local t0
	t0=$(date +%s)
	run --separate-stderr bash -c "$(declare -f ours); NS='$NS'; ours 'role=\"clone\" name=\"$T\"' | '$HOOK' ghost started begin -"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"cannot restore clone 'ghost' from template '$T'"* ]]
	[ $(($(date +%s) - t0)) -le 20 ]
}
