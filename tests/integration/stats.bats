# stats: two clones share the template's pages; a clone's writes make its
# copies private, and the template file never changes.

load helpers

MiB=$((1024 * 1024))

setup_file() {
	export T=st
	make_template "$T" --cmdline 'console=ttyS0 quiet panic=-1 vt.fill=64'
	virt-template -q clone "$T" st-a st-b --start
	for c in st-a st-b; do
		wait_for_file_match "$(console_log "$c")" VT-TICK 30
		guest_command "$c" read
		wait_for_file_match "$(console_log "$c")" VT-READ 60
	done
}

teardown_file() {
	virt-template -q delete --force "$T" || true
}

# Field $2 of domain $1 in `stats --json`, in bytes.
stat_of() {
	virt-template stats "$T" --json | tr -d ' \n' |
		grep -o "\"name\":\"$1\"[^}]*" | grep -o "\"$2\":[0-9]*" | cut -d: -f2
}

@test "stats shows both running clones with guest pages shared between them" {
	run virt-template stats "$T"
	[ "$status" -eq 0 ]
	echo "$output" | grep -Eq '^ st-a +clone'
	echo "$output" | grep -Eq '^ st-b +clone'
	echo "$output" | grep -q '^Total PSS of 2 running'
	for c in st-a st-b; do
		# The 64 MiB the template filled are mapped from its file, by both.
		[ "$(stat_of "$c" guest_shared_bytes)" -gt $((48 * MiB)) ]
		[ "$(stat_of "$c" guest_shared_with_others_bytes)" -gt $((48 * MiB)) ]
		[ "$(stat_of "$c" overhead_bytes)" -gt 0 ]
	done
	local total independent
	total=$(virt-template stats "$T" --json | tr -d ' \n' | grep -o '"total_pss_bytes":[0-9]*' | cut -d: -f2)
	independent=$(virt-template stats "$T" --json | tr -d ' \n' | grep -o '"independent_bytes":[0-9]*' | cut -d: -f2)
	[ "$total" -lt "$independent" ]
}

@test "the shared part drops after a clone writes memory" {
	local shared_before private_before shared_after private_after other_before
	shared_before=$(stat_of st-a guest_shared_bytes)
	private_before=$(stat_of st-a guest_private_bytes)
	other_before=$(stat_of st-b guest_shared_bytes)
	guest_command st-a rewrite
	wait_for_file_match "$(console_log st-a)" VT-REWROTE 120
	shared_after=$(stat_of st-a guest_shared_bytes)
	private_after=$(stat_of st-a guest_private_bytes)
	[ "$shared_after" -lt $((shared_before - 40 * MiB)) ]
	[ "$private_after" -gt $((private_before + 40 * MiB)) ]
	# The other clone keeps sharing what it mapped.
	[ "$(stat_of st-b guest_shared_bytes)" -ge $((other_before - 8 * MiB)) ]
}

@test "stats of an unknown template is one clear error" {
	expect_clean_failure "template 'nosuch' does not exist" virt-template stats nosuch
}
